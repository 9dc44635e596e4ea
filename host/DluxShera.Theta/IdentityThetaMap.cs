using System.Text.Json.Nodes;
using DluxShera.Contracts;

namespace DluxShera.Theta;

/// <summary>θ is the primitive vector.</summary>
/// <param name="indexMap">The objective's IndexMap.</param>
public sealed class IdentityThetaMap(IndexMap indexMap) : IDifferentiableThetaMap
{
    /// <inheritdoc/>
    public string Kind => "identity";

    /// <inheritdoc/>
    public string ThetaSpace => "primitive";

    /// <inheritdoc/>
    public string Id => "identity";

    /// <inheritdoc/>
    public string Hash => "";

    /// <inheritdoc/>
    public int ThetaDimension => indexMap.Dimension;

    /// <inheritdoc/>
    public int PrimitiveDimension => indexMap.Dimension;

    /// <inheritdoc/>
    public IndexMap ThetaIndexMap => indexMap;

    /// <inheritdoc/>
    public bool IsAffine => true;

    /// <inheritdoc/>
    public void ToPrimitive(ReadOnlySpan<double> theta, Span<double> primitive) => theta.CopyTo(primitive);

    /// <inheritdoc/>
    public void ToTheta(ReadOnlySpan<double> primitive, Span<double> theta) => primitive.CopyTo(theta);

    /// <inheritdoc/>
    public void PullBackGradient(ReadOnlySpan<double> theta, ReadOnlySpan<double> primitiveGradient, Span<double> thetaGradient) =>
        primitiveGradient.CopyTo(thetaGradient);

    /// <inheritdoc/>
    public void PushForward(ReadOnlySpan<double> theta, ReadOnlySpan<double> v, Span<double> primitiveTangent) => v.CopyTo(primitiveTangent);

    /// <inheritdoc/>
    public void AddSecondOrderTerm(ReadOnlySpan<double> theta, ReadOnlySpan<double> primitiveGradient, ReadOnlySpan<double> v, Span<double> hv)
    {
    }

    /// <inheritdoc/>
    public double LogAbsDetJacobian(ReadOnlySpan<double> theta, Span<double> gradient)
    {
        gradient.Clear();
        return 0;
    }

    /// <inheritdoc/>
    public JsonObject Describe() => new() { ["kind"] = Kind };

    /// <inheritdoc/>
    public IReadOnlyList<(string Name, NdArray Array)> Arrays() => [];
}
