using DluxShera.Contracts;
using DluxShera.Theta;

namespace DluxShera.Host.Diagnostics;

/// <summary>
/// The extra loss terms (priors, constants) of a primitive objective seen from a θ-space: the value is the same
/// scalar at primitive(z), and its gradient is pulled back through the map. <c>check-gradients</c> needs it to
/// verify loss = ½ Σ wᵢ rᵢ² + extra for the composed objective a θ-mapped run optimises.
/// </summary>
/// <param name="composed">The objective in z (loss ∘ map); every IObjective member is its.</param>
/// <param name="chain">The map.</param>
/// <param name="primitive">The primitive objective's terms.</param>
public sealed class MappedExtraLossTerms(IObjective composed, ThetaMapChain chain, IExtraLossTerms primitive) : IExtraLossTerms
{
    private readonly double[] _theta = new double[chain.PrimitiveDimension];
    private readonly double[] _gradient = new double[chain.PrimitiveDimension];

    /// <inheritdoc/>
    public string Name => composed.Name;

    /// <inheritdoc/>
    public IndexMap IndexMap => composed.IndexMap;

    /// <inheritdoc/>
    public void GetInitialTheta(Span<double> theta) => composed.GetInitialTheta(theta);

    /// <inheritdoc/>
    public double Evaluate(ReadOnlySpan<double> theta, Span<double> gradient) => composed.Evaluate(theta, gradient);

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, object?> Describe() => composed.Describe();

    /// <inheritdoc/>
    public double ExtraLoss(ReadOnlySpan<double> theta, Span<double> gradient)
    {
        chain.ToPrimitive(theta, _theta);
        double extra = primitive.ExtraLoss(_theta, _gradient);
        chain.PullBackGradient(theta, _gradient, gradient);
        return extra;
    }
}
