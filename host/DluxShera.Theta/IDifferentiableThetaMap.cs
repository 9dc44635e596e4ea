using System.Text.Json.Nodes;
using DluxShera.Contracts;

namespace DluxShera.Theta;

/// <summary>
/// One stage of a θ map, primitive = f(θ), with the derivatives the composed objective needs: the pushed-forward
/// tangent J v (residual JVPs, HVPs), the second-order term Σₖ gₖ ∇²fₖ v (HVPs of nonlinear maps) and the
/// log-Jacobian (samplers). The stage's input is its <see cref="IThetaMap.ThetaIndexMap"/>, its output the
/// layout it was built on.
/// </summary>
public interface IDifferentiableThetaMap : IThetaMap
{
    /// <summary>Short kind, written to theta_map.npz: <c>identity</c>, <c>eigen</c> or <c>bijector</c>.</summary>
    string Kind { get; }

    /// <summary>Whether f is affine (then the second-order term is zero and the log-Jacobian constant).</summary>
    bool IsAffine { get; }

    /// <summary>J v with J = ∂primitive/∂θ at θ.</summary>
    /// <param name="theta">θ.</param>
    /// <param name="v">A θ-space tangent.</param>
    /// <param name="primitiveTangent">Receives J v.</param>
    void PushForward(ReadOnlySpan<double> theta, ReadOnlySpan<double> v, Span<double> primitiveTangent);

    /// <summary>Adds Σₖ gₖ ∇²fₖ(θ) v to <paramref name="hv"/> (the curvature of the map itself).</summary>
    /// <param name="theta">θ.</param>
    /// <param name="primitiveGradient">g = ∂L/∂primitive.</param>
    /// <param name="v">A θ-space vector.</param>
    /// <param name="hv">Accumulates the term.</param>
    void AddSecondOrderTerm(ReadOnlySpan<double> theta, ReadOnlySpan<double> primitiveGradient, ReadOnlySpan<double> v, Span<double> hv);

    /// <summary>log √det(JᵀJ) (log|det J| for square maps) at θ; writes its gradient.</summary>
    /// <param name="theta">θ.</param>
    /// <param name="gradient">Receives the gradient.</param>
    double LogAbsDetJacobian(ReadOnlySpan<double> theta, Span<double> gradient);

    /// <summary>Settings and counts for meta.json (<c>theta.theta_map.stages[i]</c>).</summary>
    JsonObject Describe();

    /// <summary>The numbers that define the map, saved to theta_map.npz under <c>s{i}_…</c> names.</summary>
    IReadOnlyList<(string Name, NdArray Array)> Arrays();
}
