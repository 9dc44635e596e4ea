using DluxShera.Contracts;

namespace DluxShera.TestProblems;

/// <summary>Options of <c>objective:noisy_linear_ls</c>.</summary>
public sealed class NoisyLinearOptions : IValidatableOptions
{
    /// <summary>Parameters D.</summary>
    public int Dimension { get; set; } = 5;

    /// <summary>Observations N (≥ D).</summary>
    public int Observations { get; set; } = 200;

    /// <summary>Noise standard deviation σ (the weights are 1/σ²).</summary>
    public double Sigma { get; set; } = 0.1;

    /// <summary>Seed of the design matrix, truth and noise.</summary>
    public ulong Seed { get; set; } = 1;

    /// <inheritdoc/>
    public IEnumerable<(string Key, string Message)> Validate()
    {
        if (Dimension < 1) yield return ("dimension", "must be ≥ 1");
        if (Observations < Dimension) yield return ("observations", $"must be ≥ dimension ({Dimension})");
        if (!(Sigma > 0)) yield return ("sigma", "must be positive");
        // The factory fills the dense N×D design matrix at once, before the host's own memory check can run: refuse
        // sizes that cannot exist (one .NET array) or cannot fit (the memory this process may use) here.
        long cells = (long)Observations * Dimension;
        long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        if (cells > Array.MaxLength)
        {
            yield return ("observations", FormattableString.Invariant($"observations × dimension = {cells:N0} values in the dense design matrix; at most {Array.MaxLength:N0} fit in one array"));
        }
        else if (cells * (double)sizeof(double) > 0.9 * available)
        {
            yield return ("observations", FormattableString.Invariant($"the dense {Observations:N0} × {Dimension:N0} design matrix needs about {cells * (double)sizeof(double) / (1L << 30):0.#} GiB; {available / (double)(1L << 30):0.#} GiB is available"));
        }
    }
}

/// <summary>
/// A linear model y = A θ* + ε, ε ~ N(0, σ²), seeded: loss = ½ Σ (yᵢ − (Aθ)ᵢ)²/σ². Exposes residuals,
/// weights, JVP/VJP and per-observation terms, so Gauss–Newton, Fisher and empirical-Fisher estimators
/// have an exact reference (JᵀWJ = AᵀA/σ², constant).
/// </summary>
public sealed class NoisyLinearLeastSquares : IResidualObjective, IPerObservationObjective, IHessianVectorObjective, ITruthProvider
{
    private readonly NoisyLinearOptions _o;
    private readonly double[] _a; // N×D row-major
    private readonly double[] _y;
    private readonly double[] _truth;
    private readonly double _w;
    private readonly double[] _r;

    /// <summary>Creates the problem.</summary>
    /// <param name="options">Options.</param>
    public NoisyLinearLeastSquares(NoisyLinearOptions options)
    {
        _o = options;
        int n = options.Observations, d = options.Dimension;
        var rng = new Random(unchecked((int)options.Seed ^ (int)(options.Seed >> 32)));
        double Normal() => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
        _a = new double[(long)n * d];
        for (int i = 0; i < _a.Length; i++) _a[i] = Normal();
        _truth = new double[d];
        for (int j = 0; j < d; j++) _truth[j] = Normal();
        _y = new double[n];
        for (int i = 0; i < n; i++)
        {
            double s = 0;
            for (int j = 0; j < d; j++) s += _a[i * d + j] * _truth[j];
            _y[i] = s + options.Sigma * Normal();
        }
        _w = 1 / (options.Sigma * options.Sigma);
        _r = new double[n];
        IndexMap = IndexMap.SingleVector(d, "theta", "linear");
    }

    /// <summary>The design matrix A (N×D, row-major).</summary>
    public ReadOnlySpan<double> Design => _a;

    /// <inheritdoc/>
    public string Name => "noisy_linear_ls";

    /// <inheritdoc/>
    public IndexMap IndexMap { get; }

    /// <inheritdoc/>
    public int ResidualCount => _o.Observations;

    /// <inheritdoc/>
    public int ObservationCount => _o.Observations;

    /// <inheritdoc/>
    public double? KnownMinimum => null;

    /// <inheritdoc/>
    public void GetInitialTheta(Span<double> theta) => theta[.._o.Dimension].Clear();

    /// <inheritdoc/>
    public void Residuals(ReadOnlySpan<double> theta, Span<double> r)
    {
        int d = _o.Dimension;
        for (int i = 0; i < _o.Observations; i++)
        {
            double s = 0;
            for (int j = 0; j < d; j++) s += _a[i * d + j] * theta[j];
            r[i] = _y[i] - s;
        }
    }

    /// <inheritdoc/>
    public double Evaluate(ReadOnlySpan<double> theta, Span<double> g)
    {
        Residuals(theta, _r);
        int d = _o.Dimension;
        g[..d].Clear();
        double f = 0;
        for (int i = 0; i < _o.Observations; i++)
        {
            f += 0.5 * _w * _r[i] * _r[i];
            for (int j = 0; j < d; j++) g[j] -= _w * _r[i] * _a[i * d + j];
        }
        return f;
    }

    /// <inheritdoc/>
    public double EvaluateObservation(int index, ReadOnlySpan<double> theta, Span<double> g)
    {
        int d = _o.Dimension;
        double s = 0;
        for (int j = 0; j < d; j++) s += _a[index * d + j] * theta[j];
        double r = _y[index] - s;
        for (int j = 0; j < d; j++) g[j] = -_w * r * _a[index * d + j];
        return 0.5 * _w * r * r;
    }

    /// <inheritdoc/>
    public void GetWeights(Span<double> w) => w[.._o.Observations].Fill(_w);

    /// <inheritdoc/>
    public void JacobianVectorProduct(ReadOnlySpan<double> theta, ReadOnlySpan<double> v, Span<double> jv)
    {
        int d = _o.Dimension;
        for (int i = 0; i < _o.Observations; i++)
        {
            double s = 0;
            for (int j = 0; j < d; j++) s -= _a[i * d + j] * v[j];
            jv[i] = s;
        }
    }

    /// <inheritdoc/>
    public void VectorJacobianProduct(ReadOnlySpan<double> theta, ReadOnlySpan<double> u, Span<double> jtu)
    {
        int d = _o.Dimension;
        jtu[..d].Clear();
        for (int i = 0; i < _o.Observations; i++)
        {
            for (int j = 0; j < d; j++) jtu[j] -= _a[i * d + j] * u[i];
        }
    }

    /// <inheritdoc/>
    public void HessianVectorProduct(ReadOnlySpan<double> theta, ReadOnlySpan<double> v, Span<double> hv)
    {
        int d = _o.Dimension;
        hv[..d].Clear();
        for (int i = 0; i < _o.Observations; i++)
        {
            double s = 0;
            for (int j = 0; j < d; j++) s += _a[i * d + j] * v[j];
            for (int j = 0; j < d; j++) hv[j] += _w * _a[i * d + j] * s;
        }
    }

    /// <inheritdoc/>
    public bool TryGetTruth(Span<double> theta)
    {
        _truth.CopyTo(theta);
        return true;
    }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, object?> Describe() => new Dictionary<string, object?>
    {
        ["name"] = Name,
        ["dimension"] = _o.Dimension,
        ["observations"] = _o.Observations,
        ["sigma"] = _o.Sigma,
        ["seed"] = _o.Seed,
    };
}
