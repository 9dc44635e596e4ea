using System.Text.Json.Nodes;
using DluxShera.Contracts;

namespace DluxShera.Theta;

/// <summary>A per-entry bijector from an unconstrained coordinate u to a bounded primitive value.</summary>
public enum BijectorKind
{
    /// <summary>θ = u (code 0 in theta_map.npz).</summary>
    Identity = 0,

    /// <summary>θ = lower + exp(u) (code 1).</summary>
    Log = 1,

    /// <summary>θ = lower + (upper − lower) σ(u), σ the logistic function (code 2).</summary>
    Logit = 2,
}

/// <summary>The bijector of one IndexMap entry.</summary>
/// <param name="Kind">The bijector.</param>
/// <param name="Lower">Lower bound (log, logit).</param>
/// <param name="Upper">Upper bound (logit).</param>
public sealed record EntryBijector(BijectorKind Kind, double Lower = 0, double Upper = 1);

/// <summary>
/// The <c>unconstrained</c> θ map: every primitive value is reached through its entry's bijector, so samplers and
/// unconstrained optimizers cannot step outside the model's domain (a positive plate scale, a contrast in (0, 1)).
/// z has the primitive layout; transformed entries are renamed <c>log(name)</c> / <c>logit(name)</c>.
/// </summary>
public sealed class BijectorThetaMap : IDifferentiableThetaMap
{
    private readonly BijectorKind[] _kind;
    private readonly double[] _lower;
    private readonly double[] _upper;
    private readonly IReadOnlyDictionary<string, EntryBijector> _byEntry;

    /// <summary>Builds the map; entries not in <paramref name="bijectors"/> take the bijector their bounds imply.</summary>
    /// <param name="primitive">The layout the map decodes to.</param>
    /// <param name="bijectors">Per-entry choices (run spec), overriding the IndexMap's bounds.</param>
    /// <exception cref="ThetaMapException">An unknown entry name, or a logit without lower &lt; upper.</exception>
    public BijectorThetaMap(IndexMap primitive, IReadOnlyDictionary<string, EntryBijector>? bijectors = null)
    {
        bijectors ??= new Dictionary<string, EntryBijector>();
        foreach (string name in bijectors.Keys)
        {
            if (primitive.Find(name) is null)
            {
                throw new ThetaMapException($"unconstrained: bijectors.{name}: not an IndexMap entry; entries: {string.Join(", ", primitive.Entries.Select(e => e.Name))}.");
            }
        }
        int d = primitive.Dimension;
        _kind = new BijectorKind[d];
        _lower = new double[d];
        _upper = new double[d];
        var byEntry = new Dictionary<string, EntryBijector>();
        var entries = new List<IndexMapEntry>();
        foreach (var e in primitive.Entries)
        {
            var b = bijectors.TryGetValue(e.Name, out var chosen) ? chosen : FromBounds(e);
            if (b.Kind == BijectorKind.Logit && !(b.Lower < b.Upper))
            {
                throw new ThetaMapException($"unconstrained: bijectors.{e.Name}: logit needs lower < upper, got [{b.Lower}, {b.Upper}].");
            }
            if (b.Kind != BijectorKind.Identity && !(double.IsFinite(b.Lower) && (b.Kind != BijectorKind.Logit || double.IsFinite(b.Upper))))
            {
                throw new ThetaMapException($"unconstrained: bijectors.{e.Name}: bounds must be finite numbers.");
            }
            byEntry[e.Name] = b;
            for (int i = e.Start; i < e.Stop; i++) { _kind[i] = b.Kind; _lower[i] = b.Lower; _upper[i] = b.Upper; }
            string name = b.Kind switch { BijectorKind.Log => $"log({e.Name})", BijectorKind.Logit => $"logit({e.Name})", _ => e.Name };
            string? label = b.Kind == BijectorKind.Identity ? e.Label : $"{name} (unconstrained)";
            entries.Add(new IndexMapEntry(name, e.Start, e.Stop, e.Shape, e.Block, label));
        }
        _byEntry = byEntry;
        ThetaIndexMap = new IndexMap(entries);
    }

