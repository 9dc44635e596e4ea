namespace DluxShera.Contracts;

/// <summary>
/// The part of the loss that its residuals (½ Σ wᵢ rᵢ²) and per-observation terms (Σ termᵢ) leave out:
/// priors and normalising constants. Added in contract 1.2, so that <c>dluxshera check-gradients</c> can
/// verify loss = ½ Σ wᵢ rᵢ² + extra and loss = Σ termᵢ + extra. An objective without it declares the
/// extra terms to be zero.
/// </summary>
public interface IExtraLossTerms : IObjective
{
    /// <summary>
    /// Returns loss(θ) − ½ Σ wᵢ rᵢ(θ)² and writes its gradient; returns NaN when the residuals only
    /// approximate the loss (e.g. Gauss–Newton residuals of a Poisson likelihood), so no identity holds.
    /// </summary>
    /// <param name="theta">θ.</param>
    /// <param name="gradient">Receives the gradient of the extra terms (length D).</param>
    double ExtraLoss(ReadOnlySpan<double> theta, Span<double> gradient);
}
