using DluxShera.Contracts;

namespace DluxShera.TestProblems;

/// <summary>
/// A least-squares test problem f(x) = Σᵢ rᵢ(x)² (the Moré–Garbow–Hillstrom convention), written once
/// over dual numbers so residuals, the exact gradient 2Jᵀr, JVPs and VJPs all come from one definition.
/// As an <see cref="IResidualObjective"/> it reports weights wᵢ = 2, so f = ½ Σ wᵢ rᵢ².
/// </summary>
public abstract class LeastSquaresProblem : IResidualObjective, ITruthProvider
{
    private readonly double[] _jacobian;

    /// <summary>Creates the problem.</summary>
    /// <param name="name">Objective name.</param>
    /// <param name="n">Number of variables.</param>
    /// <param name="m">Number of residuals.</param>
    protected LeastSquaresProblem(string name, int n, int m)
    {
        Name = name;
        N = n;
        ResidualCount = m;
        IndexMap = IndexMap.SingleVector(n, "x", "x");
        _jacobian = new double[m * n];
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <summary>Number of variables.</summary>
    public int N { get; }

    /// <inheritdoc/>
    public int ResidualCount { get; }

    /// <inheritdoc/>
    public IndexMap IndexMap { get; }

    /// <summary>The standard starting point.</summary>
    public abstract double[] Start { get; }

    /// <summary>Known local or global minimum values of f reported in the literature (any may be reached).</summary>
    public abstract double[] KnownMinima { get; }

    /// <summary>A known minimiser, when one is published.</summary>
    public virtual double[]? Minimiser => null;

    /// <inheritdoc/>
    public double? KnownMinimum => KnownMinima.Min();

    /// <summary>Writes the residuals over dual numbers.</summary>
    /// <param name="x">Variables.</param>
    /// <param name="r">Receives the m residuals.</param>
    protected abstract void Residuals(ReadOnlySpan<Dual> x, Span<Dual> r);

    /// <inheritdoc/>
    public void GetInitialTheta(Span<double> theta) => Start.CopyTo(theta);

    private Dual[] Evaluate(ReadOnlySpan<double> x, bool withJacobian)
    {
        var xs = new Dual[N];
        for (int j = 0; j < N; j++) xs[j] = withJacobian ? Dual.Variable(x[j], j, N) : new Dual(x[j]);
        var r = new Dual[ResidualCount];
        Residuals(xs, r);
        if (withJacobian)
        {
            for (int i = 0; i < ResidualCount; i++)
            {
                for (int j = 0; j < N; j++) _jacobian[i * N + j] = r[i].D(j);
            }
        }
        return r;
    }

    /// <inheritdoc/>
    public double Evaluate(ReadOnlySpan<double> x, Span<double> gradient)
    {
        var r = Evaluate(x, withJacobian: true);
        gradient[..N].Clear();
        double f = 0;
        for (int i = 0; i < ResidualCount; i++)
        {
            f += r[i].Value * r[i].Value;
            for (int j = 0; j < N; j++) gradient[j] += 2 * r[i].Value * _jacobian[i * N + j];
        }
        return f;
    }

    /// <inheritdoc/>
    public void Residuals(ReadOnlySpan<double> x, Span<double> residuals)
    {
        var r = Evaluate(x, withJacobian: false);
        for (int i = 0; i < ResidualCount; i++) residuals[i] = r[i].Value;
    }

    /// <inheritdoc/>
    public void GetWeights(Span<double> weights) => weights[..ResidualCount].Fill(2.0);

    /// <inheritdoc/>
    public void JacobianVectorProduct(ReadOnlySpan<double> x, ReadOnlySpan<double> v, Span<double> jv)
    {
        Evaluate(x, withJacobian: true);
        for (int i = 0; i < ResidualCount; i++)
        {
            double s = 0;
            for (int j = 0; j < N; j++) s += _jacobian[i * N + j] * v[j];
            jv[i] = s;
        }
    }

    /// <inheritdoc/>
    public void VectorJacobianProduct(ReadOnlySpan<double> x, ReadOnlySpan<double> u, Span<double> jtu)
    {
        Evaluate(x, withJacobian: true);
        jtu[..N].Clear();
        for (int i = 0; i < ResidualCount; i++)
        {
            for (int j = 0; j < N; j++) jtu[j] += _jacobian[i * N + j] * u[i];
        }
    }

    /// <inheritdoc/>
    public bool TryGetTruth(Span<double> theta)
    {
        if (Minimiser is null) return false;
        Minimiser.CopyTo(theta);
        return true;
    }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, object?> Describe() => new Dictionary<string, object?>
    {
        ["name"] = Name,
        ["n"] = N,
        ["m"] = ResidualCount,
        ["known_minima"] = KnownMinima,
    };
}
