namespace DluxShera.Contracts;

/// <summary>
/// A differentiable scalar loss over θ (for a model: the negative log-likelihood plus priors).
/// Optional capabilities are separate interfaces discovered by type test:
/// <see cref="IResidualObjective"/>, <see cref="IHessianVectorObjective"/>,
/// <see cref="IPerObservationObjective"/>, <see cref="IBatchedObjective"/>, <see cref="ITruthProvider"/>.
/// </summary>
/// <remarks>Implementations may reuse internal buffers: one instance is called from one thread at a time.</remarks>
public interface IObjective
{
    /// <summary>A stable identity, e.g. <c>rosenbrock</c> or <c>shera.two_plane</c>.</summary>
    string Name { get; }

    /// <summary>The layout of θ; its dimension is D.</summary>
    IndexMap IndexMap { get; }

    /// <summary>Writes the default starting point θ₀ (length D).</summary>
    /// <param name="theta">Receives θ₀.</param>
    void GetInitialTheta(Span<double> theta);

    /// <summary>Returns the loss at θ and writes ∂loss/∂θ into <paramref name="gradient"/>.</summary>
    /// <param name="theta">θ, length D.</param>
    /// <param name="gradient">Receives the gradient, length D.</param>
    double Evaluate(ReadOnlySpan<double> theta, Span<double> gradient);

    /// <summary>The identity recorded in <c>meta.json.objective</c> (name, data identifiers, options).</summary>
    IReadOnlyDictionary<string, object?> Describe();
}

/// <summary>
/// A least-squares structured objective: loss = ½ Σᵢ wᵢ rᵢ(θ)² (+ terms independent of the residuals,
/// such as priors, reported separately by the objective). Enables Gauss–Newton, Levenberg–Marquardt and Fisher.
/// </summary>
public interface IResidualObjective : IObjective
{
    /// <summary>Number of residuals N.</summary>
    int ResidualCount { get; }

    /// <summary>Writes r(θ) (length N).</summary>
    /// <param name="theta">θ.</param>
    /// <param name="residuals">Receives r.</param>
    void Residuals(ReadOnlySpan<double> theta, Span<double> residuals);

    /// <summary>Writes the non-negative weights w (length N); constant in θ.</summary>
    /// <param name="weights">Receives w.</param>
    void GetWeights(Span<double> weights);

    /// <summary>Jacobian-vector product J v (length N), J = ∂r/∂θ at θ.</summary>
    /// <param name="theta">θ.</param>
    /// <param name="v">A θ-space vector (length D).</param>
    /// <param name="jv">Receives J v.</param>
    void JacobianVectorProduct(ReadOnlySpan<double> theta, ReadOnlySpan<double> v, Span<double> jv);

    /// <summary>Vector-Jacobian product Jᵀ u (length D).</summary>
    /// <param name="theta">θ.</param>
    /// <param name="u">A residual-space vector (length N).</param>
    /// <param name="jtu">Receives Jᵀ u.</param>
    void VectorJacobianProduct(ReadOnlySpan<double> theta, ReadOnlySpan<double> u, Span<double> jtu);
}

/// <summary>Exact Hessian-vector products of the loss.</summary>
public interface IHessianVectorObjective : IObjective
{
    /// <summary>Writes H(θ) v, H = ∂²loss/∂θ².</summary>
    /// <param name="theta">θ.</param>
    /// <param name="v">The vector (length D).</param>
    /// <param name="hv">Receives H v.</param>
    void HessianVectorProduct(ReadOnlySpan<double> theta, ReadOnlySpan<double> v, Span<double> hv);
}

/// <summary>A loss that is a sum of per-observation terms (e.g. per pixel), for the empirical Fisher.</summary>
public interface IPerObservationObjective : IObjective
{
    /// <summary>Number of observations M.</summary>
    int ObservationCount { get; }

    /// <summary>Returns the loss term of observation <paramref name="index"/> and writes its gradient.</summary>
    /// <param name="index">0 ≤ index &lt; M.</param>
    /// <param name="theta">θ.</param>
    /// <param name="gradient">Receives ∂termᵢ/∂θ.</param>
    double EvaluateObservation(int index, ReadOnlySpan<double> theta, Span<double> gradient);
}

/// <summary>Evaluates many θ at once (ensembles, GPUs).</summary>
public interface IBatchedObjective : IObjective
{
    /// <summary>Evaluates B points: <paramref name="thetas"/> is B×D row-major; writes B losses and B×D gradients.</summary>
    /// <param name="thetas">B×D θ values, row-major.</param>
    /// <param name="losses">Receives B losses.</param>
    /// <param name="gradients">Receives B×D gradients, row-major.</param>
    void EvaluateBatch(ReadOnlySpan<double> thetas, Span<double> losses, Span<double> gradients);
}

/// <summary>An objective that knows the true θ (simulated data, analytic problems with known minima).</summary>
public interface ITruthProvider
{
    /// <summary>Writes the truth (or known minimiser) into <paramref name="theta"/>; false when unknown.</summary>
    /// <param name="theta">Receives the true θ.</param>
    bool TryGetTruth(Span<double> theta);

    /// <summary>The known minimum of the loss, or null.</summary>
    double? KnownMinimum { get; }
}
