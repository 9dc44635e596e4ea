using System.Text.Json.Nodes;
using DluxShera.Contracts;

namespace DluxShera.Theta;

/// <summary>
/// The composed objective loss∘f over z, primitive = f(z), with chain-rule gradients. It offers exactly the optional
/// capabilities of the objective it wraps (see <see cref="Create"/>): residuals r(f(z)) with JVP J_r J_f v and VJP
/// J_fᵀ J_rᵀ u, Hessian-vector products J_fᵀ H J_f v + Σₖ gₖ ∇²fₖ v, per-observation terms, extra loss terms, batches,
/// images (with their unit), simulation and truth (when the truth lies in the map's range), and always <see cref="ILogJacobianObjective"/>,
/// so every optimizer, curvature estimator and sampler runs in z unchanged. Nested wrappers make chains.
/// </summary>
/// <remarks>
/// Members of the capabilities the wrapped objective lacks are public here but unreachable through the contracts:
/// a runtime-built subclass declares only the wrapped objective's interfaces.
/// </remarks>
public class ThetaMappedObjective : ILogJacobianObjective, IThetaDecoder
{
    private readonly IObjective _inner;
    private readonly IDifferentiableThetaMap _map;
    private readonly double[] _primitive;
    private readonly double[] _primitiveGradient;
    private readonly double[] _primitiveTangent;
    private readonly double[] _primitiveProduct;

    /// <summary>Wraps <paramref name="inner"/>; use <see cref="Create"/> to keep its capabilities visible.</summary>
    /// <param name="inner">The objective over the map's primitive side.</param>
    /// <param name="map">The map (its primitive layout must match the objective's dimension).</param>
    public ThetaMappedObjective(IObjective inner, IDifferentiableThetaMap map)
    {
        if (map.PrimitiveDimension != inner.IndexMap.Dimension)
        {
            throw new ThetaMapException($"theta map '{map.Id}' decodes to {map.PrimitiveDimension} values; objective '{inner.Name}' has {inner.IndexMap.Dimension}.");
        }
        _inner = inner;
        _map = map;
        int d = map.PrimitiveDimension;
        _primitive = new double[d];
        _primitiveGradient = new double[d];
        _primitiveTangent = new double[d];
        _primitiveProduct = new double[d];
    }

    /// <summary>Composes <paramref name="inner"/> with <paramref name="map"/>, exposing the same optional capabilities.</summary>
    /// <param name="inner">The objective.</param>
    /// <param name="map">The map.</param>
    public static ThetaMappedObjective Create(IObjective inner, IDifferentiableThetaMap map) => CapabilityTypes.Instantiate(inner, map);

    /// <summary>The wrapped objective.</summary>
    public IObjective Inner => _inner;

    /// <summary>The map.</summary>
    public IDifferentiableThetaMap Map => _map;

    /// <inheritdoc/>
    public string Name => _inner.Name;

    /// <inheritdoc/>
    public IndexMap IndexMap => _map.ThetaIndexMap;

    private ReadOnlySpan<double> Primitive(ReadOnlySpan<double> theta)
    {
        _map.ToPrimitive(theta, _primitive);
        return _primitive;
    }

    /// <inheritdoc/>
    public void GetInitialTheta(Span<double> theta)
    {
        var p = new double[_map.PrimitiveDimension];
        _inner.GetInitialTheta(p);
        _map.ToTheta(p, theta);
    }

    /// <inheritdoc/>
    public double Evaluate(ReadOnlySpan<double> theta, Span<double> gradient)
    {
        double loss = _inner.Evaluate(Primitive(theta), _primitiveGradient);
        _map.PullBackGradient(theta, _primitiveGradient, gradient);
        return loss;
    }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, object?> Describe() => _inner.Describe();

