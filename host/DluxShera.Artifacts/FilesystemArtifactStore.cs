using DluxShera.Contracts;

namespace DluxShera.Artifacts;

/// <summary>The embedded default store: <c>&lt;root&gt;/&lt;run_id&gt;/</c> directories on the local filesystem.</summary>
public sealed class FilesystemArtifactStore : IArtifactStore
{
    /// <inheritdoc/>
    public IRunWriter CreateRun(RunCreateRequest request)
    {
        string runId = request.RunId ?? RunIds.Generate(DateTimeOffset.UtcNow);
        if (RunIds.Problem(runId) is { } problem)
        {
            throw new ArtifactException($"run id '{runId}' is refused: {problem}. Use letters, digits, '.', '_' and '-'.");
        }
        string dir = Path.GetFullPath(Path.Combine(request.OutputRoot, runId));
        if (Directory.Exists(dir) || File.Exists(dir))
        {
            if (!request.Overwrite)
            {
                throw new ArtifactException($"run directory {dir} already exists; choose another run id or pass --overwrite to replace it.");
            }
            Directory.Delete(dir, recursive: true);
        }
        Directory.CreateDirectory(dir);
        return new FilesystemRunWriter(dir, runId, request.Dimension);
    }

    /// <inheritdoc/>
    public IRunReader OpenRun(string runDirectory) => new FilesystemRunReader(runDirectory);
}
