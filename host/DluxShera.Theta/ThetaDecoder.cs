using DluxShera.Contracts;

namespace DluxShera.Theta;

/// <summary>
/// Decodes trace rows of any θ-space into primitive values by entry name (<see cref="SignalContext.Decoder"/>),
/// from a <see cref="ThetaMapChain"/> alone — what <c>plot</c> rebuilds from meta.json and theta_map.npz — plus the
/// derived quantities a decoder over primitive values adds (the objective's own <see cref="IThetaDecoder"/> during a
/// run, e.g. SHERA's <c>binary.raw_fluxes</c>; the values recorded in derived.npz afterwards).
/// </summary>
/// <param name="chain">The run's map.</param>
/// <param name="derived">Decodes primitive values (laid out as <see cref="ThetaMapChain.PrimitiveIndexMap"/>); its entries that
/// are not primitive parameters are added to every decoded row. Null: primitive parameters only.</param>
public sealed class ThetaDecoder(ThetaMapChain chain, IThetaDecoder? derived = null) : IThetaDecoder
{
    private readonly double[] _primitive = new double[chain.PrimitiveDimension];

    /// <inheritdoc/>
    public IndexMap IndexMap => chain.ThetaIndexMap;

    /// <summary>The run's map.</summary>
    public ThetaMapChain Chain => chain;

    /// <summary>The primitive layout the names come from.</summary>
    public IndexMap PrimitiveIndexMap => chain.PrimitiveIndexMap;

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, double[]> Decode(ReadOnlySpan<double> theta)
    {
        chain.ToPrimitive(theta, _primitive);
        var result = Split(chain.PrimitiveIndexMap, _primitive);
        if (derived is null) return result;
        // The primitive parameters come from the map (exact); the derived decoder adds only what they are not.
        foreach (var (name, values) in derived.Decode(_primitive)) result.TryAdd(name, values);
        return result;
    }

    /// <summary>The entries <paramref name="decoded"/> holds beyond the primitive parameters of <paramref name="primitive"/>.</summary>
    /// <param name="primitive">The primitive layout.</param>
    /// <param name="decoded">A decoded row.</param>
    public static IEnumerable<KeyValuePair<string, double[]>> Derived(IndexMap primitive, IReadOnlyDictionary<string, double[]> decoded) =>
        decoded.Where(kv => !primitive.Entries.Any(e => e.Name == kv.Key));

    /// <summary>Splits a flat vector into one array per IndexMap entry.</summary>
    /// <param name="map">The layout.</param>
    /// <param name="values">The vector.</param>
    public static Dictionary<string, double[]> Split(IndexMap map, ReadOnlySpan<double> values)
    {
        var result = new Dictionary<string, double[]>(map.Entries.Count, StringComparer.Ordinal);
        foreach (var e in map.Entries) result[e.Name] = values[e.Start..e.Stop].ToArray();
        return result;
    }
}