    /// <inheritdoc/>
    public double LogAbsDetJacobian(ReadOnlySpan<double> theta, Span<double> gradient)
    {
        double own = _map.LogAbsDetJacobian(theta, gradient);
        if (_inner is not ILogJacobianObjective nested) return own;
        // Inner stages: their term at f(z), its gradient pulled back through f.
        var innerGradient = new double[_map.PrimitiveDimension];
        double inner = nested.LogAbsDetJacobian(Primitive(theta), innerGradient);
        var pulled = new double[gradient.Length];
        _map.PullBackGradient(theta, innerGradient, pulled);
        for (int i = 0; i < gradient.Length; i++) gradient[i] += pulled[i];
        return own + inner;
    }

    // IThetaDecoder: the run's decoder (z → primitive values by the innermost objective's entry names).

    /// <inheritdoc/>
    IndexMap IThetaDecoder.IndexMap => IndexMap;

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, double[]> Decode(ReadOnlySpan<double> theta) =>
        _inner is IThetaDecoder nested ? nested.Decode(Primitive(theta)) : ThetaDecoder.Split(_inner.IndexMap, Primitive(theta));

    // IResidualObjective

    /// <summary>See <see cref="IResidualObjective.ResidualCount"/>.</summary>
    public virtual int ResidualCount => ((IResidualObjective)_inner).ResidualCount;

    /// <summary>See <see cref="IResidualObjective.Residuals"/>.</summary>
    public virtual void Residuals(ReadOnlySpan<double> theta, Span<double> residuals) => ((IResidualObjective)_inner).Residuals(Primitive(theta), residuals);

    /// <summary>See <see cref="IResidualObjective.GetWeights"/>.</summary>
    public virtual void GetWeights(Span<double> weights) => ((IResidualObjective)_inner).GetWeights(weights);

    /// <summary>See <see cref="IResidualObjective.JacobianVectorProduct"/>: J_r(f(z)) (J_f v).</summary>
    public virtual void JacobianVectorProduct(ReadOnlySpan<double> theta, ReadOnlySpan<double> v, Span<double> jv)
    {
        _map.PushForward(theta, v, _primitiveTangent);
        ((IResidualObjective)_inner).JacobianVectorProduct(Primitive(theta), _primitiveTangent, jv);
    }

    /// <summary>See <see cref="IResidualObjective.VectorJacobianProduct"/>: J_fᵀ (J_rᵀ u).</summary>
    public virtual void VectorJacobianProduct(ReadOnlySpan<double> theta, ReadOnlySpan<double> u, Span<double> jtu)
    {
        ((IResidualObjective)_inner).VectorJacobianProduct(Primitive(theta), u, _primitiveProduct);
        _map.PullBackGradient(theta, _primitiveProduct, jtu);
    }

    // IHessianVectorObjective

    /// <summary>See <see cref="IHessianVectorObjective.HessianVectorProduct"/>: J_fᵀ H J_f v + Σₖ gₖ ∇²fₖ v.</summary>
    public virtual void HessianVectorProduct(ReadOnlySpan<double> theta, ReadOnlySpan<double> v, Span<double> hv)
    {
        var primitive = Primitive(theta);
        _map.PushForward(theta, v, _primitiveTangent);
        ((IHessianVectorObjective)_inner).HessianVectorProduct(primitive, _primitiveTangent, _primitiveProduct);
        _map.PullBackGradient(theta, _primitiveProduct, hv);
        if (_map.IsAffine) return;
        _inner.Evaluate(primitive, _primitiveGradient);
        _map.AddSecondOrderTerm(theta, _primitiveGradient, v, hv);
    }

    // IPerObservationObjective

    /// <summary>See <see cref="IPerObservationObjective.ObservationCount"/>.</summary>
    public virtual int ObservationCount => ((IPerObservationObjective)_inner).ObservationCount;

    /// <summary>See <see cref="IPerObservationObjective.EvaluateObservation"/>.</summary>
    public virtual double EvaluateObservation(int index, ReadOnlySpan<double> theta, Span<double> gradient)
    {
        double term = ((IPerObservationObjective)_inner).EvaluateObservation(index, Primitive(theta), _primitiveGradient);
        _map.PullBackGradient(theta, _primitiveGradient, gradient);
        return term;
    }

    // IBatchedObjective

