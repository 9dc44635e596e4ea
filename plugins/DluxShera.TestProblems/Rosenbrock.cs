using DluxShera.Contracts;

namespace DluxShera.TestProblems;

/// <summary>Options of <c>objective:rosenbrock</c>.</summary>
public sealed class RosenbrockOptions : IValidatableOptions
{
    /// <summary>Dimension D ≥ 2.</summary>
    public int Dimension { get; set; } = 2;

    /// <summary>The curvature coefficient (100 in the classic problem).</summary>
    public double B { get; set; } = 100.0;

    /// <summary>Starting point; default the standard (−1.2, 1, −1.2, 1, …).</summary>
    public double[]? Start { get; set; }

    /// <inheritdoc/>
    public IEnumerable<(string Key, string Message)> Validate()
    {
        if (Dimension < 2) yield return ("dimension", $"must be at least 2, got {Dimension}");
        if (B <= 0) yield return ("b", $"must be positive, got {B}");
        if (Start is not null && Start.Length != Dimension) yield return ("start", $"has {Start.Length} values; expected dimension = {Dimension}");
    }
}

/// <summary>
/// The chained Rosenbrock function f(x) = Σᵢ b (x_{i+1} − x_i²)² + (1 − x_i)², minimum 0 at x = 1.
/// </summary>
public sealed class Rosenbrock(RosenbrockOptions options) : IHessianVectorObjective, ITruthProvider
{
    private readonly int _d = options.Dimension;
    private readonly double _b = options.B;

    /// <inheritdoc/>
    public string Name => "rosenbrock";

    /// <inheritdoc/>
    public IndexMap IndexMap { get; } = IndexMap.SingleVector(options.Dimension, "x", "x");

    /// <inheritdoc/>
    public double? KnownMinimum => 0.0;

    /// <inheritdoc/>
    public void GetInitialTheta(Span<double> theta)
    {
        for (int i = 0; i < _d; i++) theta[i] = options.Start?[i] ?? (i % 2 == 0 ? -1.2 : 1.0);
    }

    /// <inheritdoc/>
    public double Evaluate(ReadOnlySpan<double> x, Span<double> g)
    {
        g[.._d].Clear();
        double f = 0;
        for (int i = 0; i < _d - 1; i++)
        {
            double a = x[i + 1] - x[i] * x[i];
            double c = 1 - x[i];
            f += _b * a * a + c * c;
            g[i] += -4 * _b * a * x[i] - 2 * c;
            g[i + 1] += 2 * _b * a;
        }
        return f;
    }

    /// <inheritdoc/>
    public void HessianVectorProduct(ReadOnlySpan<double> x, ReadOnlySpan<double> v, Span<double> hv)
    {
        hv[.._d].Clear();
        for (int i = 0; i < _d - 1; i++)
        {
            // Hessian of the term b(x_{i+1} − x_i²)² + (1 − x_i)² in (x_i, x_{i+1}).
            double hii = 12 * _b * x[i] * x[i] - 4 * _b * x[i + 1] + 2;
            double hij = -4 * _b * x[i];
            double hjj = 2 * _b;
            hv[i] += hii * v[i] + hij * v[i + 1];
            hv[i + 1] += hij * v[i] + hjj * v[i + 1];
        }
    }

    /// <inheritdoc/>
    public bool TryGetTruth(Span<double> theta)
    {
        theta[.._d].Fill(1.0);
        return true;
    }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, object?> Describe() => new Dictionary<string, object?>
    {
        ["name"] = Name,
        ["dimension"] = _d,
        ["b"] = _b,
        ["known_minimum"] = 0.0,
    };
}
