using System.Numerics.Tensors;
using DluxShera.Contracts;

namespace DluxShera.Curvature;

/// <summary>
/// H v for any objective: exact when it implements <see cref="IHessianVectorObjective"/>, otherwise central
/// differences of the gradient, Hv ≈ (∇f(θ + h v) − ∇f(θ − h v)) / 2h with
/// h = ε^{1/3} (1 + ‖θ‖∞) / ‖v‖∞ (ε the float64 machine epsilon): the step that balances truncation
/// (O(h²)) against rounding (O(ε/h)) error for a central difference.
/// </summary>
public sealed class HessianVectorProducts
{
    private static readonly double CubeRootEpsilon = Math.Cbrt(2.220446049250313e-16);
    private readonly IObjective _objective;
    private readonly double[] _plus;
    private readonly double[] _minus;
    private readonly double[] _gradPlus;
    private readonly double[] _gradMinus;

    /// <summary>Creates the product for <paramref name="objective"/>.</summary>
    /// <param name="objective">The objective.</param>
    /// <param name="forceFiniteDifferences">Use differences even when exact products exist (for tests).</param>
    public HessianVectorProducts(IObjective objective, bool forceFiniteDifferences = false)
    {
        _objective = objective;
        int d = objective.IndexMap.Dimension;
        _plus = new double[d];
        _minus = new double[d];
        _gradPlus = new double[d];
        _gradMinus = new double[d];
        IsExact = objective is IHessianVectorObjective && !forceFiniteDifferences;
    }

    /// <summary>Whether products are exact.</summary>
    public bool IsExact { get; }

    /// <summary>Objective evaluations (or exact products) spent.</summary>
    public int Evaluations { get; private set; }

    /// <summary>How products are computed, for provenance.</summary>
    public string Description => IsExact ? "exact" : "central_difference(h = eps^(1/3) (1 + |theta|_inf) / |v|_inf)";

    /// <summary>
    /// Writes H(θ)·v_k for K vectors (K×D row-major). For an <see cref="IBatchedObjective"/> without exact products the
    /// 2K gradients of the differences go through one <see cref="IBatchedObjective.EvaluateBatch"/> call (a GPU
    /// launch sequence, or parallel CPU workers); otherwise the products are taken one by one. Same values either way.
    /// </summary>
    /// <param name="theta">θ.</param>
    /// <param name="vs">K vectors, row-major.</param>
    /// <param name="hvs">Receives the K products, row-major.</param>
    public void MultiplyBatch(ReadOnlySpan<double> theta, ReadOnlySpan<double> vs, Span<double> hvs)
    {
        int d = theta.Length, count = vs.Length / d;
        if (IsExact || _objective is not IBatchedObjective batched || count < 2)
        {
            for (int k = 0; k < count; k++) Multiply(theta, vs.Slice(k * d, d), hvs.Slice(k * d, d));
            return;
        }
        var points = new double[2 * count * d];
        var steps = new double[count];
        for (int k = 0; k < count; k++)
        {
            var v = vs.Slice(k * d, d);
            double vInf = Math.Abs(TensorPrimitives.MaxMagnitude(v));
            steps[k] = vInf == 0 ? 0 : CubeRootEpsilon * (1 + Math.Abs(TensorPrimitives.MaxMagnitude(theta))) / vInf;
            TensorPrimitives.MultiplyAdd(v, steps[k], theta, points.AsSpan(2 * k * d, d));
            TensorPrimitives.MultiplyAdd(v, -steps[k], theta, points.AsSpan((2 * k + 1) * d, d));
        }
        var losses = new double[2 * count];
        var gradients = new double[2 * count * d];
        batched.EvaluateBatch(points, losses, gradients);
        Evaluations += 2 * count;
        for (int k = 0; k < count; k++)
        {
            var hv = hvs.Slice(k * d, d);
            if (steps[k] == 0)
            {
                hv.Clear();
                continue;
            }
            TensorPrimitives.Subtract(gradients.AsSpan(2 * k * d, d), gradients.AsSpan((2 * k + 1) * d, d), hv);
            TensorPrimitives.Divide(hv, 2 * steps[k], hv);
        }
    }

    /// <summary>Writes H(θ) v.</summary>
    /// <param name="theta">θ.</param>
    /// <param name="v">The vector.</param>
    /// <param name="hv">Receives H v.</param>
    public void Multiply(ReadOnlySpan<double> theta, ReadOnlySpan<double> v, Span<double> hv)
    {
        if (IsExact)
        {
            ((IHessianVectorObjective)_objective).HessianVectorProduct(theta, v, hv);
            Evaluations++;
            return;
        }
        double vInf = Math.Abs(TensorPrimitives.MaxMagnitude(v));
        if (vInf == 0)
        {
            hv.Clear();
            return;
        }
        double h = CubeRootEpsilon * (1 + Math.Abs(TensorPrimitives.MaxMagnitude(theta))) / vInf;
        TensorPrimitives.MultiplyAdd(v, h, theta, _plus);
        TensorPrimitives.MultiplyAdd(v, -h, theta, _minus);
        _objective.Evaluate(_plus, _gradPlus);
        _objective.Evaluate(_minus, _gradMinus);
        Evaluations += 2;
        TensorPrimitives.Subtract(_gradPlus, _gradMinus, hv);
        TensorPrimitives.Divide(hv, 2 * h, hv);
    }
}
