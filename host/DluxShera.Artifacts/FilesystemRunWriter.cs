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
    private JsonObject _meta;
    private AppendableNpyFile? _gradSteps;
    private AppendableNpyFile? _grads;
    private bool _completed;

    // Opens a directory that Prepare filled (and that was then renamed to its final name).
    internal FilesystemRunWriter(string runDirectory, string runId, int dimension)
    {
        RunDirectory = runDirectory;
        RunId = runId;
        _dimension = dimension;
        _meta = LoadPreparedMeta(runDirectory);
        _trace = new StreamingTrace(Path.Combine(runDirectory, RunLayout.PartialTraceDirectory), dimension);
    }

    /// <summary>Writes what makes <paramref name="directory"/> a loadable failed run before any row exists:
    /// meta.json (schema, run id, θ dimension), summary.json (<c>failed</c>) and empty trace channels.</summary>
    internal static void Prepare(string directory, string runId, int dimension)
    {
        StreamingTrace.CreateEmpty(Path.Combine(directory, RunLayout.PartialTraceDirectory), dimension);
        RunFiles.WriteJson(Path.Combine(directory, RunLayout.Summary), new JsonObject
        {
            ["run_id"] = runId,
            ["status"] = "failed",
            ["stop_reason"] = StopReasons.Error,
            ["message"] = "run incomplete: the process ended before the run finished; the flushed rows are in trace.partial/",
            ["num_steps_completed"] = 0,
        });
        RunFiles.WriteJson(Path.Combine(directory, RunLayout.Meta), new JsonObject
        {
            ["artifact_schema"] = RunLayout.Schema,
            ["run_id"] = runId,
            ["theta"] = new JsonObject { ["dim"] = dimension },
            ["manifest"] = new JsonArray(),
        });
    }

    private static JsonObject LoadPreparedMeta(string directory)
    {
        var meta = (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(directory, RunLayout.Meta)))!;
        meta.Remove("manifest");
        return meta;
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
    /// <remarks>When the disk fills (or any write fails) on the way, summary.json is still rewritten (if it can
    /// be) as <c>failed</c> with the I/O cause, the streamed rows stay in trace.partial/, and the error is rethrown.</remarks>
    public void Complete(JsonObject summary, Checkpoint? best, Checkpoint? final)
    {
        if (_completed) throw new InvalidOperationException($"run {RunId} was already completed.");
        _completed = true;
        var s = (JsonObject)summary.DeepClone();
        s["run_id"] = RunId;
        try
        {
            PackArtifacts(best, final);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            RecordStorageFailure(s, e);
            throw;
        }
        RunFiles.SetArtifactFlags(s, RunDirectory);
        WriteSummaryFile(s);
        WriteMetaFile();
    }

    private void PackArtifacts(Checkpoint? best, Checkpoint? final)
    {
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
    }

    // The run cannot be finished (disk full, file system gone read-only): say so in summary.json, keeping the
    // rows already streamed to trace.partial/ (readers recover them by their data), and drop a half-packed trace.npz.
    private void RecordStorageFailure(JsonObject summary, Exception e)
    {
        string cause = $"writing the run's artifacts failed: {e.Message.ReplaceLineEndings(" ").Trim()}; the rows streamed so far are in trace.partial/";
        summary["status"] = "failed";
        summary["stop_reason"] = StopReasons.Error;
        summary["message"] = summary["message"]?.GetValue<string>() is { Length: > 0 } earlier && earlier != cause ? $"{earlier}; {cause}" : cause;
        summary["storage_error"] = e.Message.ReplaceLineEndings(" ").Trim();
        _trace.Abandon();
        try
        {
            WriteSummaryFile(summary);
        }
        catch (Exception again) when (again is IOException or UnauthorizedAccessException)
        {
            // Nothing more can be written; summary.json still says failed ("process ended before the run finished").
        }
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
        if (_completed) return;
        var summary = new JsonObject
        {
            ["status"] = "failed",
            ["stop_reason"] = StopReasons.Error,
            ["message"] = "the run ended without completing (an unexpected error); trace holds the rows recorded so far",
            ["num_steps_completed"] = Math.Max(0, _trace.Rows - 1),
        };
        try
        {
            Complete(summary, null, null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Complete recorded the failure in summary.json as far as the disk allowed.
        }
    }
}
