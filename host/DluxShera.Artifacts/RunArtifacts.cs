using System.Text.Json.Nodes;
using DluxShera.Contracts;

namespace DluxShera.Artifacts;

/// <summary>
/// The functions-first I/O API of the seed (<c>save_run</c>, <c>load_trace</c>, <c>load_meta</c>,
/// <c>load_summary</c>, <c>load_checkpoint</c>) for plugins and other .NET programs.
/// </summary>
public static class RunArtifacts
{
    /// <summary>Optional artifacts of <see cref="SaveRun"/>.</summary>
    public sealed class Optional
    {
        /// <summary>signals.npz arrays.</summary>
        public IReadOnlyDictionary<string, NdArray>? Signals { get; init; }

        /// <summary>precond.npz arrays (<c>lr_vec</c>, <c>precond</c>).</summary>
        public IReadOnlyDictionary<string, NdArray>? Precond { get; init; }

        /// <summary>curvature.npz arrays (<c>curv_diag</c>).</summary>
        public IReadOnlyDictionary<string, NdArray>? Curvature { get; init; }

        /// <summary>Best checkpoint.</summary>
        public Checkpoint? CheckpointBest { get; init; }

        /// <summary>Final checkpoint.</summary>
        public Checkpoint? CheckpointFinal { get; init; }

        /// <summary>diag_steps.jsonl lines.</summary>
        public IReadOnlyList<JsonObject>? DiagSteps { get; init; }

        /// <summary>grads.npz arrays.</summary>
        public IReadOnlyDictionary<string, NdArray>? Grads { get; init; }
    }

    /// <summary>Saves a complete run from in-memory arrays into <paramref name="runDirectory"/> (must not exist).</summary>
    /// <param name="runDirectory">The run directory; its name is the run id.</param>
    /// <param name="trace">The trace.</param>
    /// <param name="meta">meta.json (must carry <c>theta.dim</c>).</param>
    /// <param name="summary">summary.json fields.</param>
    /// <param name="optional">Optional artifacts.</param>
    public static void SaveRun(string runDirectory, TraceData trace, JsonObject meta, JsonObject summary, Optional? optional = null)
    {
        optional ??= new Optional();
        string full = Path.GetFullPath(runDirectory);
        var store = new FilesystemArtifactStore();
        using var writer = (FilesystemRunWriter)store.CreateRun(new RunCreateRequest
        {
            OutputRoot = Path.GetDirectoryName(full)!,
            RunId = Path.GetFileName(full),
            Dimension = trace.Dimension,
        });
        writer.WriteMeta(meta);
        var grad = trace.Channels.GetValueOrDefault("grad_norm");
        var step = trace.Channels.GetValueOrDefault("step_norm");
        var lr = trace.Channels.GetValueOrDefault("base_lr");
        var acc = trace.Channels.GetValueOrDefault("accepted");
        for (int t = 0; t < trace.Steps; t++)
        {
            writer.Append(new TraceRow
            {
                Step = t, Loss = trace.Loss[t], Theta = trace.ThetaAt(t), GradNorm = grad?[t] ?? double.NaN,
                StepNorm = step?[t] ?? double.NaN, BaseLr = lr?[t] ?? double.NaN, Accepted = acc is null || acc[t] != 0,
            });
        }
        if (optional.Signals is { } s) writer.WriteArrays(RunLayout.Signals, s);
        if (optional.Precond is { } p) writer.WriteArrays(RunLayout.Precond, p);
        if (optional.Curvature is { } c) writer.WriteArrays(RunLayout.Curvature, c);
        if (optional.Grads is { } g) writer.WriteArrays(RunLayout.Grads, g);
        foreach (var line in optional.DiagSteps ?? []) writer.AppendDiagnostics(line);
        writer.Complete(summary, optional.CheckpointBest, optional.CheckpointFinal);
    }

    /// <summary>
    /// After files were added to a finished run (signals.npz, figures/), refreshes summary.json's <c>has_*</c> flags
    /// and meta.json's manifest, both atomically.
    /// </summary>
    /// <param name="runDirectory">The run directory.</param>
    /// <param name="metaEntries">Top-level meta.json entries to set at the same time (e.g. the signal recipe used), or null.</param>
    public static void RecordAddedArtifacts(string runDirectory, IReadOnlyDictionary<string, JsonNode?>? metaEntries = null)
    {
        var reader = new FilesystemRunReader(runDirectory);
        var summary = reader.LoadSummary();
        RunFiles.SetArtifactFlags(summary, reader.RunDirectory);
        RunFiles.WriteJson(Path.Combine(reader.RunDirectory, RunLayout.Summary), summary);
        var meta = reader.LoadMeta();
        foreach (var (key, value) in metaEntries ?? new Dictionary<string, JsonNode?>()) meta[key] = value?.DeepClone();
        meta["manifest"] = FilesystemRunWriter.Manifest(reader.RunDirectory);
        RunFiles.WriteJson(Path.Combine(reader.RunDirectory, RunLayout.Meta), meta);
    }

    /// <summary>Loads trace.npz (or the partial trace of a crashed run).</summary>
    /// <param name="runDirectory">The run directory.</param>
    public static TraceData LoadTrace(string runDirectory) => new FilesystemRunReader(runDirectory).LoadTrace();

    /// <summary>Loads meta.json, checking the schema.</summary>
    /// <param name="runDirectory">The run directory.</param>
    public static JsonObject LoadMeta(string runDirectory) => new FilesystemRunReader(runDirectory).LoadMeta();

    /// <summary>Loads summary.json.</summary>
    /// <param name="runDirectory">The run directory.</param>
    public static JsonObject LoadSummary(string runDirectory) => new FilesystemRunReader(runDirectory).LoadSummary();

    /// <summary>Loads <c>checkpoint_best.npz</c> or <c>checkpoint_final.npz</c>, or null when absent.</summary>
    /// <param name="runDirectory">The run directory.</param>
    /// <param name="which"><c>best</c> or <c>final</c>.</param>
    public static Checkpoint? LoadCheckpoint(string runDirectory, string which = "best") =>
        new FilesystemRunReader(runDirectory).LoadCheckpoint(which);
}
