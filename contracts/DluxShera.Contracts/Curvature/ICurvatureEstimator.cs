namespace DluxShera.Contracts;

/// <summary>
/// Estimates curvature of the loss at θ: a non-negative diagonal (always) and, when asked, a dense
/// D×D matrix. Feeds preconditioned learning rates, eigenmodes and sampler mass matrices.
/// </summary>
public interface ICurvatureEstimator
{
    /// <summary>The method name recorded in meta (e.g. <c>hutchinson</c>).</summary>
    string Method { get; }

    /// <summary>Estimates curvature at θ.</summary>
    /// <param name="objective">The objective (its optional capabilities are used when present).</param>
    /// <param name="theta">θ.</param>
    /// <param name="request">What to compute.</param>
    /// <exception cref="NotSupportedException">The objective lacks a capability the method needs; the message names the objective.</exception>
    CurvatureEstimate Estimate(IObjective objective, ReadOnlySpan<double> theta, CurvatureRequest request);

    /// <summary>Provenance for <c>meta.json.optimizer.preconditioning</c> (method, probes, seed, eps, floor…).</summary>
    IReadOnlyDictionary<string, object?> Describe();
}

/// <summary>Estimators that learn from the gradients of a running optimisation (e.g. an EMA of g²).</summary>
public interface IGradientObserver
{
    /// <summary>Feeds the gradient of step <paramref name="step"/>.</summary>
    /// <param name="step">The step.</param>
    /// <param name="gradient">∇loss(θ_step).</param>
    void Observe(int step, ReadOnlySpan<double> gradient);
}

/// <summary>What to estimate.</summary>
/// <param name="Dense">Also return the dense matrix.</param>
public readonly record struct CurvatureRequest(bool Dense = false);

/// <summary>A curvature estimate after guardrails.</summary>
public sealed class CurvatureEstimate
{
    /// <summary>The diagonal, finite and ≥ the floor (length D).</summary>
    public required double[] Diagonal { get; init; }

    /// <summary>
    /// The estimator's diagonal before guardrails (floor, ceiling, |·| of negatives, non-finite entries), for
    /// curvature.npz's <c>curv_diag_raw</c>; null means it equals <see cref="Diagonal"/>. Added in contract 1.2.
    /// </summary>
    public double[]? RawDiagonal { get; init; }

    /// <summary>The dense D×D matrix, row-major, or null.</summary>
    public double[]? Dense { get; init; }

    /// <summary>Entries the guardrails moved to a bound: raised to the floor (below it, or negative when negatives are
    /// floored) or clipped to the ceiling. Non-finite entries are counted in <see cref="NonFiniteCount"/> instead.</summary>
    public int FlooredCount { get; init; }

    /// <summary>Entries that were NaN or infinite before the guardrails.</summary>
    public int NonFiniteCount { get; init; }

    /// <summary>Objective evaluations (or HVPs) spent.</summary>
    public int Evaluations { get; init; }
}
