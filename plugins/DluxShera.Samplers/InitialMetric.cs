using DluxShera.Contracts;

namespace DluxShera.Samplers;

/// <summary>
/// The initial inverse mass matrix: from the host (context), from a curvature estimator at the start (inverse diagonal,
/// or the inverse of the dense matrix), or from an earlier run's fisher.npz Hessian; else the identity.
/// </summary>
public static class InitialMetric
{
    /// <summary>Resolves the metric and says where it came from (for meta.json).</summary>
    /// <param name="options">The sampler options.</param>
    /// <param name="context">The sampling context.</param>
    /// <param name="start">θ where a curvature estimator is evaluated.</param>
    public static (EuclideanMetric Metric, string Source) Resolve(SamplerOptions options, SamplingContext context, double[] start)
    {
        int d = start.Length;
        bool dense = options.IsDense;
        if (options.InitMassFrom is { Name: { } name } curvature)
        {
            if (context.Objective is null || context.Components is null)
                throw new InvalidOperationException("sampler.options.init_mass_from: this host gives the sampler no objective or component resolver to estimate curvature with");
            var estimator = context.Components.Create<ICurvatureEstimator>(ComponentKinds.Curvature,
                new ComponentReference { Name = name, Preset = curvature.Preset, Options = curvature.Options }, "sampler.options.init_mass_from");
            var estimate = estimator.Estimate(context.Objective, start, new CurvatureRequest(Dense: dense));
            if (dense && estimate.Dense is null) throw new InvalidOperationException($"sampler.options.init_mass_from: curvature:{name} returned no dense matrix; use mass_matrix 'diag' or a dense estimator such as fisher_dense");
            return (FromCurvature(estimate.Diagonal, dense ? estimate.Dense : null, d, $"curvature:{name}"), $"curvature:{name}");
        }
        if (options.InitMassFrom is { Fisher: { } fisher })
        {
            if (context.Store is null) throw new InvalidOperationException("sampler.options.init_mass_from.fisher: this host gives the sampler no artifact store to read runs with");
            string directory = fisher.EndsWith(".npz", StringComparison.OrdinalIgnoreCase) ? Path.GetDirectoryName(Path.GetFullPath(fisher))! : fisher;
            var arrays = context.Store.OpenRun(directory).LoadArrays("fisher.npz")
                ?? throw new InvalidOperationException($"sampler.options.init_mass_from.fisher: {directory} has no fisher.npz (run the fit with run.uncertainty=true)");
            if (!arrays.TryGetValue("hessian", out var h) || h.Shape.Length != 2 || h.Shape[0] != d || h.Shape[1] != d)
                throw new InvalidOperationException($"sampler.options.init_mass_from.fisher: {directory}/fisher.npz: expected 'hessian' shaped ({d}, {d}) for this θ");
            var hessian = h.ToDoubles();
            var diagonal = new double[d];
            for (int i = 0; i < d; i++) diagonal[i] = hessian[i * d + i];
            return (FromCurvature(diagonal, dense ? hessian : null, d, $"{directory}/fisher.npz"), $"fisher:{directory}");
        }
        if (context.InverseMassDense is { } contextDense) return (EuclideanMetric.Dense(contextDense, d), "host:dense");
        if (context.InverseMassDiagonal is { } contextDiagonal) return (EuclideanMetric.Diagonal(contextDiagonal), "host:diag");
        return (EuclideanMetric.Identity(d), "identity");
    }

    /// <summary>M⁻¹ from curvature: 1/diag, or the inverse of the dense matrix (through its Cholesky factor).</summary>
    /// <param name="diagonal">The curvature diagonal.</param>
    /// <param name="dense">The dense curvature (row-major), or null for a diagonal metric.</param>
    /// <param name="d">D.</param>
    /// <param name="what">Names the source in errors.</param>
    public static EuclideanMetric FromCurvature(double[] diagonal, double[]? dense, int d, string what)
    {
        if (dense is null)
        {
            var inverse = new double[d];
            for (int i = 0; i < d; i++)
            {
                if (!(diagonal[i] > 0) || !double.IsFinite(diagonal[i])) throw new InvalidOperationException($"{what}: curvature diagonal entry {i} is {diagonal[i]}; expected positive and finite");
                inverse[i] = 1 / diagonal[i];
            }
            return EuclideanMetric.Diagonal(inverse);
        }
        double[] l;
        try
        {
            l = EuclideanMetric.Cholesky(dense, d);
        }
        catch (ArgumentException e)
        {
            throw new InvalidOperationException($"{what}: the curvature matrix is not positive definite ({e.Message}); use mass_matrix 'diag'", e);
        }
        return EuclideanMetric.Dense(InverseFromCholesky(l, d), d);
    }

    /// <summary>A⁻¹ from the lower Cholesky factor L of A (solves L Lᵀ X = I column by column).</summary>
    /// <param name="l">L, row-major.</param>
    /// <param name="d">The order.</param>
    public static double[] InverseFromCholesky(double[] l, int d)
    {
        var inverse = new double[d * d];
        var y = new double[d];
        for (int c = 0; c < d; c++)
        {
            for (int i = 0; i < d; i++)
            {
                double s = i == c ? 1 : 0;
                for (int k = 0; k < i; k++) s -= l[i * d + k] * y[k];
                y[i] = s / l[i * d + i];
            }
            for (int i = d - 1; i >= 0; i--)
            {
                double s = y[i];
                for (int k = i + 1; k < d; k++) s -= l[k * d + i] * inverse[k * d + c];
                inverse[i * d + c] = s / l[i * d + i];
            }
        }
        for (int i = 0; i < d; i++)
        {
            for (int j = 0; j < i; j++)
            {
                double s = 0.5 * (inverse[i * d + j] + inverse[j * d + i]);
                inverse[i * d + j] = s;
                inverse[j * d + i] = s;
            }
        }
        return inverse;
    }
}
