using System.Numerics.Tensors;
using DluxShera.Contracts;
using DluxShera.LeastSquares;
using static DluxShera.Curvature.CapabilityChecks;

namespace DluxShera.Curvature;

/// <summary>Options of <c>curvature:hutchinson</c>.</summary>
public sealed class HutchinsonOptions : GuardrailOptions
{
    /// <summary>Rademacher probes K.</summary>
    public int Probes { get; set; } = 10;

    /// <summary>Probe seed; null derives one from the run seed.</summary>
    public ulong? Seed { get; set; }

    /// <summary>Use central differences even when the objective offers exact HVPs.</summary>
    public bool FiniteDifferences { get; set; }

    /// <inheritdoc/>
    public override IEnumerable<(string Key, string Message)> Validate() =>
        base.Validate().Concat(Probes >= 1 ? [] : [("probes", "must be ≥ 1")]);
}

/// <summary>
/// Hutchinson's estimator diag(H) ≈ (1/K) Σ_k (H v_k) ⊙ v_k with Rademacher v_k ∈ {±1}^D: unbiased, with
/// variance falling as 1/K. The probes come from a seeded SplitMix64 stream, so estimates are reproducible; each
/// estimate (the first, then every refresh) draws from a stream of its own, so refreshes and their EMA smoothing
/// see new probes: stream 0 starts at the recorded seed, stream k at <see cref="StreamSeed"/>(seed, k).
/// </summary>
/// <param name="options">Options.</param>
/// <param name="seed">The probe seed (recorded).</param>
public sealed class HutchinsonDiagonal(HutchinsonOptions options, ulong seed) : ICurvatureEstimator
{
    /// <summary>The seed's vocabulary for this method (the component is registered as <c>curvature:hutchinson</c>).</summary>
    public string Method => "hutchinson_hessian_diag";

    private string _hvp = "";
    private int _streams;

    /// <summary>The first state of probe stream <paramref name="stream"/>: the seed itself for stream 0, else a SplitMix64 hash of (seed, k).</summary>
    /// <param name="seed">The probe seed.</param>
    /// <param name="stream">Zero-based estimate index.</param>
    public static ulong StreamSeed(ulong seed, int stream)
    {
        if (stream == 0) return seed;
        ulong state = seed ^ (0xD1B54A32D192ED03UL * (ulong)stream);
        return SplitMix64(ref state);
    }

    /// <inheritdoc/>
    public CurvatureEstimate Estimate(IObjective objective, ReadOnlySpan<double> theta, CurvatureRequest request)
    {
        int d = theta.Length;
        var products = new HessianVectorProducts(objective, options.FiniteDifferences);
        _hvp = products.Description;
        // All K probes first (same stream order as one at a time), then their products in one batch where the
        // objective evaluates batches (IBatchedObjective: one GPU launch sequence, or parallel CPU workers).
        var v = new double[options.Probes * d];
        var hv = new double[options.Probes * d];
        var sum = new double[d];
        ulong state = StreamSeed(seed, _streams++);
        for (int i = 0; i < v.Length; i++) v[i] = (SplitMix64(ref state) & 1) == 0 ? 1.0 : -1.0;
        products.MultiplyBatch(theta, v, hv);
        for (int k = 0; k < options.Probes; k++)
        {
            for (int i = 0; i < d; i++) sum[i] += hv[k * d + i] * v[k * d + i];
        }
        TensorPrimitives.Divide(sum, options.Probes, sum);
        return Guardrails.Apply(sum, options, null, products.Evaluations);
    }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, object?> Describe()
    {
        var d = Guardrails.Describe(Method, options);
        d["probes"] = options.Probes;
        d["seed"] = seed;
        d["probe_streams"] = _streams;
        d["probe_stream_rule"] = "stream 0 starts at seed; stream k > 0 at splitmix64(seed ^ (0xD1B54A32D192ED03 * k))";
        d["hvp"] = _hvp;
        return d;
    }

    internal static ulong SplitMix64(ref ulong state)
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}

/// <summary>Options of <c>curvature:ema_grad2</c>.</summary>
public sealed class EmaGrad2Options : GuardrailOptions
{
    /// <summary>β in v_t = β v_{t−1} + (1 − β) g_t².</summary>
    public double Beta { get; set; } = 0.99;

