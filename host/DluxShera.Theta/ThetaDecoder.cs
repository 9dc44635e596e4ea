using DluxShera.Contracts;

namespace DluxShera.Theta;

/// <summary>
/// Decodes trace rows of any θ-space into primitive values by entry name (<see cref="SignalContext.Decoder"/>),
/// from a <see cref="ThetaMapChain"/> alone — what <c>plot</c> rebuilds from meta.json and theta_map.npz.
/// </summary>
/// <param name="chain">The run's map.</param>
public sealed class ThetaDecoder(ThetaMapChain chain) : IThetaDecoder
{
    private readonly double[] _primitive = new double[chain.PrimitiveDimension];

    /// <inheritdoc/>
    public IndexMap IndexMap => chain.ThetaIndexMap;

    /// <summary>The primitive layout the names come from.</summary>
    public IndexMap PrimitiveIndexMap => chain.PrimitiveIndexMap;

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, double[]> Decode(ReadOnlySpan<double> theta)
    {
        chain.ToPrimitive(theta, _primitive);
        return Split(chain.PrimitiveIndexMap, _primitive);
    }

    /// <summary>Splits a flat vector into one array per IndexMap entry.</summary>
    /// <param name="map">The layout.</param>
    /// <param name="values">The vector.</param>
    public static IReadOnlyDictionary<string, double[]> Split(IndexMap map, ReadOnlySpan<double> values)
    {
        var result = new Dictionary<string, double[]>(map.Entries.Count, StringComparer.Ordinal);
        foreach (var e in map.Entries) result[e.Name] = values[e.Start..e.Stop].ToArray();
        return result;
    }
}