    /// <summary>Rebuilds the map from theta_map.npz's table.</summary>
    /// <param name="primitive">The primitive layout.</param>
    /// <param name="kind">Codes per index.</param>
    /// <param name="lower">Lower bounds per index.</param>
    /// <param name="upper">Upper bounds per index.</param>
    public static BijectorThetaMap FromTable(IndexMap primitive, long[] kind, double[] lower, double[] upper) =>
        new(primitive, primitive.Entries.ToDictionary(e => e.Name, e => new EntryBijector((BijectorKind)kind[e.Start], lower[e.Start], upper[e.Start])));

    /// <summary>The default bijector of an entry from its declared bounds.</summary>
    /// <param name="entry">The entry.</param>
    public static EntryBijector FromBounds(IndexMapEntry entry) => (entry.LowerBound, entry.UpperBound) switch
    {
        ({ } lo, { } hi) => new EntryBijector(BijectorKind.Logit, lo, hi),
        ({ } lo, null) => new EntryBijector(BijectorKind.Log, lo),
        (null, { } hi) => throw new ThetaMapException($"unconstrained: entry '{entry.Name}' has only an upper bound ({hi}); declare its bijector in theta_map.options.bijectors."),
        _ => new EntryBijector(BijectorKind.Identity),
    };

    /// <summary>The bijector chosen for each entry.</summary>
    public IReadOnlyDictionary<string, EntryBijector> Bijectors => _byEntry;

    /// <inheritdoc/>
    public string Kind => "bijector";

    /// <inheritdoc/>
    public string ThetaSpace => "unconstrained";

    /// <inheritdoc/>
    public string Id => $"unconstrained-log{_byEntry.Values.Count(b => b.Kind == BijectorKind.Log)}-logit{_byEntry.Values.Count(b => b.Kind == BijectorKind.Logit)}";

    /// <inheritdoc/>
    public string Hash => "";

    /// <inheritdoc/>
    public int ThetaDimension => _kind.Length;

    /// <inheritdoc/>
    public int PrimitiveDimension => _kind.Length;

    /// <inheritdoc/>
    public IndexMap ThetaIndexMap { get; }

    /// <inheritdoc/>
    public bool IsAffine => _kind.All(k => k == BijectorKind.Identity);

    private static double Sigmoid(double u) => u >= 0 ? 1 / (1 + Math.Exp(-u)) : Math.Exp(u) / (1 + Math.Exp(u));

    /// <inheritdoc/>
    public void ToPrimitive(ReadOnlySpan<double> theta, Span<double> primitive)
    {
        for (int i = 0; i < _kind.Length; i++)
        {
            primitive[i] = _kind[i] switch
            {
                BijectorKind.Log => _lower[i] + Math.Exp(theta[i]),
                BijectorKind.Logit => _lower[i] + (_upper[i] - _lower[i]) * Sigmoid(theta[i]),
                _ => theta[i],
            };
        }
    }

    /// <inheritdoc/>
    public void ToTheta(ReadOnlySpan<double> primitive, Span<double> theta)
    {
        for (int i = 0; i < _kind.Length; i++)
        {
            double p = primitive[i];
            switch (_kind[i])
            {
                case BijectorKind.Log:
                    if (!(p > _lower[i])) throw new ThetaMapException($"unconstrained: {EntryName(i)} = {p} is outside the log bijector's domain (> {_lower[i]}).");
                    theta[i] = Math.Log(p - _lower[i]);
                    break;
                case BijectorKind.Logit:
                    if (!(p > _lower[i] && p < _upper[i])) throw new ThetaMapException($"unconstrained: {EntryName(i)} = {p} is outside the logit bijector's domain ({_lower[i]}, {_upper[i]}).");
                    theta[i] = Math.Log((p - _lower[i]) / (_upper[i] - p));
                    break;
                default:
                    theta[i] = p;
                    break;
            }
        }
    }

