using DluxShera.Contracts;
using Xunit;

namespace DluxShera.Theta.Tests;

public sealed class ComposedObjectiveTests
{
    // unconstrained then eigen: a nonlinear map with both kinds of stage.
    private static IObjective Chain(IObjective objective)
    {
        var unconstrained = ThetaMappedObjective.Create(objective, new BijectorThetaMap(objective.IndexMap));
        var u0 = new double[3];
        unconstrained.GetInitialTheta(u0);
        var eigen = EigenThetaMap.FromCurvature(Numerics.SpdWithSpectrum([30, 3, 0.3], 7), u0, new EigenSettings());
        return ThetaMappedObjective.Create(unconstrained, eigen);
    }

    [Fact]
    public void Keeps_exactly_the_capabilities_of_the_objective_it_wraps()
    {
        var decay = Chain(new ExponentialDecay());
        Assert.IsAssignableFrom<IResidualObjective>(decay);
        Assert.IsAssignableFrom<IPerObservationObjective>(decay);
        Assert.IsAssignableFrom<ITruthProvider>(decay);
        Assert.IsAssignableFrom<ILogJacobianObjective>(decay);
        Assert.False(decay is IHessianVectorObjective);
        Assert.False(decay is IImageObjective);
        var quadratic = ThetaMappedObjective.Create(new QuadraticQuartic([1], [0]), new IdentityThetaMap(IndexMap.SingleVector(1)));
        Assert.IsAssignableFrom<IHessianVectorObjective>(quadratic);
        Assert.False(quadratic is IResidualObjective);
    }

    [Fact]
    public void Gradient_matches_central_differences_through_a_nonlinear_chain()
    {
        var composed = Chain(new ExponentialDecay());
        double[] z = [0.4, -0.3, 0.2];
        var g = new double[3];
        composed.Evaluate(z, g);
        var fd = Numerics.Gradient(x => composed.Evaluate(x, new double[3]), z);
        for (int i = 0; i < 3; i++) Assert.Equal(fd[i], g[i], 6);
    }

    [Fact]
    public void Residual_products_are_adjoint_and_match_differences()
    {
        var composed = (IResidualObjective)Chain(new ExponentialDecay());
        double[] z = [0.4, -0.3, 0.2];
        double[] v = [0.3, -1, 0.5];
        int n = composed.ResidualCount;
        var u = Enumerable.Range(0, n).Select(i => Math.Cos(i)).ToArray();
        var jv = new double[n];
        var jtu = new double[3];
        composed.JacobianVectorProduct(z, v, jv);
        composed.VectorJacobianProduct(z, u, jtu);
        Assert.Equal(Numerics.Dot(u, jv), Numerics.Dot(jtu, v), 10);
        double h = 1e-6;
        var rp = new double[n];
        var rm = new double[n];
        composed.Residuals(z.Select((x, i) => x + h * v[i]).ToArray(), rp);
        composed.Residuals(z.Select((x, i) => x - h * v[i]).ToArray(), rm);
        for (int i = 0; i < n; i++) Assert.Equal((rp[i] - rm[i]) / (2 * h), jv[i], 6);
        // ½ Σ w r² is the loss (weights 4).
        var r = new double[n];
        composed.Residuals(z, r);
        Assert.Equal(composed.Evaluate(z, new double[3]), 0.5 * r.Sum(x => 4 * x * x), 12);
        // Per-observation terms sum to the loss, gradients to the gradient.
        var per = (IPerObservationObjective)composed;
        var g = new double[3];
        double total = 0;
        var sum = new double[3];
        for (int i = 0; i < per.ObservationCount; i++)
        {
            total += per.EvaluateObservation(i, z, g);
            for (int k = 0; k < 3; k++) sum[k] += g[k];
        }
        var full = new double[3];
        Assert.Equal(composed.Evaluate(z, full), total, 12);
        for (int k = 0; k < 3; k++) Assert.Equal(full[k], sum[k], 12);
    }

    [Fact]
    public void Hessian_vector_products_through_a_log_bijector_match_differences_of_gradients()
    {
        var primitive = new IndexMap([new IndexMapEntry("a", 0, 2, [2]) { LowerBound = 0 }, new IndexMapEntry("b", 2, 3, [1]) { LowerBound = -1, UpperBound = 2 }]);
        var a = Numerics.SpdWithSpectrum([4, 2, 1], 8);
        var objective = new QuadraticQuartic(a, [0.5, 2, 0.3], quartic: 0.7) { IndexMap = primitive };
        var composed = (IHessianVectorObjective)ThetaMappedObjective.Create(objective, new BijectorThetaMap(primitive));
        double[] z = [0.2, -0.4, 0.9];
        double[] v = [1, -0.5, 0.25];
        var hv = new double[3];
        composed.HessianVectorProduct(z, v, hv);
        double h = 1e-5;
        var gp = new double[3];
        var gm = new double[3];
        composed.Evaluate(z.Select((x, i) => x + h * v[i]).ToArray(), gp);
        composed.Evaluate(z.Select((x, i) => x - h * v[i]).ToArray(), gm);
        for (int i = 0; i < 3; i++) Assert.Equal((gp[i] - gm[i]) / (2 * h), hv[i], 6);
    }

    [Fact]
    public void The_log_Jacobian_is_the_log_determinant_of_the_numerical_Jacobian_and_its_gradient_matches_differences()
    {
        var objective = new ExponentialDecay();
        var composed = (ILogJacobianObjective)Chain(objective);
        double[] z = [0.4, -0.3, 0.2];
        var mapped = (ThetaMappedObjective)composed;
        // Numerical Jacobian of z → primitive by decoding through both stages.
        double[] Decode(double[] x)
        {
            var dict = mapped.Decode(x);
            return [dict["amplitude"][0], dict["rate"][0], dict["offset"][0]];
        }
        var jac = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.Dense(3, 3);
        double h = 1e-6;
        for (int k = 0; k < 3; k++)
        {
            var p = (double[])z.Clone(); p[k] += h;
            var m = (double[])z.Clone(); m[k] -= h;
            var dp = Decode(p);
            var dm = Decode(m);
            for (int i = 0; i < 3; i++) jac[i, k] = (dp[i] - dm[i]) / (2 * h);
        }
        var g = new double[3];
        double logDet = composed.LogAbsDetJacobian(z, g);
        Assert.Equal(Math.Log(Math.Abs(jac.Determinant())), logDet, 7);
        var fd = Numerics.Gradient(x => composed.LogAbsDetJacobian(x, new double[3]), z);
        for (int i = 0; i < 3; i++) Assert.Equal(fd[i], g[i], 6);
    }

    [Fact]
    public void Truth_is_offered_in_z_only_when_the_map_reproduces_it()
    {
        var objective = new ExponentialDecay();
        var full = (ITruthProvider)ThetaMappedObjective.Create(objective, EigenThetaMap.FromCurvature(Numerics.SpdWithSpectrum([3, 2, 1], 9), [1, 1, 1], new EigenSettings()));
        var z = new double[3];
        Assert.True(full.TryGetTruth(z));
        var truncated = (ITruthProvider)ThetaMappedObjective.Create(objective, EigenThetaMap.FromCurvature(Numerics.SpdWithSpectrum([3, 2, 1], 9), [1, 1, 1], new EigenSettings { Keep = 2 }));
        Assert.False(truncated.TryGetTruth(new double[2]));
    }
}
