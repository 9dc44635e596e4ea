using DluxShera.Contracts;
using DluxShera.Host.Diagnostics;
using Xunit;

namespace DluxShera.Tests;

/// <summary><c>dluxshera check-gradients</c> on every shipped objective, and the checker against objectives with known defects.</summary>
public class CheckGradientsTests
{
    private static Dluxshera.Result Check(string objectiveJson, params string[] extra)
    {
        using var tmp = RepoPaths.Temp();
        string spec = tmp.Combine("spec.json");
        File.WriteAllText(spec, $$"""{ "run": { "seed": 3 }, "objective": {{objectiveJson}}, "optimizer": { "name": "gd" } }""");
        return Dluxshera.Invoke(["check-gradients", spec, "--plugins", RepoPaths.PluginsJson, .. extra]);
    }

    [Theory]
    [InlineData("""{ "name": "quadratic", "preset": "ill_conditioned" }""", "initial")]
    [InlineData("""{ "name": "rosenbrock", "options": { "dimension": 6 } }""", "random")]
    [InlineData("""{ "name": "noisy_linear_ls" }""", "random")]
    [InlineData("""{ "name": "nan_after", "options": { "evaluations": 1000000 } }""", "initial")]
    public void Shipped_test_problems_agree_with_their_finite_differences(string objective, string at)
    {
        var r = Check(objective, "--at", at);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("gradient:", r.Stdout);
        Assert.Contains("checks agree within tolerance", r.Stdout);
    }

    [Fact]
    public void Every_mgh_problem_agrees_at_its_standard_start_and_near_it()
    {
        for (int problem = 1; problem <= 18; problem++)
        {
            foreach (string at in new[] { "initial", "random" })
            {
                var r = Check($$"""{ "name": "mgh", "options": { "problem": {{problem}} } }""", "--at", at);
                Assert.True(r.ExitCode == 0, $"MGH {problem} at {at}: {r}");
                Assert.Contains("adjoint:", r.Stdout);
                Assert.Contains("residual_split:", r.Stdout);
            }
        }
    }

    [Theory]
    [InlineData("testbed-2p-test", "gaussian", "truth")]
    [InlineData("testbed-2p-test", "poisson", "random")]
    public void Shera_agrees_including_priors_and_constants_declared_as_extra_terms(string preset, string likelihood, string at)
    {
        var r = Check($$"""{ "name": "shera", "preset": "{{preset}}", "options": { "likelihood": "{{likelihood}}" } }""", "--at", at);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("observations:", r.Stdout);
        if (likelihood == "poisson") Assert.Contains("skipped: the objective declares its residuals an approximation", r.Stdout);
        else Assert.Contains("½Σwr² + declared extra terms", r.Stdout);
    }

    // The three-plane testbed example at a test size (one wavelength, small grids) with the Gaussian likelihood,
    // whose residuals and declared extra terms make the residual and observation identities exact.
    private static readonly string[] SmallThreePlane =
    [
        "--set", "objective.options.optics.pupil_npix=24", "--set", "objective.options.optics.psf_npix=16",
        "--set", "objective.options.optics.n_lambda=1", "--set", "objective.options.likelihood=gaussian",
    ];

    private static Dluxshera.Result CheckExample(string example, params string[] extra) =>
        Dluxshera.Invoke(["check-gradients", RepoPaths.Example(example), "--plugins", RepoPaths.PluginsJson, .. extra]);

    [Fact]
    public void Three_plane_shera_agrees_through_a_theta_map_which_is_what_is_checked_unless_primitive_is_asked()
    {
        string[] eigen = ["--set", """theta_map={"name": "compose", "options": {"maps": [{"name": "unconstrained"}, {"name": "eigen", "options": {"curvature": "fisher_dense", "whiten": true}}]}}"""];
        var r = CheckExample("shera-testbed-3p.json", ["--at", "random", .. SmallThreePlane, .. eigen]);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("through theta_map", r.Stdout);
        Assert.Contains("eigen", r.Stdout.Split('\n')[0]);
        // Every derivative is taken in z: the table names eigenmodes, not SHERA's parameters.
        Assert.Contains("eigen.mode[00]", r.Stdout);
        Assert.DoesNotContain("binary.separation_as", r.Stdout);
        // The primitive objective's priors and constants, pulled back into z, still close ½Σwr² + extra = loss.
        Assert.Contains("½Σwr² + declared extra terms", r.Stdout);
        Assert.Contains("checks agree within tolerance", r.Stdout);

        var primitive = CheckExample("shera-testbed-3p.json", ["--at", "random", "--primitive", .. SmallThreePlane, .. eigen]);
        Assert.True(primitive.ExitCode == 0, primitive.ToString());
        Assert.Contains("in primitive θ (the spec's theta_map 'compose' is not applied: --primitive), D = 23", primitive.Stdout);
        Assert.Contains("binary.separation_as", primitive.Stdout);
        Assert.Contains("secondary.zernike_coeffs_nm[7]", primitive.Stdout);
        Assert.Contains("½Σwr² + declared extra terms", primitive.Stdout);
        Assert.Contains("checks agree within tolerance", primitive.Stdout);
    }

