using DluxShera.Shera;
using Xunit;
using Xunit.Abstractions;

namespace DluxShera.Tests;

public class GradientTests(ITestOutputHelper output)
{
    private static SheraObjective SmallObjective(string likelihood) => new(SheraTestModels.Preset("testbed-2p-test", optics =>
    {
        optics.PupilNpix = 32;
        optics.PsfNpix = 32;
        optics.Oversample = 2;
        optics.NLambda = 2;
    }, o =>
    {
        o.Likelihood = likelihood;
        o.Truth = new System.Text.Json.Nodes.JsonObject { ["binary.separation_as"] = 10.001, ["binary.contrast"] = 3.5 };
    }));

    [Theory]
    [InlineData("gaussian")]
    [InlineData("poisson")]
    public void Gradient_matches_central_differences_for_every_parameter(string likelihood)
    {
        var objective = SmallObjective(likelihood);
        int d = objective.IndexMap.Dimension;
        var theta = new double[d];
        objective.GetInitialTheta(theta);
        // Move away from the nominal point so that every component of the gradient is exercised.
        theta[1] += 0.5;                 // PA
        theta[2] += 0.03;                // x
        theta[3] -= 0.02;                // y
        for (int k = 7; k < d; k++) theta[k] = 3.0 * Math.Sin(k); // Zernikes (nm)
        SheraTestModels.AssertGradientMatchesDifferences(objective, theta, [1e-4, 1e-3, 1e-4, 1e-4, 1e-5, 1e-5, 1e-6], output.WriteLine);
    }

    [Fact]
    public void A_gradient_does_not_depend_on_what_the_objective_evaluated_before()
    {
        // The reverse pass sums ∂L/∂OPD over wavelengths and stars into a scratch buffer that the tangent pass also
        // writes; a fit calls both many times on one objective, so every call must start that sum from zero.
        var first = SmallObjective("gaussian");
        int d = first.IndexMap.Dimension;
        var theta = new double[d];
        first.GetInitialTheta(theta);
        for (int k = 7; k < d; k++) theta[k] = 2.0 * Math.Cos(k);
        var fresh = new double[d];
        double freshLoss = first.Evaluate(theta, fresh);

        var reused = SmallObjective("gaussian");
        var elsewhere = theta.Select((v, k) => k >= 7 ? v + 5.0 * Math.Sin(3 * k) : v).ToArray();
        reused.JacobianVectorProduct(elsewhere, Enumerable.Range(0, d).Select(k => 0.1 * (k + 1)).ToArray(), new double[reused.ResidualCount]);
        reused.Evaluate(elsewhere, new double[d]);
        var again = new double[d];
        Assert.Equal(freshLoss, reused.Evaluate(theta, again));
        Assert.Equal(fresh, again);
        Assert.Contains(fresh.Skip(7), g => g != 0); // the Zernike gradients this is about are not trivially zero
    }
}

public class ResidualCapabilityTests
{
    [Fact]
    public void Jvp_matches_differences_of_residuals_and_is_the_adjoint_of_the_vjp()
    {
        var objective = new SheraObjective(SheraTestModels.Preset("testbed-2p-test", optics =>
        {
            optics.PupilNpix = 32;
            optics.PsfNpix = 32;
            optics.NLambda = 2;
        }));
        int d = objective.IndexMap.Dimension, n = objective.ResidualCount;
        var theta = new double[d];
        objective.GetInitialTheta(theta);
        theta[1] += 0.3;
        for (int k = 7; k < d; k++) theta[k] = Math.Cos(k);
        var v = Enumerable.Range(0, d).Select(i => 1e-3 * Math.Sin(i + 1)).ToArray();
        v[4] = 1e-4; // log-flux
        v[6] = 1e-5; // plate scale
        var jv = new double[n];
        objective.JacobianVectorProduct(theta, v, jv);

        var rp = new double[n];
        var rm = new double[n];
        double h = 1e-3;
        objective.Residuals(theta.Zip(v, (t, x) => t + h * x).ToArray(), rp);
        objective.Residuals(theta.Zip(v, (t, x) => t - h * x).ToArray(), rm);
        double scale = jv.Max(Math.Abs), worst = 0;
        for (int i = 0; i < n; i++) worst = Math.Max(worst, Math.Abs((rp[i] - rm[i]) / (2 * h) - jv[i]));
        Assert.True(worst <= 1e-5 * scale, $"JVP vs differences: {worst / scale:E2}");

        SheraTestModels.AssertForwardMatchesReverse(objective, theta);
        var u = Enumerable.Range(0, n).Select(i => Math.Sin(0.37 * i)).ToArray();
        var jtu = new double[d];
        objective.VectorJacobianProduct(theta, u, jtu);
        double left = jv.Zip(u, (a, b) => a * b).Sum(), right = jtu.Zip(v, (a, b) => a * b).Sum();
        Assert.Equal(left, right, Math.Abs(left) * 1e-10);
    }
}
