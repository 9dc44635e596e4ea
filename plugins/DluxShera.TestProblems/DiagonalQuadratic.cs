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
    private readonly int _d;
    private double[]? _curvatures;

    /// <summary>Creates the problem.</summary>
    /// <param name="options">Options.</param>
    public DiagonalQuadratic(QuadraticOptions options)
    {
        _options = options;
        int d = options.Dimension;
        _d = d;
        IndexMap = IndexMap.SingleVector(d, "x", "x");
    }

    /// <summary>The diagonal of the Hessian.</summary>
    public ReadOnlySpan<double> Curvatures => CurvatureVector;

    // Built on first use, not by the factory: the host checks the memory a run of this dimension needs
    // before anything of size D exists (dimension = 2·10⁹ is refused, not allocated).
    private double[] CurvatureVector => _curvatures ??= BuildCurvatures(_d, _options.Condition);

    private static double[] BuildCurvatures(int d, double condition)
    {
        var h = new double[d];
        for (int i = 0; i < d; i++) h[i] = d == 1 ? 1.0 : Math.Pow(condition, (double)i / (d - 1));
        return h;
    }

    /// <inheritdoc/>
    public string Name => "quadratic";

    /// <inheritdoc/>
    public IndexMap IndexMap { get; }

    /// <inheritdoc/>
    public int ResidualCount => _d;

    /// <inheritdoc/>
    public double? KnownMinimum => 0.0;

    /// <inheritdoc/>
    public void GetInitialTheta(Span<double> theta) => theta[.._d].Fill(_options.Start);

    /// <inheritdoc/>
    public double Evaluate(ReadOnlySpan<double> x, Span<double> g)
    {
        double f = 0;
        var h = CurvatureVector;
        for (int i = 0; i < h.Length; i++)
        {
            g[i] = h[i] * x[i];
            f += 0.5 * h[i] * x[i] * x[i];
        }
        return f;
    }

    /// <inheritdoc/>
    public void HessianVectorProduct(ReadOnlySpan<double> x, ReadOnlySpan<double> v, Span<double> hv)
    {
        var h = CurvatureVector;
        for (int i = 0; i < h.Length; i++) hv[i] = h[i] * v[i];
    }

    /// <inheritdoc/>
    public void Residuals(ReadOnlySpan<double> x, Span<double> r)
    {
        var h = CurvatureVector;
        for (int i = 0; i < h.Length; i++) r[i] = Math.Sqrt(h[i]) * x[i];
    }

    /// <inheritdoc/>
    public void GetWeights(Span<double> w) => w[.._d].Fill(1.0);

    /// <inheritdoc/>
    public void JacobianVectorProduct(ReadOnlySpan<double> x, ReadOnlySpan<double> v, Span<double> jv)
    {
        var h = CurvatureVector;
        for (int i = 0; i < h.Length; i++) jv[i] = Math.Sqrt(h[i]) * v[i];
    }

    /// <inheritdoc/>
    public void VectorJacobianProduct(ReadOnlySpan<double> x, ReadOnlySpan<double> u, Span<double> jtu)
    {
        var h = CurvatureVector;
        for (int i = 0; i < h.Length; i++) jtu[i] = Math.Sqrt(h[i]) * u[i];
    }

    /// <inheritdoc/>
    public bool TryGetTruth(Span<double> theta)
    {
        theta[.._d].Clear();
        return true;
    }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, object?> Describe() => new Dictionary<string, object?>
    {
        ["name"] = Name,
        ["dimension"] = _d,
        ["condition"] = _options.Condition,
        ["known_minimum"] = 0.0,
    };
}
