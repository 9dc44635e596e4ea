using DluxShera.Contracts;

namespace DluxShera.TestProblems;

/// <summary>Options of <c>objective:quadratic</c>.</summary>
public sealed class QuadraticOptions : IValidatableOptions
{
    /// <summary>Dimension D ≥ 1.</summary>
    public int Dimension { get; set; } = 10;

    /// <summary>Condition number κ: curvatures are log-spaced from 1 to κ.</summary>
    public double Condition { get; set; } = 100.0;

    /// <summary>Every coordinate of the starting point (the minimum is at 0).</summary>
    public double Start { get; set; } = 1.0;

    /// <inheritdoc/>
    public IEnumerable<(string Key, string Message)> Validate()
    {
        if (Dimension < 1) yield return ("dimension", $"must be at least 1, got {Dimension}");
        if (!(Condition >= 1)) yield return ("condition", $"must be ≥ 1, got {Condition}");
    }
}

/// <summary>
/// f(x) = ½ Σᵢ hᵢ xᵢ², hᵢ = κ^{i/(D−1)}: a diagonal quadratic of condition κ with minimum 0 at x = 0.
/// Exposes exact Hessian-vector products and residuals rᵢ = √hᵢ xᵢ (so f = ½‖r‖²).
/// </summary>
public sealed class DiagonalQuadratic : IHessianVectorObjective, IResidualObjective, ITruthProvider
{
    private readonly QuadraticOptions _options;
    private readonly double[] _h;

    /// <summary>Creates the problem.</summary>
    /// <param name="options">Options.</param>
    public DiagonalQuadratic(QuadraticOptions options)
    {
        _options = options;
        int d = options.Dimension;
        _h = new double[d];
        for (int i = 0; i < d; i++) _h[i] = d == 1 ? 1.0 : Math.Pow(options.Condition, (double)i / (d - 1));
        IndexMap = IndexMap.SingleVector(d, "x", "x");
    }

    /// <summary>The diagonal of the Hessian.</summary>
    public ReadOnlySpan<double> Curvatures => _h;

    /// <inheritdoc/>
    public string Name => "quadratic";

    /// <inheritdoc/>
    public IndexMap IndexMap { get; }

    /// <inheritdoc/>
    public int ResidualCount => _h.Length;

    /// <inheritdoc/>
    public double? KnownMinimum => 0.0;

    /// <inheritdoc/>
    public void GetInitialTheta(Span<double> theta) => theta[.._h.Length].Fill(_options.Start);

    /// <inheritdoc/>
    public double Evaluate(ReadOnlySpan<double> x, Span<double> g)
    {
        double f = 0;
        for (int i = 0; i < _h.Length; i++)
        {
            g[i] = _h[i] * x[i];
            f += 0.5 * _h[i] * x[i] * x[i];
        }
        return f;
    }

    /// <inheritdoc/>
    public void HessianVectorProduct(ReadOnlySpan<double> x, ReadOnlySpan<double> v, Span<double> hv)
    {
        for (int i = 0; i < _h.Length; i++) hv[i] = _h[i] * v[i];
    }

    /// <inheritdoc/>
    public void Residuals(ReadOnlySpan<double> x, Span<double> r)
    {
        for (int i = 0; i < _h.Length; i++) r[i] = Math.Sqrt(_h[i]) * x[i];
    }

    /// <inheritdoc/>
    public void GetWeights(Span<double> w) => w[.._h.Length].Fill(1.0);

    /// <inheritdoc/>
    public void JacobianVectorProduct(ReadOnlySpan<double> x, ReadOnlySpan<double> v, Span<double> jv)
    {
        for (int i = 0; i < _h.Length; i++) jv[i] = Math.Sqrt(_h[i]) * v[i];
    }

    /// <inheritdoc/>
    public void VectorJacobianProduct(ReadOnlySpan<double> x, ReadOnlySpan<double> u, Span<double> jtu)
    {
        for (int i = 0; i < _h.Length; i++) jtu[i] = Math.Sqrt(_h[i]) * u[i];
    }

    /// <inheritdoc/>
    public bool TryGetTruth(Span<double> theta)
    {
        theta[.._h.Length].Clear();
        return true;
    }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, object?> Describe() => new Dictionary<string, object?>
    {
        ["name"] = Name,
        ["dimension"] = _h.Length,
        ["condition"] = _options.Condition,
        ["known_minimum"] = 0.0,
    };
}