    /// <summary>Initialisation: <c>first</c> (v_0 = g_0²) or <c>zero</c> (v_0 = 0 with Adam-style bias correction 1/(1 − β^t)).</summary>
    public EmaInit Init { get; set; } = EmaInit.First;

    /// <inheritdoc/>
    public override IEnumerable<(string Key, string Message)> Validate() =>
        base.Validate().Concat(Beta is >= 0 and < 1 ? [] : [("beta", "must be in [0, 1)")]);
}

/// <summary>EMA initialisation.</summary>
public enum EmaInit
{
    /// <summary>v_0 = g_0².</summary>
    First,

    /// <summary>v_0 = 0, bias-corrected.</summary>
    Zero,
}

/// <summary>
/// An exponential moving average of squared gradients, v_t = β v_{t−1} + (1 − β) g_t², fed by the optimizer
/// every step through <see cref="IGradientObserver"/>. Before any gradient is observed, an estimate
/// evaluates the gradient at θ once and starts from g².
/// </summary>
/// <param name="options">Options.</param>
public sealed class EmaGradientSquares(EmaGrad2Options options) : ICurvatureEstimator, IGradientObserver
{
    private double[]? _v;
    private int _count;

    /// <inheritdoc/>
    public string Method => "ema_grad2";

    /// <summary>Gradients observed so far.</summary>
    public int Observed => _count;

    /// <inheritdoc/>
    public void Observe(int step, ReadOnlySpan<double> gradient)
    {
        if (_v is null)
        {
            _v = new double[gradient.Length];
            if (options.Init == EmaInit.First)
            {
                TensorPrimitives.Multiply(gradient, gradient, _v);
                _count = 1;
                return;
            }
        }
        for (int i = 0; i < gradient.Length; i++) _v[i] = options.Beta * _v[i] + (1 - options.Beta) * gradient[i] * gradient[i];
        _count++;
    }

    /// <inheritdoc/>
    public CurvatureEstimate Estimate(IObjective objective, ReadOnlySpan<double> theta, CurvatureRequest request)
    {
        int evaluations = 0;
        if (_v is null)
        {
            var g = new double[theta.Length];
            objective.Evaluate(theta, g);
            evaluations = 1;
            Observe(0, g);
        }
        var result = (double[])_v!.Clone();
        if (options.Init == EmaInit.Zero) TensorPrimitives.Divide(result, 1 - Math.Pow(options.Beta, _count), result);
        return Guardrails.Apply(result, options, null, evaluations);
    }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, object?> Describe()
    {
        var d = Guardrails.Describe(Method, options);
        d["beta"] = options.Beta;
        d["init"] = options.Init.ToString().ToLowerInvariant();
        d["observed"] = _count;
        return d;
    }
}

/// <summary>Options of <c>curvature:empirical_fisher</c>.</summary>
public sealed class EmpiricalFisherOptions : GuardrailOptions
{
    /// <summary><c>sum</c> (Σᵢ gᵢ², the scale of the total loss's Fisher) or <c>mean</c>.</summary>
    public Reduction Reduction { get; set; } = Reduction.Sum;
}

/// <summary>Sum or mean over observations.</summary>
public enum Reduction
{
    /// <summary>Σᵢ.</summary>
    Sum,

    /// <summary>(1/M) Σᵢ.</summary>
    Mean,
}

/// <summary>The empirical Fisher diagonal Σᵢ (∂ℓᵢ/∂θ)² over per-observation loss terms.</summary>
/// <param name="options">Options.</param>
public sealed class EmpiricalFisherDiagonal(EmpiricalFisherOptions options) : ICurvatureEstimator
{
    /// <inheritdoc/>
    public string Method => "empirical_fisher";

