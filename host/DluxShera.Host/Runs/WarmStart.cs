using DluxShera.Artifacts;
using DluxShera.Contracts;

namespace DluxShera.Host.Runs;

/// <summary>
/// <c>run.init_from</c>: θ starts at an earlier run's best checkpoint instead of the objective's initial
/// values (time series warm-start each epoch from the previous one). The IndexMap layouts must agree.
/// </summary>
public static class WarmStart
{
    /// <summary>Overwrites <paramref name="theta0"/> with the earlier run's best θ.</summary>
    /// <param name="runDirectory">The earlier run.</param>
    /// <param name="map">This run's IndexMap.</param>
    /// <param name="theta0">The initial θ to replace.</param>
    /// <exception cref="BadInputException">Missing run or checkpoint, or a different layout.</exception>
    public static void Apply(string runDirectory, IndexMap map, Span<double> theta0)
    {
        try
        {
            var reader = new FilesystemRunReader(runDirectory);
            reader.CheckLayout(map);
            var best = reader.LoadCheckpoint("best")
                ?? throw new BadInputException($"run.init_from: {Path.Combine(reader.RunDirectory, RunLayout.CheckpointBest)} not found; the earlier run must have a best checkpoint.");
            if (best.Theta.Length != theta0.Length)
            {
                throw new BadInputException($"run.init_from: {reader.RunDirectory} has θ of length {best.Theta.Length}; this run's IndexMap has {theta0.Length}.");
            }
            best.Theta.CopyTo(theta0);
        }
        catch (ArtifactException e)
        {
            throw new BadInputException($"run.init_from: {e.Message}", e);
        }
    }
}
