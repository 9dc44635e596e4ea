namespace DluxShera.Contracts;

/// <summary>
/// An objective the host has reparameterised: its θ is a map's coordinate z (eigenmodes, unconstrained
/// bijectors) and primitive = f(z). The loss is unchanged by the map (loss_z(z) = loss(f(z))), which is what
/// optimizers want; a sampler drawing in z must add the change-of-variables term:
/// <c>log p_z(z) = −loss(f(z)) + log|det ∂f/∂z|</c>. This capability gives that term and its gradient.
/// <see cref="ObjectiveLogDensity"/> builds the sampler's density with it. Added in contract 1.2.
/// </summary>
/// <remarks>
/// For linear maps (identity, eigen, whitened eigen) the term is a constant and its gradient is zero; for
/// per-entry bijectors it is Σₖ log|f′ₖ(zₖ)| (log: zₖ, logit: log σ(zₖ)(1 − σ(zₖ)) + log(b − a)).
/// </remarks>
public interface ILogJacobianObjective : IObjective
{
    /// <summary>Returns log|det ∂primitive/∂θ| at θ and writes its gradient with respect to θ.</summary>
    /// <param name="theta">θ (the map's coordinate), length D.</param>
    /// <param name="gradient">Receives ∂ log|det J| / ∂θ, length D.</param>
    double LogAbsDetJacobian(ReadOnlySpan<double> theta, Span<double> gradient);
}
