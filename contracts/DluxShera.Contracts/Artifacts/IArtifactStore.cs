using System.Text.Json.Nodes;

namespace DluxShera.Contracts;

/// <summary>
/// Persists runs in the <c>dluxshera-run-v0</c> layout: <c>trace.npz</c>, <c>meta.json</c>,
/// <c>summary.json</c> and optional artifacts. Writes are atomic; a failed run stays loadable.
/// </summary>
public interface IArtifactStore
{
    /// <summary>Creates a new run directory and returns its writer.</summary>
    /// <param name="request">Where, which id, θ dimension.</param>
    /// <exception cref="ArtifactException">Invalid run id, or the run exists and overwrite was not asked for.</exception>
    IRunWriter CreateRun(RunCreateRequest request);

    /// <summary>Opens an existing run directory for reading.</summary>
    /// <param name="runDirectory">The run directory.</param>
    /// <exception cref="ArtifactException">Missing or corrupt artifacts; the message names the file.</exception>
    IRunReader OpenRun(string runDirectory);
}

/// <summary>Parameters of a new run.</summary>
public sealed class RunCreateRequest
{
    /// <summary>The directory that holds run directories (e.g. <c>runs</c>).</summary>
    public required string OutputRoot { get; init; }

    /// <summary>The run id, or null to generate a sortable UTC timestamp + random suffix.</summary>
    public string? RunId { get; init; }

    /// <summary>Replace an existing run directory of the same id.</summary>
    public bool Overwrite { get; init; }

    /// <summary>θ dimension D (trace rows must match it).</summary>
    public required int Dimension { get; init; }
}

/// <summary>Optional arrays and logs of a run.</summary>
public interface IRunArtifacts
{
    /// <summary>Writes (atomically) an <c>.npz</c> file such as <c>precond.npz</c> in the run directory.</summary>
    /// <param name="fileName">File name, e.g. <c>curvature.npz</c>.</param>
    /// <param name="arrays">Named arrays.</param>
    void WriteArrays(string fileName, IReadOnlyDictionary<string, NdArray> arrays);

    /// <summary>Appends one JSON object as a line of <c>diag_steps.jsonl</c>.</summary>
    /// <param name="line">The line.</param>
    void AppendDiagnostics(JsonObject line);
}

/// <summary>Writes one run. Dispose without <see cref="Complete"/> marks the run failed.</summary>
public interface IRunWriter : ITraceSink, IRunArtifacts, IDisposable
{
    /// <summary>The run id.</summary>
    string RunId { get; }

    /// <summary>The run directory.</summary>
    string RunDirectory { get; }

    /// <summary>Writes <c>meta.json</c> (atomically; may be called again to update it).
    /// The store adds <c>artifact_schema</c> and the manifest.</summary>
    /// <param name="meta">The meta object.</param>
    void WriteMeta(JsonObject meta);

    /// <summary>Finishes the run: writes <c>trace.npz</c>, the checkpoints given and <c>summary.json</c>
    /// (the store adds the <c>has_*</c> flags).</summary>
    /// <param name="summary">The summary fields.</param>
    /// <param name="best">The best checkpoint, or null.</param>
    /// <param name="final">The final checkpoint, or null.</param>
    void Complete(JsonObject summary, Checkpoint? best, Checkpoint? final);
}

/// <summary>Reads one run.</summary>
public interface IRunReader
{
    /// <summary>The run directory.</summary>
    string RunDirectory { get; }

    /// <summary>meta.json.</summary>
    JsonObject LoadMeta();

    /// <summary>summary.json.</summary>
    JsonObject LoadSummary();

    /// <summary>trace.npz, checked against meta's θ dimension.</summary>
    TraceData LoadTrace();

    /// <summary>A checkpoint, or null when the file is absent.</summary>
    /// <param name="which"><c>best</c> or <c>final</c>.</param>
    Checkpoint? LoadCheckpoint(string which);

    /// <summary>Any <c>.npz</c> of the run, or null when absent.</summary>
    /// <param name="fileName">The file name.</param>
    IReadOnlyDictionary<string, NdArray>? LoadArrays(string fileName);
}

/// <summary>A saved point: θ, step and loss.</summary>
/// <param name="Theta">θ.</param>
/// <param name="Step">The step.</param>
/// <param name="Loss">loss(θ).</param>
public sealed record Checkpoint(double[] Theta, int Step, double Loss);

/// <summary>A missing, corrupt or incompatible artifact; the message names the file and what was expected.</summary>
/// <param name="message">The message.</param>
/// <param name="inner">The underlying error, if any.</param>
public sealed class ArtifactException(string message, Exception? inner = null) : Exception(message, inner);
