using System.Text.Json.Nodes;
using DluxShera.Contracts;
using DluxShera.Numpy;

namespace DluxShera.Artifacts;

/// <summary>The embedded default store: <c>&lt;root&gt;/&lt;run_id&gt;/</c> directories on the local filesystem.</summary>
public sealed class FilesystemArtifactStore : IArtifactStore
{
    /// <summary>
    /// Creates the run directory so that it is loadable from the instant it is visible: meta.json,
    /// summary.json (<c>failed</c>, "process ended before the run finished") and empty trace channels are
    /// written under a temporary name, which is then renamed to the run id.
    /// </summary>
    /// <param name="request">Where, which id, θ dimension.</param>
    public IRunWriter CreateRun(RunCreateRequest request)
    {
        string runId = request.RunId ?? RunIds.Generate(DateTimeOffset.UtcNow);
        if (RunIds.Problem(runId) is { } problem)
        {
            throw new ArtifactException($"run id '{runId}' is refused: {problem}. {RunIds.Rule}");
        }
        if (request.Dimension < 0)
        {
            // Checked before anything is written: a (T, -1) theta header is a file numpy refuses to load.
            throw new ArtifactException($"run '{runId}': θ dimension D = {request.Dimension} is negative; expected D ≥ 0.");
        }
        string root = Path.GetFullPath(request.OutputRoot);
        string dir = Path.Combine(root, runId);
        if ((Directory.Exists(dir) || File.Exists(dir)) && !request.Overwrite)
        {
            throw new ArtifactException($"run directory {dir} already exists; choose another run id or pass --overwrite to replace it.");
        }
        Directory.CreateDirectory(root);
        StaleTemporaries.RemoveIn(root);
        string staging = Path.Combine(root, $".{runId}.creating.{StaleTemporaries.Owner}.{Guid.NewGuid():N}");
        RunLiveness? liveness = null;
        try
        {
            Directory.CreateDirectory(staging);
            // Locked before it is published, so no prober ever sees the provisional "failed" summary unheld.
            liveness = RunLiveness.Hold(staging);
            FilesystemRunWriter.Prepare(staging, runId, request.Dimension);
            Publish(staging, dir, runId, request.Overwrite);
            liveness.MovedTo(dir);
        }
        catch
        {
            liveness?.Dispose();
            TryDelete(staging);
            throw;
        }
        return new FilesystemRunWriter(dir, runId, request.Dimension, liveness);
    }

    // Renames the prepared directory to its final name; an existing run (with overwrite) is first renamed
    // aside, so at every instant the run id names one complete directory or nothing.
    private static void Publish(string staging, string dir, string runId, bool overwrite)
    {
        string? replaced = null;
        if (Directory.Exists(dir) || File.Exists(dir))
        {
            if (!overwrite) throw new ArtifactException($"run directory {dir} already exists; choose another run id or pass --overwrite to replace it.");
            replaced = Path.Combine(Path.GetDirectoryName(dir)!, $".{runId}.replaced.{StaleTemporaries.Owner}.{Guid.NewGuid():N}");
            if (Directory.Exists(dir)) Directory.Move(dir, replaced);
            else File.Move(dir, replaced);
        }
        try
        {
            Directory.Move(staging, dir);
        }
        catch (IOException) when (Directory.Exists(dir))
        {
            throw new ArtifactException($"run directory {dir} was created by another process meanwhile; choose another run id.");
        }
        if (replaced is not null) TryDelete(replaced);
    }

    private static void TryDelete(string path)
    {
        try
        {
            if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
            else if (File.Exists(path)) File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left for StaleTemporaries: the name is a temporary one.
        }
    }

    /// <inheritdoc/>
    public IRunReader OpenRun(string runDirectory) => new FilesystemRunReader(runDirectory);
}
