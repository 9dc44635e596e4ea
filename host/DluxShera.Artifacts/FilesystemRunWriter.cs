using System.Security.Cryptography;
using System.Text.Json.Nodes;
using DluxShera.Contracts;
using DluxShera.Numpy;

namespace DluxShera.Artifacts;

/// <summary>
/// Writes one run directory. From creation on, <c>summary.json</c> says <c>failed</c> (a crash leaves it
/// so); <see cref="Complete"/> packs the streamed trace, writes checkpoints and replaces the summary.
/// </summary>
public sealed class FilesystemRunWriter : IRunWriter
{
    private readonly StreamingTrace _trace;
    private readonly int _dimension;
    private JsonObject _meta = new();
    private AppendableNpyFile? _gradSteps;
    private AppendableNpyFile? _grads;
    private readonly RunLiveness _liveness;
    private bool _completed;

    internal FilesystemRunWriter(string runDirectory, string runId, int dimension)
    {
        RunDirectory = runDirectory;
        RunId = runId;
        _dimension = dimension;
        _liveness = RunLiveness.Hold(runDirectory); // before the placeholder summary, so a prober never sees it unheld
        _trace = new StreamingTrace(Path.Combine(runDirectory, RunLayout.PartialTraceDirectory), dimension);
        WriteSummaryFile(new JsonObject
        {
            ["run_id"] = runId,
            ["status"] = "failed",
            ["message"] = "run incomplete: the process ended before the run finished; the flushed rows are in trace.partial/",
            ["num_steps_completed"] = 0,
        });
    }

    /// <inheritdoc/>
    public string RunId { get; }

    /// <inheritdoc/>
    public string RunDirectory { get; }

    /// <inheritdoc/>
    public void Append(in TraceRow row) => _trace.Append(row);

    /// <summary>Flushes the streamed rows to disk now (they are also flushed about once a second).</summary>
    public void Flush() => _trace.Flush();

    /// <inheritdoc/>
    public void RecordGradient(int step, ReadOnlySpan<double> gradient)
    {
        if (gradient.Length != _dimension) throw new ArgumentException($"gradient of length {gradient.Length}; expected D = {_dimension}.");
        _gradSteps ??= new AppendableNpyFile(Path.Combine(RunDirectory, RunLayout.PartialTraceDirectory, "grad_step.npy"), NpyDtype.Int64);
        _grads ??= new AppendableNpyFile(Path.Combine(RunDirectory, RunLayout.PartialTraceDirectory, "grad.npy"), NpyDtype.Float64, _dimension);
        _gradSteps.Append((long)step);
        _grads.Append(gradient);
    }

    /// <inheritdoc/>
    public void WriteArrays(string fileName, IReadOnlyDictionary<string, NdArray> arrays) =>
        NpzFile.Save(Path.Combine(RunDirectory, CheckedFileName(fileName)), arrays);

    /// <inheritdoc/>
    public void AppendDiagnostics(JsonObject line)
    {
        File.AppendAllText(Path.Combine(RunDirectory, RunLayout.DiagSteps), line.ToJsonString() + "\n");
    }

    /// <inheritdoc/>
    public void WriteMeta(JsonObject meta)
    {
        _meta = (JsonObject)meta.DeepClone();
        _meta["artifact_schema"] = RunLayout.Schema;
        _meta["run_id"] = RunId;
        WriteMetaFile();
    }

    /// <inheritdoc/>
    public void Complete(JsonObject summary, Checkpoint? best, Checkpoint? final)
    {
        if (_completed) throw new InvalidOperationException($"run {RunId} was already completed.");
        _completed = true;
        string dir = RunDirectory;
        _trace.PackInto(Path.Combine(dir, RunLayout.Trace));
        if (_grads is not null && _gradSteps is not null)
        {
            _gradSteps.Dispose();
            _grads.Dispose();
            NpzFile.Save(Path.Combine(dir, RunLayout.Grads), new Dictionary<string, NdArray>
            {
                ["step"] = NpyFile.Load(_gradSteps.Path),
                ["grad"] = NpyFile.Load(_grads.Path),
            });
        }
        if (best is not null) SaveCheckpoint(RunLayout.CheckpointBest, "best", best);
        if (final is not null) SaveCheckpoint(RunLayout.CheckpointFinal, "final", final);
        _trace.DeleteFiles();

        var s = (JsonObject)summary.DeepClone();
        s["run_id"] = RunId;
        RunFiles.SetArtifactFlags(s, RunDirectory);
        WriteSummaryFile(s);
        WriteMetaFile();
        _liveness.Dispose();
    }

    private void SaveCheckpoint(string file, string which, Checkpoint c) =>
        NpzFile.Save(Path.Combine(RunDirectory, file), new Dictionary<string, NdArray>
        {
            [$"theta_{which}"] = NdArray.Vector(c.Theta),
            [$"{which}_step"] = NdArray.Scalar((long)c.Step),
            [$"{which}_loss"] = NdArray.Scalar(c.Loss),
        });

    private void WriteSummaryFile(JsonObject summary) => RunFiles.WriteJson(Path.Combine(RunDirectory, RunLayout.Summary), summary);

    private void WriteMetaFile()
    {
        _meta["manifest"] = Manifest(RunDirectory);
        RunFiles.WriteJson(Path.Combine(RunDirectory, RunLayout.Meta), _meta);
    }

    /// <summary>Every artifact file of the run (except meta.json itself) with its size and SHA-256.</summary>
    /// <param name="runDirectory">The run directory.</param>
    public static JsonArray Manifest(string runDirectory)
    {
        var files = new JsonArray();
        foreach (string path in Directory.EnumerateFiles(runDirectory, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            string rel = Path.GetRelativePath(runDirectory, path).Replace('\\', '/');
            if (rel == RunLayout.Meta || Path.GetFileName(rel).StartsWith('.') || rel.StartsWith(RunLayout.PartialTraceDirectory + "/", StringComparison.Ordinal))
            {
                continue;
            }
            using var stream = File.OpenRead(path);
            files.Add(new JsonObject
            {
                ["file"] = rel,
                ["bytes"] = stream.Length,
                ["sha256"] = Convert.ToHexStringLower(SHA256.HashData(stream)),
            });
        }
        return files;
    }

    private static string CheckedFileName(string fileName)
    {
        if (RunIds.Problem(fileName) is { } problem || !fileName.EndsWith(".npz", StringComparison.Ordinal))
        {
            throw new ArgumentException($"'{fileName}' is not a valid artifact file name (a plain name ending in .npz expected).");
        }
        return fileName;
    }

    /// <summary>A writer disposed without <see cref="Complete"/> still leaves a loadable, failed run.</summary>
    public void Dispose()
    {
        if (_completed)
        {
            _liveness.Dispose(); // also when Complete threw half way
            return;
        }
        var summary = new JsonObject
        {
            ["status"] = "failed",
            ["stop_reason"] = StopReasons.Error,
            ["message"] = "the run ended without completing (an unexpected error); trace holds the rows recorded so far",
            ["num_steps_completed"] = Math.Max(0, _trace.Rows - 1),
        };
        Complete(summary, null, null);
    }
}
