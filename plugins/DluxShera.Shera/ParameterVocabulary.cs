using System.Text.Json.Nodes;
using DluxShera.Shera.Optics;

namespace DluxShera.Shera;

/// <summary>One canonical parameter key (SHERA_MODEL §1).</summary>
/// <param name="Key">The dotted key.</param>
/// <param name="Unit">Unit label.</param>
/// <param name="Block">IndexMap block.</param>
/// <param name="Vector">Whether it is a vector (Zernikes).</param>
/// <param name="PriorSigma">Default prior σ (absolute), or null when relative.</param>
/// <param name="RelativePriorSigma">Default prior σ relative to the nominal value, or null.</param>
/// <param name="Get">Reads the value(s).</param>
/// <param name="Set">Writes the value(s).</param>
/// <param name="Positive">Whether the value must be strictly positive (its physical bound).</param>
public sealed record ParameterKey(string Key, string Unit, string Block, bool Vector, double? PriorSigma, double? RelativePriorSigma,
    Func<SheraParameters, double[]> Get, Action<SheraParameters, double[]> Set, bool Positive = false);

/// <summary>The inferable parameters of the two-plane model, in canonical packing order.</summary>
public static class ParameterVocabulary
{
    /// <summary>All keys in packing order.</summary>
    public static IReadOnlyList<ParameterKey> All { get; } =
    [
        new("binary.separation_as", "arcsec", "astrometry", false, 1e-4, null, p => [p.SeparationAs], (p, v) => p.SeparationAs = v[0], Positive: true),
        new("binary.position_angle_deg", "deg", "astrometry", false, 1e-2, null, p => [p.PositionAngleDeg], (p, v) => p.PositionAngleDeg = v[0]),
        new("binary.x_position_as", "arcsec", "astrometry", false, 1e-2, null, p => [p.XAs], (p, v) => p.XAs = v[0]),
        new("binary.y_position_as", "arcsec", "astrometry", false, 1e-2, null, p => [p.YAs], (p, v) => p.YAs = v[0]),
        new("binary.log_flux_total", "log10 photons", "photometry", false, null, 1e-3, p => [p.LogFluxTotal], (p, v) => p.LogFluxTotal = v[0]),
        new("binary.contrast", "", "photometry", false, null, 1e-3, p => [p.Contrast], (p, v) => p.Contrast = v[0], Positive: true),
        new("system.plate_scale_as_per_pix", "arcsec/pixel", "system", false, null, 1e-3, p => [p.PlateScaleAsPerPix], (p, v) => p.PlateScaleAsPerPix = v[0], Positive: true),
        new("primary.zernike_coeffs_nm", "nm", "primary.zernikes", true, 1.0, null, p => (double[])p.PrimaryZernikesNm.Clone(), (p, v) => p.PrimaryZernikesNm = (double[])v.Clone()),
        new("secondary.zernike_coeffs_nm", "nm", "secondary.zernikes", true, 1.0, null, p => (double[])p.SecondaryZernikesNm.Clone(), (p, v) => p.SecondaryZernikesNm = (double[])v.Clone()),
    ];

    /// <summary>The keys of the two- (no M2 terms) or three-plane model.</summary>
    /// <param name="planes">2 or 3.</param>
    public static IEnumerable<string> KeysFor(int planes) => Keys.Where(k => planes == 3 || !k.StartsWith("secondary.", StringComparison.Ordinal));

    /// <summary>The key names.</summary>
    public static IEnumerable<string> Keys => All.Select(k => k.Key);

    /// <summary>Finds a key.</summary>
    /// <param name="key">The dotted key.</param>
    public static ParameterKey? Find(string key) => All.FirstOrDefault(k => k.Key == key);

    /// <summary>Problems with a JSON object of parameter values (unknown keys, wrong shapes).</summary>
    /// <param name="values">Key → number, or array for vectors.</param>
    /// <param name="path">Path for messages.</param>
    /// <param name="allowed">The keys of the model in use.</param>
    /// <param name="vectorLength">Expected length of a vector key.</param>
    public static IEnumerable<(string Key, string Message)> CheckKeys(JsonObject values, string path, IReadOnlyCollection<string> allowed, Func<string, int> vectorLength)
    {
        foreach (var (key, node) in values)
        {
            var k = Find(key);
            if (k is null || !allowed.Contains(key))
            {
                yield return ($"{path}.{key}", $"not a parameter of this model; allowed: {string.Join(", ", allowed)}");
                continue;
            }
            if (k.Vector)
            {
                int length = vectorLength(key);
                if (node is not JsonArray a || a.Count != length || a.Any(v => v is not JsonValue))
                {
                    yield return ($"{path}.{key}", $"expected an array of {length} numbers (one per Noll index)");
                }
            }
            else if (node is not JsonValue v || !v.TryGetValue<double>(out double value))
            {
                yield return ($"{path}.{key}", "expected a number");
            }
            else if (k.Positive && !(value > 0))
            {
                yield return ($"{path}.{key}", $"must be positive, got {value}");
            }
        }
    }

    /// <summary>Applies values from JSON onto <paramref name="p"/>.</summary>
    /// <param name="p">Parameters to update.</param>
    /// <param name="values">Key → value(s).</param>
    public static void Apply(SheraParameters p, JsonObject values)
    {
        foreach (var (key, node) in values)
        {
            var k = Find(key)!;
            k.Set(p, k.Vector ? node!.AsArray().Select(v => v!.GetValue<double>()).ToArray() : [node!.GetValue<double>()]);
        }
    }
}
