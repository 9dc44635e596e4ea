using DluxShera.Contracts;
using MathNet.Numerics.LinearAlgebra;

namespace DluxShera.Host.Runs;

/// <summary>
/// 1σ uncertainties of θ from the inverse Hessian of the loss at a point: H by central differences of the
/// objective's exact gradient (column j from ∇f(θ ± hⱼeⱼ), hⱼ = ε^{1/3}·max(|θⱼ|, 1e-3·scale)), symmetrised, inverted
/// by Cholesky. For a negative log-likelihood plus Gaussian priors at the optimum this is the Laplace/Fisher
/// covariance (the priors included).
/// </summary>
public static class HessianUncertainty
{
    /// <summary>The Hessian (row-major D×D) and σ per θ index (null when H is not positive definite).</summary>
    /// <param name="objective">The objective.</param>
    /// <param name="theta">The point (the best fit).</param>
    public static (double[] Hessian, double[]? Sigma, int Evaluations) Estimate(IObjective objective, ReadOnlySpan<double> theta)
    {
        int d = theta.Length;
        var h = Matrix<double>.Build.Dense(d, d);
        var plus = new double[d];
        var minus = new double[d];
        var x = theta.ToArray();
        double cbrtEps = Math.Cbrt(2.220446049250313e-16);
        for (int j = 0; j < d; j++)
        {
            double step = cbrtEps * Math.Max(Math.Abs(x[j]), 1e-3);
            double saved = x[j];
            x[j] = saved + step;
            objective.Evaluate(x, plus);
            x[j] = saved - step;
            objective.Evaluate(x, minus);
            x[j] = saved;
            for (int i = 0; i < d; i++) h[i, j] = (plus[i] - minus[i]) / (2 * step);
        }
        var sym = (h + h.Transpose()) / 2;
        var hessian = sym.ToRowMajorArray();
        try
        {
            var covariance = sym.Cholesky().Solve(Matrix<double>.Build.DenseIdentity(d));
            var sigma = Enumerable.Range(0, d).Select(i => Math.Sqrt(covariance[i, i])).ToArray();
            return (hessian, sigma.All(double.IsFinite) ? sigma : null, 2 * d);
        }
        catch (ArgumentException)
        {
            return (hessian, null, 2 * d);
        }
    }
}