    [Fact]
    public void A_loss_that_turns_nan_fails_the_check_with_exit_1()
    {
        var r = Check("""{ "name": "nan_after", "options": { "evaluations": 3 } }""");
        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Contains("checks disagree; worst: gradient", r.Stdout);
    }

    [Fact]
    public void Truth_for_an_objective_without_one_is_bad_input()
    {
        var r = Check("""{ "name": "nan_after" }""", "--at", "truth");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("knows no truth", r.Stderr);
    }

    [Fact]
    public void A_wrong_gradient_entry_is_named_and_only_it_fails()
    {
        var objective = new SineChain { GradientBugAt = 2 };
        var results = new GradientChecker(objective, [0.3, -0.7, 1.1, 0.4], new GradientCheckSettings { Seed = 1 }).CheckGradient().ToList();
        Assert.Equal([true, true, false, true], results.Select(r => r.Passed));
        Assert.Equal("x[2]", results[2].Entry);
        Assert.All(new GradientChecker(new SineChain(), [0.3, -0.7, 1.1, 0.4], new GradientCheckSettings()).RunAll(), r => Assert.True(r.Passed, r.ToString()));
    }

    [Fact]
    public void A_vjp_that_is_not_the_adjoint_of_the_jvp_fails_the_adjoint_and_split_checks()
    {
        var good = new SineChain();
        var bad = new SineChain { TransposeBug = true };
        double[] theta = [0.3, -0.7, 1.1, 0.4];
        Assert.All(new GradientChecker(good, theta, new GradientCheckSettings { Seed = 5 }).CheckAdjoint(good), r => Assert.True(r.Passed, r.ToString()));
        Assert.All(new GradientChecker(bad, theta, new GradientCheckSettings { Seed = 5 }).CheckAdjoint(bad), r => Assert.False(r.Passed, r.ToString()));
        Assert.Contains(new GradientChecker(bad, theta, new GradientCheckSettings()).CheckResidualSplit(bad), r => !r.Passed && r.Entry == "gradient");
    }

    /// <summary>rₖ = sin(xₖ)·xₖ₊₁ (k &lt; D−1) and r_{D−1} = x₀ − 1, loss ½‖r‖²; derivatives written by hand, with switchable defects.</summary>
    private sealed class SineChain : IResidualObjective
    {
        public int GradientBugAt { get; init; } = -1;

        public bool TransposeBug { get; init; }

        public string Name => "sine_chain";

        public IndexMap IndexMap { get; } = IndexMap.SingleVector(4);

        public int ResidualCount => 4;

        public void GetInitialTheta(Span<double> theta) => theta.Fill(0.5);

        public IReadOnlyDictionary<string, object?> Describe() => new Dictionary<string, object?> { ["name"] = Name };

        public void Residuals(ReadOnlySpan<double> x, Span<double> r)
        {
            for (int k = 0; k < 3; k++) r[k] = Math.Sin(x[k]) * x[k + 1];
            r[3] = x[0] - 1;
        }

        public void GetWeights(Span<double> w) => w.Fill(1.0);

        public double Evaluate(ReadOnlySpan<double> x, Span<double> gradient)
        {
            Span<double> r = stackalloc double[4];
            Residuals(x, r);
            gradient.Clear();
            for (int k = 0; k < 3; k++)
            {
                gradient[k] += r[k] * Math.Cos(x[k]) * x[k + 1];
                gradient[k + 1] += r[k] * Math.Sin(x[k]);
            }
            gradient[0] += r[3];
            if (GradientBugAt >= 0) gradient[GradientBugAt] *= 1.001;
            double loss = 0;
            foreach (double v in r) loss += 0.5 * v * v;
            return loss;
        }

        public void JacobianVectorProduct(ReadOnlySpan<double> x, ReadOnlySpan<double> v, Span<double> jv)
        {
            for (int k = 0; k < 3; k++) jv[k] = Math.Cos(x[k]) * x[k + 1] * v[k] + Math.Sin(x[k]) * v[k + 1];
            jv[3] = v[0];
        }

        public void VectorJacobianProduct(ReadOnlySpan<double> x, ReadOnlySpan<double> u, Span<double> jtu)
        {
            jtu.Clear();
            for (int k = 0; k < 3; k++)
            {
                // The defect: row and column of the coupling term swapped, as a hand-written transpose might.
                jtu[k] += u[k] * Math.Cos(x[k]) * x[k + 1];
                if (TransposeBug) jtu[k] += u[k + 1] * Math.Sin(x[k]);
                else jtu[k + 1] += u[k] * Math.Sin(x[k]);
            }
            jtu[0] += u[3];
        }
    }
}
