namespace DluxShera.Contracts;

/// <summary>
/// Maps the optimizer's θ to the objective's primitive parameters (identity, eigenmodes, whitening).
/// Engines never see this: the host wraps the objective so that engines work in θ-space.
/// </summary>
public interface IThetaMap
{
    /// <summary><c>primitive</c>, <c>eigen</c>, <c>unconstrained</c> or a composition (<c>unconstrained+eigen</c>), recorded as <c>meta.theta.theta_space</c>.</summary>
    string ThetaSpace { get; }

    /// <summary>A stable identifier of the map, recorded as <c>meta.theta.theta_map_id</c>.</summary>
    string Id { get; }

    /// <summary>A hash of the map's numbers (e.g. the eigenbasis), recorded as <c>meta.theta.theta_map_hash</c>.</summary>
    string Hash { get; }

    /// <summary>Dimension of θ.</summary>
    int ThetaDimension { get; }

    /// <summary>Dimension of the primitive parameter vector.</summary>
    int PrimitiveDimension { get; }

    /// <summary>Layout of θ (for eigen maps, one entry per mode block).</summary>
    IndexMap ThetaIndexMap { get; }

    /// <summary>primitive = f(θ).</summary>
    /// <param name="theta">θ.</param>
    /// <param name="primitive">Receives the primitive parameters.</param>
    void ToPrimitive(ReadOnlySpan<double> theta, Span<double> primitive);

    /// <summary>θ = f⁻¹(primitive), for starting points.</summary>
    /// <param name="primitive">The primitive parameters.</param>
    /// <param name="theta">Receives θ.</param>
    void ToTheta(ReadOnlySpan<double> primitive, Span<double> theta);

    /// <summary>Chain rule: ∂L/∂θ = (∂primitive/∂θ)ᵀ ∂L/∂primitive.</summary>
    /// <param name="theta">θ at which to pull back.</param>
    /// <param name="primitiveGradient">∂L/∂primitive.</param>
    /// <param name="thetaGradient">Receives ∂L/∂θ.</param>
    void PullBackGradient(ReadOnlySpan<double> theta, ReadOnlySpan<double> primitiveGradient, Span<double> thetaGradient);
}

/// <summary>Decodes θ into named parameter values for signals and <c>inspect</c>.</summary>
public interface IThetaDecoder
{
    /// <summary>The layout the decoder expects; its <see cref="IndexMap.LayoutHash"/> must match the run's.</summary>
    IndexMap IndexMap { get; }

    /// <summary>
    /// Decodes one θ (laid out as <see cref="IndexMap"/>) into the primitive parameters as named arrays (flattened,
    /// C order) keyed by the objective's primitive IndexMap entry names, plus any derived values.
    /// </summary>
    /// <param name="theta">θ.</param>
    IReadOnlyDictionary<string, double[]> Decode(ReadOnlySpan<double> theta);
}
