using DluxShera.Artifacts;
using DluxShera.Contracts;
using DluxShera.Theta;

namespace DluxShera.Host.Theta;

/// <summary>
/// Reads an earlier run's point in primitive θ whatever its θ-space: the checkpoint in z, decoded with the run's own
/// theta_map.npz. Used by warm starts (<c>run.init_from</c>) and eigen references; both hashes are checked.
/// </summary>
public static class RunThetaReader
{
    /// <summary>The run's map, rebuilt from meta.json and theta_map.npz (hash checked).</summary>
    /// <param name="reader">The run.</param>
    public static ThetaMapChain LoadChain(FilesystemRunReader reader) =>
        ThetaMapArtifacts.Load(reader.LoadMeta(), reader.LoadArrays(ThetaMapArtifacts.FileName), reader.RunDirectory);

    /// <summary>The checkpoint <paramref name="which"/> of the run in <paramref name="runDirectory"/>, decoded to primitive θ.</summary>
    /// <param name="runDirectory">The earlier run.</param>
    /// <param name="which"><c>best</c> or <c>final</c>.</param>
    /// <param name="expected">The objective's layout, which the run's primitive layout must match.</param>
    /// <param name="what">The spec key asking, for messages.</param>
    /// <exception cref="BadInputException">Missing run or checkpoint, another layout, a theta map that does not match its hash.</exception>
    public static double[] LoadPrimitive(string runDirectory, string which, IndexMap expected, string what)
    {
        if (which is not "best" and not "final") throw new BadInputException($"{what}: checkpoint '{which}': expected best or final.");
        try
        {
            var reader = new FilesystemRunReader(runDirectory);
            var meta = reader.LoadMeta();
            var chain = ThetaMapArtifacts.Load(meta, reader.LoadArrays(ThetaMapArtifacts.FileName), reader.RunDirectory);
            if (chain.PrimitiveIndexMap.LayoutHash != expected.LayoutHash)
            {
                throw new BadInputException($"{what}: {reader.RunDirectory} has primitive layout_hash '{chain.PrimitiveIndexMap.LayoutHash}' but this objective's is " +
                    $"'{expected.LayoutHash}' (theta_map_hash '{meta["theta"]?["theta_map_hash"]?.GetValue<string>() ?? "none"}'); it was made with another parameter layout.");
            }
            var checkpoint = reader.LoadCheckpoint(which)
                ?? throw new BadInputException($"{what}: {reader.RunDirectory} has no checkpoint_{which}.npz (the run saw no finite loss).");
            if (checkpoint.Theta.Length != chain.ThetaDimension)
            {
                throw new BadInputException($"{what}: {reader.RunDirectory}/checkpoint_{which}.npz has {checkpoint.Theta.Length} values but its theta map " +
                    $"(theta_map_hash '{chain.Hash}') takes {chain.ThetaDimension}.");
            }
            var primitive = new double[chain.PrimitiveDimension];
            chain.ToPrimitive(checkpoint.Theta, primitive);
            return primitive;
        }
        catch (ArtifactException e)
        {
            throw new BadInputException($"{what}: {e.Message}", e);
        }
        catch (ThetaMapException e)
        {
            throw new BadInputException($"{what}: {e.Message}", e);
        }
    }
}
