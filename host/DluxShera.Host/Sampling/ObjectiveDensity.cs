using DluxShera.Contracts;

namespace DluxShera.Host.Sampling;

/// <summary>log p(θ) = −loss(θ) (the loss already holds the priors), ∇ log p = −∇loss.</summary>
/// <param name="objective">The objective; one density per chain, as an objective serves one thread at a time.</param>
public sealed class ObjectiveDensity(IObjective objective) : ILogDensity
{
    /// <inheritdoc/>
    public IndexMap IndexMap => objective.IndexMap;

    /// <inheritdoc/>
    public double Evaluate(ReadOnlySpan<double> theta, Span<double> gradient)
    {
        double loss = objective.Evaluate(theta, gradient);
        for (int i = 0; i < gradient.Length; i++) gradient[i] = -gradient[i];
        return -loss;
    }
}