    /// <summary>See <see cref="IBatchedObjective.EvaluateBatch"/>.</summary>
    public virtual void EvaluateBatch(ReadOnlySpan<double> thetas, Span<double> losses, Span<double> gradients)
    {
        int dz = IndexMap.Dimension, dp = _map.PrimitiveDimension, b = losses.Length;
        var primitives = new double[b * dp];
        var primitiveGradients = new double[b * dp];
        for (int r = 0; r < b; r++) _map.ToPrimitive(thetas.Slice(r * dz, dz), primitives.AsSpan(r * dp, dp));
        ((IBatchedObjective)_inner).EvaluateBatch(primitives, losses, primitiveGradients);
        for (int r = 0; r < b; r++) _map.PullBackGradient(thetas.Slice(r * dz, dz), primitiveGradients.AsSpan(r * dp, dp), gradients.Slice(r * dz, dz));
    }

    // IImageObjective

    /// <summary>See <see cref="IImageObjective.ImageWidth"/>.</summary>
    public virtual int ImageWidth => ((IImageObjective)_inner).ImageWidth;

    /// <summary>See <see cref="IImageObjective.ImageHeight"/>.</summary>
    public virtual int ImageHeight => ((IImageObjective)_inner).ImageHeight;

    /// <summary>See <see cref="IImageObjective.ImageUnit"/>: the wrapped objective's (the interface's default would say photons).</summary>
    public virtual string ImageUnit => ((IImageObjective)_inner).ImageUnit;

    /// <summary>See <see cref="IImageObjective.Images"/>.</summary>
    public virtual void Images(ReadOnlySpan<double> theta, Span<double> data, Span<double> model, Span<double> variance) =>
        ((IImageObjective)_inner).Images(Primitive(theta), data, model, variance);

    // IExtraLossTerms

    /// <summary>
    /// See <see cref="IExtraLossTerms.ExtraLoss"/>: extra(f(z)) with its gradient pulled back through f, since the loss and
    /// the residuals are both composed with f (NaN, "no identity holds", stays NaN). The log-Jacobian is no part of the loss.
    /// </summary>
    public virtual double ExtraLoss(ReadOnlySpan<double> theta, Span<double> gradient)
    {
        double extra = ((IExtraLossTerms)_inner).ExtraLoss(Primitive(theta), _primitiveGradient);
        _map.PullBackGradient(theta, _primitiveGradient, gradient);
        return extra;
    }

    // ISimulatingObjective

    /// <summary>See <see cref="ISimulatingObjective.IsSimulated"/>.</summary>
    public virtual bool IsSimulated => ((ISimulatingObjective)_inner).IsSimulated;

    /// <summary>See <see cref="ISimulatingObjective.SimulatedData"/>.</summary>
    public virtual IReadOnlyDictionary<string, NdArray> SimulatedData => ((ISimulatingObjective)_inner).SimulatedData;

    /// <summary>See <see cref="ISimulatingObjective.DescribeTruth"/>.</summary>
    public virtual JsonObject DescribeTruth() => ((ISimulatingObjective)_inner).DescribeTruth();

    // ITruthProvider

    /// <summary>See <see cref="ITruthProvider.TryGetTruth"/>: the truth in z, when the map reproduces it (not off a truncated subspace).</summary>
    public virtual bool TryGetTruth(Span<double> theta)
    {
        var truth = new double[_map.PrimitiveDimension];
        if (!((ITruthProvider)_inner).TryGetTruth(truth)) return false;
        try
        {
            _map.ToTheta(truth, theta);
        }
        catch (ThetaMapException)
        {
            return false;
        }
        _map.ToPrimitive(theta, _primitiveProduct);
        for (int i = 0; i < truth.Length; i++)
        {
            if (!(Math.Abs(_primitiveProduct[i] - truth[i]) <= 1e-9 * Math.Max(Math.Abs(truth[i]), 1))) return false;
        }
        return true;
    }

    /// <summary>See <see cref="ITruthProvider.KnownMinimum"/>: unchanged by a reparameterisation.</summary>
    public virtual double? KnownMinimum => ((ITruthProvider)_inner).KnownMinimum;
}
