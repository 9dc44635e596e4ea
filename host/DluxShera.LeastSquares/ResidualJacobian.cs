using DluxShera.Contracts;

namespace DluxShera.LeastSquares;

/// <summary>The Jacobian J = ∂r/∂θ of a residual objective, its weights, and JᵀWJ.</summary>
/// <param name="J">J, N×D row-major.</param>
/// <param name="Weights">W, length N.</param>
/// <param name="Residuals">N.</param>
/// <param name="Dimension">D.</param>
/// <param name="Products">JVPs or VJPs spent.</param>
public sealed record ResidualJacobian(double[] J, double[] Weights, int Residuals, int Dimension, int Products)
{
    /// <summary>
    /// Builds J at θ from D JVPs (columns) or N VJPs (rows), whichever needs fewer products.
    /// </summary>
    /// <param name="objective">The objective.</param>
    /// <param name="theta">θ.</param>
    public static ResidualJacobian At(IResidualObjective objective, ReadOnlySpan<double> theta)
    {
        int n = objective.ResidualCount, d = theta.Length;
        var j = new double[n * d];
        var w = new double[n];
        objective.GetWeights(w);
        if (d <= n)
        {
            var e = new double[d];
            var column = new double[n];
            for (int k = 0; k < d; k++)
            {
                e[k] = 1;
                objective.JacobianVectorProduct(theta, e, column);
                e[k] = 0;
                for (int i = 0; i < n; i++) j[i * d + k] = column[i];
            }
            return new ResidualJacobian(j, w, n, d, d);
        }
        var u = new double[n];
        for (int i = 0; i < n; i++)
        {
            u[i] = 1;
            objective.VectorJacobianProduct(theta, u, j.AsSpan(i * d, d));
            u[i] = 0;
        }
        return new ResidualJacobian(j, w, n, d, n);
    }

    /// <summary>JᵀWJ, D×D row-major.</summary>
    public double[] Normal()
    {
        int n = Residuals, d = Dimension;
        var a = new double[d * d];
        for (int i = 0; i < n; i++)
        {
            for (int p = 0; p < d; p++)
            {
                double jp = Weights[i] * J[i * d + p];
                if (jp == 0) continue;
                for (int q = 0; q < d; q++) a[p * d + q] += jp * J[i * d + q];
            }
        }
        return a;
    }

    /// <summary>diag(JᵀWJ), length D.</summary>
    public double[] NormalDiagonal()
    {
        var diag = new double[Dimension];
        for (int i = 0; i < Residuals; i++)
        {
            for (int k = 0; k < Dimension; k++) diag[k] += Weights[i] * J[i * Dimension + k] * J[i * Dimension + k];
        }
        return diag;
    }
}