    private string EntryName(int i) => ThetaIndexMap.Entries.First(e => i >= e.Start && i < e.Stop).Name;

    // f′(u) per index.
    private double Slope(int i, double u) => _kind[i] switch
    {
        BijectorKind.Log => Math.Exp(u),
        BijectorKind.Logit => (_upper[i] - _lower[i]) * Sigmoid(u) * (1 - Sigmoid(u)),
        _ => 1,
    };

    /// <inheritdoc/>
    public void PullBackGradient(ReadOnlySpan<double> theta, ReadOnlySpan<double> primitiveGradient, Span<double> thetaGradient)
    {
        for (int i = 0; i < _kind.Length; i++) thetaGradient[i] = Slope(i, theta[i]) * primitiveGradient[i];
    }

    /// <inheritdoc/>
    public void PushForward(ReadOnlySpan<double> theta, ReadOnlySpan<double> v, Span<double> primitiveTangent)
    {
        for (int i = 0; i < _kind.Length; i++) primitiveTangent[i] = Slope(i, theta[i]) * v[i];
    }

    /// <inheritdoc/>
    public void AddSecondOrderTerm(ReadOnlySpan<double> theta, ReadOnlySpan<double> primitiveGradient, ReadOnlySpan<double> v, Span<double> hv)
    {
        for (int i = 0; i < _kind.Length; i++)
        {
            double u = theta[i];
            double curvature = _kind[i] switch
            {
                BijectorKind.Log => Math.Exp(u),
                BijectorKind.Logit => (_upper[i] - _lower[i]) * Sigmoid(u) * (1 - Sigmoid(u)) * (1 - 2 * Sigmoid(u)),
                _ => 0,
            };
            hv[i] += primitiveGradient[i] * curvature * v[i];
        }
    }

    /// <inheritdoc/>
    public double LogAbsDetJacobian(ReadOnlySpan<double> theta, Span<double> gradient)
    {
        double sum = 0;
        for (int i = 0; i < _kind.Length; i++)
        {
            double u = theta[i];
            switch (_kind[i])
            {
                case BijectorKind.Log:
                    sum += u;
                    gradient[i] = 1;
                    break;
                case BijectorKind.Logit:
                    double s = Sigmoid(u);
                    // log σ(u) + log(1 − σ(u)) written stably: −softplus(−u) − softplus(u).
                    sum += Math.Log(_upper[i] - _lower[i]) - Softplus(-u) - Softplus(u);
                    gradient[i] = 1 - 2 * s;
                    break;
                default:
                    gradient[i] = 0;
                    break;
            }
        }
        return sum;
    }

    private static double Softplus(double x) => x > 0 ? x + double.LogP1(Math.Exp(-x)) : double.LogP1(Math.Exp(x));

    /// <inheritdoc/>
    public JsonObject Describe() => new()
    {
        ["kind"] = Kind,
        ["bijectors"] = new JsonObject(_byEntry.Select(p => new KeyValuePair<string, JsonNode?>(p.Key, new JsonObject
        {
            ["kind"] = p.Value.Kind.ToString().ToLowerInvariant(),
            ["lower"] = p.Value.Kind == BijectorKind.Identity ? null : p.Value.Lower,
            ["upper"] = p.Value.Kind == BijectorKind.Logit ? p.Value.Upper : null,
        }))),
    };

    /// <inheritdoc/>
    public IReadOnlyList<(string Name, NdArray Array)> Arrays() =>
    [
        ("bijector", new NdArray(_kind.Select(k => (long)k).ToArray(), _kind.Length)),
        ("lower", NdArray.Vector((double[])_lower.Clone())),
        ("upper", NdArray.Vector((double[])_upper.Clone())),
    ];
}