    /// <inheritdoc/>
    public CurvatureEstimate Estimate(IObjective objective, ReadOnlySpan<double> theta, CurvatureRequest request)
    {
        if (objective is not IPerObservationObjective perObservation)
        {
            throw new NotSupportedException($"empirical_fisher needs per-observation loss terms, which objective '{objective.Name}' does not expose (IPerObservationObjective); use hutchinson, gn_diag or ema_grad2.");
        }
        int d = theta.Length, m = perObservation.ObservationCount;
        var g = new double[d];
        var sum = new double[d];
        for (int i = 0; i < m; i++)
        {
            perObservation.EvaluateObservation(i, theta, g);
            for (int j = 0; j < d; j++) sum[j] += g[j] * g[j];
        }
        if (options.Reduction == Reduction.Mean) TensorPrimitives.Divide(sum, m, sum);
        return Guardrails.Apply(sum, options, null, m);
    }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, object?> Describe()
    {
        var d = Guardrails.Describe(Method, options);
        d["reduction"] = options.Reduction.ToString().ToLowerInvariant();
        return d;
    }
}

/// <summary>
/// The Gauss–Newton diagonal diag(JᵀWJ)ⱼ = Σᵢ wᵢ Jᵢⱼ², from D JVPs (columns) or N VJPs (rows),
/// whichever is fewer; exact for linear least squares.
/// </summary>
/// <param name="options">Guardrails.</param>
public sealed class GaussNewtonDiagonal(GuardrailOptions options) : ICurvatureEstimator
{
    /// <inheritdoc/>
    public string Method => "gn_diag";

    /// <inheritdoc/>
    public CurvatureEstimate Estimate(IObjective objective, ReadOnlySpan<double> theta, CurvatureRequest request)
    {
        var jacobian = ResidualJacobian.At(RequireResiduals(objective, Method), theta);
        return Guardrails.Apply(jacobian.NormalDiagonal(), options, request.Dense ? jacobian.Normal() : null, jacobian.Products);
    }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, object?> Describe() => Guardrails.Describe(Method, options);
}

/// <summary>
/// A dense curvature matrix: JᵀWJ when the objective exposes residuals, otherwise the Hessian from D
/// Hessian-vector products (exact or by central differences), symmetrised. For eigenmodes and dense mass matrices.
/// </summary>
/// <param name="options">Guardrails (applied to the diagonal).</param>
public sealed class DenseFisher(GuardrailOptions options) : ICurvatureEstimator
{
    private string _source = "";

    /// <inheritdoc/>
    public string Method => "fisher_dense";

    /// <inheritdoc/>
    public CurvatureEstimate Estimate(IObjective objective, ReadOnlySpan<double> theta, CurvatureRequest request)
    {
        int d = theta.Length;
        double[] dense;
        int evaluations;
        if (objective is IResidualObjective residual)
        {
            var jacobian = ResidualJacobian.At(residual, theta);
            dense = jacobian.Normal();
            evaluations = jacobian.Products;
            _source = "jtwj";
        }
        else
        {
            var hvp = new HessianVectorProducts(objective);
            var e = new double[d];
            var column = new double[d];
            dense = new double[d * d];
            for (int k = 0; k < d; k++)
            {
                e[k] = 1;
                hvp.Multiply(theta, e, column);
                e[k] = 0;
                for (int i = 0; i < d; i++) dense[i * d + k] = column[i];
            }
            for (int a = 0; a < d; a++)
            {
                for (int b = a + 1; b < d; b++)
                {
                    double s = 0.5 * (dense[a * d + b] + dense[b * d + a]);
                    dense[a * d + b] = dense[b * d + a] = s;
                }
            }
            evaluations = hvp.Evaluations;
            _source = "hessian(" + hvp.Description + ")";
        }
        var diag = new double[d];
        for (int i = 0; i < d; i++) diag[i] = dense[i * d + i];
        return Guardrails.Apply(diag, options, dense, evaluations);
    }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, object?> Describe()
    {
        var d = Guardrails.Describe(Method, options);
        d["source"] = _source;
        return d;
    }
}

/// <summary>The capability check gn_diag needs.</summary>
internal static class CapabilityChecks
{
    public static IResidualObjective RequireResiduals(IObjective objective, string method) =>
        objective as IResidualObjective ?? throw new NotSupportedException(
            $"{method} needs residuals (IResidualObjective), which objective '{objective.Name}' does not expose; use hutchinson or fisher_dense (Hessian) instead.");
}
