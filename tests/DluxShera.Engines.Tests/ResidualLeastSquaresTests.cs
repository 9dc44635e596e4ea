using DluxShera.Contracts;
using DluxShera.Optimizers;
using Xunit;

namespace DluxShera.Tests;

/// <summary>
/// Gauss–Newton and Levenberg–Marquardt step by step against the normal equations solved by hand (2×2, Cramer's
/// rule) on weighted Rosenbrock residuals, with Nielsen's damping rule (Madsen, Nielsen &amp; Tingleff 2004, eq. 3.16)
/// and Armijo backtracking worked out in the test.
/// </summary>
public class ResidualLeastSquaresTests
{
    // r = (1 − x₀, 10(x₁ − x₀²)), w = (2, ½): loss = ½ Σ wᵢ rᵢ², J = [[−1, 0], [−20x₀, 10]]; minimum 0 at (1, 1).
    private static ClosedFormResiduals Rosenbrock(double[]? start = null) => new(start ?? [-1.2, 1.0], [2.0, 0.5],
        x => [1 - x[0], 10 * (x[1] - x[0] * x[0])],
        x => new double[,] { { -1, 0 }, { -20 * x[0], 10 } });

    // (A + λ diag A) δ = −g by Cramer's rule.
    private static double[] SolveDamped(double[,] a, double lambda, double[] g)
    {
        double m00 = a[0, 0] * (1 + lambda), m11 = a[1, 1] * (1 + lambda), m01 = a[0, 1], m10 = a[1, 0];
        double det = m00 * m11 - m01 * m10;
        return [(-g[0] * m11 + g[1] * m01) / det, (-g[1] * m00 + g[0] * m10) / det];
    }

    private static double Loss(ClosedFormResiduals p, double[] x)
    {
        p.LossAndGradient(x, out _, out double f);
        return f;
    }

    private static double Norm(double[] v) => Math.Sqrt(v.Sum(e => e * e));

    private static void Close(double expected, double actual, string what) =>
        Assert.True(Math.Abs(expected - actual) <= 1e-9 * Math.Max(1, Math.Abs(expected)), $"{what}: expected {expected:R}, got {actual:R}");

    [Fact]
    public void Levenberg_marquardt_follows_the_damped_normal_equations_and_nielsens_rule_step_by_step()
    {
        const double tau = 1e-6;
        const int steps = 16;
        var p = Rosenbrock();
        var (result, sink) = EngineHarness.Run(new ResidualLeastSquares(true, new ResidualLeastSquaresOptions { Lambda0 = tau, NumSteps = steps, Gtol = -1, Ftol = -1, Xtol = 0 }), p);

        double[] x = [-1.2, 1.0];
        var a0 = p.Normal(x);
        double lambda = tau * Math.Max(a0[0, 0], a0[1, 1]), nu = 2;
        int accepted = 0, rejected = 0;
        for (int k = 1; k <= steps; k++)
        {
            p.LossAndGradient(x, out var g, out double f);
            var a = p.Normal(x);
            var delta = SolveDamped(a, lambda, g);
            double quadratic = delta[0] * (a[0, 0] * delta[0] + a[0, 1] * delta[1]) + delta[1] * (a[1, 0] * delta[0] + a[1, 1] * delta[1]);
            double predicted = -(g[0] * delta[0] + g[1] * delta[1] + 0.5 * quadratic);
            double[] trial = [x[0] + delta[0], x[1] + delta[1]];
            double fTrial = Loss(p, trial);
            var row = sink.Rows[k];
            Assert.Equal(k, row.Step);
            if (fTrial < f && predicted > 0)
            {
                double rho = (f - fTrial) / predicted;
                lambda *= Math.Max(1.0 / 3, 1 - Math.Pow(2 * rho - 1, 3));
                nu = 2;
                x = trial;
                accepted++;
                Assert.True(row.Accepted, $"step {k} should be accepted");
                Close(Norm(delta), row.StepNorm, $"step {k} ‖δ‖");
            }
            else
            {
                lambda *= nu;
                nu *= 2;
                rejected++;
                Assert.False(row.Accepted, $"step {k} should be rejected");
                Assert.Equal(0.0, row.StepNorm);
            }
            Close(x[0], row.Theta[0], $"step {k} x₀");
            Close(x[1], row.Theta[1], $"step {k} x₁");
            Close(lambda, row.BaseLr, $"step {k} λ");
            Close(Loss(p, x), row.Loss, $"step {k} loss");
        }
        Assert.True(accepted > 0 && rejected > 0, $"both branches exercised ({accepted} accepted, {rejected} rejected)");
        Assert.Equal(StopReasons.MaxSteps, result.StopReason);
        Assert.Equal(steps, result.StepsCompleted);
        Assert.Equal(accepted, result.Extra["accepted_steps"]);
        Assert.Equal(rejected, result.Extra["rejected_steps"]);
        Close(lambda, (double)result.Extra["final_lambda"]!, "final λ");
        Assert.Equal(p.Calls, result.Evaluations);
        Assert.Equal(1 + steps, p.Calls);
        // JᵀWJ is built once per point (2 products in 2-D) when a step from it is first tried: a rejected trial keeps the
        // point and reuses the matrix; after an accepted last step the run ends before building one for the new point.
        Assert.Equal(2 * (1 + accepted - (sink.Rows[^1].Accepted ? 1 : 0)), p.Products);
    }

    [Fact]
    public void Gauss_newton_backtracks_by_halves_until_armijo_holds()
    {
        const int steps = 6;
        var p = Rosenbrock();
        var (result, sink) = EngineHarness.Run(new ResidualLeastSquares(false, new ResidualLeastSquaresOptions { NumSteps = steps, Gtol = -1, Ftol = -1, Xtol = 0 }), p);
        double[] x = [-1.2, 1.0];
        int evaluations = 1;
        bool halved = false;
        for (int k = 1; k <= steps; k++)
        {
            p.LossAndGradient(x, out var g, out double f);
            var delta = SolveDamped(p.Normal(x), 0, g);
            double slope = g[0] * delta[0] + g[1] * delta[1];
            double alpha = 1;
            for (; ; alpha *= 0.5)
            {
                evaluations++;
                if (Loss(p, [x[0] + alpha * delta[0], x[1] + alpha * delta[1]]) <= f + 1e-4 * alpha * slope) break;
            }
            halved |= alpha < 1;
            x = [x[0] + alpha * delta[0], x[1] + alpha * delta[1]];
            var row = sink.Rows[k];
            Assert.True(row.Accepted);
            Close(alpha, row.BaseLr, $"step {k} α");
            Close(alpha * Norm(delta), row.StepNorm, $"step {k} step norm");
            Close(x[0], row.Theta[0], $"step {k} x₀");
            Close(x[1], row.Theta[1], $"step {k} x₁");
        }
        Assert.True(halved, "the full Gauss–Newton step from (−1.2, 1) overshoots: some step must be halved");
        Assert.Equal(evaluations, result.Evaluations);
        Assert.Equal(p.Calls, result.Evaluations);
        Assert.Equal(steps, result.Extra["accepted_steps"]);
        Assert.Equal(0, result.Extra["rejected_steps"]);
        Assert.Null(result.Extra["final_lambda"]);
    }

    [Fact]
    public void A_singular_normal_matrix_in_three_dimensions_still_gives_the_least_squares_step()
    {
        // r = (x₀ − 1, x₁ + 2x₀, x₁ − 3); x₂ does not enter. Normal equations 5x₀ + 2x₁ = 1, 2x₀ + 2x₁ = 3:
        // x₀ = −2/3, x₁ = 13/6, loss ½(25/9 + 25/36 + 25/36) = 75/36; x₂ stays.
        var p = new ClosedFormResiduals([4.0, -1.0, 7.0], [1.0, 1.0, 1.0], x => [x[0] - 1, x[1] + 2 * x[0], x[1] - 3],
            _ => new double[,] { { 1, 0, 0 }, { 2, 1, 0 }, { 0, 1, 0 } });
        var (result, sink) = EngineHarness.Run(new ResidualLeastSquares(false, new ResidualLeastSquaresOptions()), p);
        Assert.Equal(-2.0 / 3, sink.Rows[1].Theta[0], 1e-9);
        Assert.Equal(13.0 / 6, sink.Rows[1].Theta[1], 1e-9);
        Assert.Equal(7.0, sink.Rows[1].Theta[2], 1e-12);
        Assert.Equal(75.0 / 36, result.BestLoss, 1e-12);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_non_finite_jacobian_fails_the_run_instead_of_solving_with_it(bool levenbergMarquardt)
    {
        // The loss and gradient are finite but the Jacobian products are NaN (a model whose derivative broke down):
        // with a NaN diagonal the damped solve used to raise its ridge forever.
        var p = new ClosedFormResiduals([2.0], [1.0], x => [x[0] - 1], _ => new double[,] { { 1 } }, productJacobian: _ => new double[,] { { double.NaN } });
        var (result, sink) = EngineHarness.Run(new ResidualLeastSquares(levenbergMarquardt, new ResidualLeastSquaresOptions()), p);
        Assert.Equal(RunStatus.Failed, result.Status);
        Assert.Equal(StopReasons.NonFiniteGradient, result.StopReason);
        Assert.Contains("JᵀWJ", result.Message);
        Assert.Equal([2.0], result.FinalTheta);
        Assert.Single(sink.Rows);
    }

    [Fact]
    public void Gtol_is_inclusive_at_the_start()
    {
        // ½(x − 1)² at x = 1.5: max |g| = 0.5 exactly; gtol = 0.5 stops before any step.
        var p = new ClosedFormResiduals([1.5], [1.0], x => [x[0] - 1], _ => new double[,] { { 1 } });
        var (result, _) = EngineHarness.Run(new ResidualLeastSquares(true, new ResidualLeastSquaresOptions { Gtol = 0.5 }), p);
        Assert.Equal(StopReasons.Converged, result.StopReason);
        Assert.Equal(0, result.StepsCompleted);
        Assert.Equal(0, result.Extra["accepted_steps"]);
    }

    [Fact]
    public void Gauss_newton_with_a_singular_normal_matrix_solves_the_determined_part_and_leaves_the_rest()
    {
        // r = (x₀ − 1, x₀ + 1): JᵀJ = [[2, 0], [0, 0]] is singular (x₁ does not enter); the least-squares point is x₀ = 0,
        // and ∂loss/∂x₁ = 0 leaves x₁ where it was.
        var p = new ClosedFormResiduals([3.0, 5.0], [1.0, 1.0], x => [x[0] - 1, x[0] + 1], _ => new double[,] { { 1, 0 }, { 1, 0 } });
        var (result, sink) = EngineHarness.Run(new ResidualLeastSquares(false, new ResidualLeastSquaresOptions()), p);
        Assert.Equal(0.0, sink.Rows[1].Theta[0], 1e-9);
        Assert.Equal(5.0, sink.Rows[1].Theta[1], 1e-12);
        Assert.Equal(1.0, result.BestLoss, 1e-12);
        Assert.Equal(StopReasons.Converged, result.StopReason);
    }

    [Fact]
    public void Gauss_newton_stops_when_no_halving_decreases_the_loss()
    {
        // At the minimum of a residual that is not exactly zero, every trial is no lower: the search halves α to 1e-12,
        // then the run ends line_search_failed without counting the failed trial as a step.
        var p = new ClosedFormResiduals([0.0, 0.0], [1.0, 1.0], x => [x[0] - 1, x[0] + 1], _ => new double[,] { { 1, 0 }, { 1, 0 } });
        var (result, sink) = EngineHarness.Run(new ResidualLeastSquares(false, new ResidualLeastSquaresOptions { Gtol = -1 }), p);
        Assert.Equal("line_search_failed", result.StopReason);
        Assert.Contains("Gauss–Newton", result.Message);
        Assert.Equal(0, result.StepsCompleted);
        Assert.Single(sink.Rows);
        Assert.Equal(p.Calls, result.Evaluations);
    }

    [Fact]
    public void Gtol_stops_at_the_first_point_whose_largest_gradient_entry_is_at_or_below_it()
    {
        var p = Rosenbrock();
        var (result, sink) = EngineHarness.Run(new ResidualLeastSquares(true, new ResidualLeastSquaresOptions { Gtol = 1e-4, Ftol = -1, Xtol = 0 }), p);
        Assert.Equal(StopReasons.Converged, result.StopReason);
        Assert.Contains("gtol", result.Message);
        double MaxG(double[] x)
        {
            p.LossAndGradient(x, out var g, out _);
            return g.Max(Math.Abs);
        }
        Assert.True(MaxG(sink.Rows[^1].Theta) <= 1e-4);
        Assert.All(sink.Rows.Take(sink.Rows.Count - 1), r => Assert.True(MaxG(r.Theta) > 1e-4));
    }

    [Fact]
    public void Ftol_stops_at_the_first_accepted_relative_reduction_at_or_below_it()
    {
        // A third residual (x₀/2 + 1) keeps the minimum above zero, so the reductions shrink relative to the loss.
        var p = new ClosedFormResiduals([-1.2, 1.0], [2.0, 0.5, 1.0], x => [1 - x[0], 10 * (x[1] - x[0] * x[0]), 0.5 * x[0] + 1],
            x => new double[,] { { -1, 0 }, { -20 * x[0], 10 }, { 0.5, 0 } });
        var (result, sink) = EngineHarness.Run(new ResidualLeastSquares(true, new ResidualLeastSquaresOptions { Gtol = -1, Ftol = 1e-6, Xtol = 0 }), p);
        Assert.Equal(StopReasons.Converged, result.StopReason);
        Assert.Contains("ftol", result.Message);
        var accepted = sink.Rows.Where(r => r.Accepted).Select(r => r.Loss).ToList();
        double Rel(int k) => (accepted[k - 1] - accepted[k]) / Math.Max(accepted[k - 1], accepted[k]);
        Assert.True(Rel(accepted.Count - 1) <= 1e-6);
        for (int k = 1; k < accepted.Count - 1; k++) Assert.True(Rel(k) > 1e-6, $"accepted step {k}: {Rel(k)}");
    }

    [Fact]
    public void Xtol_stops_at_the_first_step_shorter_than_xtol_times_the_norm_of_theta()
    {
        var p = Rosenbrock([-1.2, 1.0]);
        const double xtol = 1e-3;
        var (result, sink) = EngineHarness.Run(new ResidualLeastSquares(true, new ResidualLeastSquaresOptions { Gtol = -1, Ftol = -1, Xtol = xtol }), p);
        Assert.Equal(StopReasons.Converged, result.StopReason);
        Assert.Contains("xtol", result.Message);
        var accepted = sink.Rows.Skip(1).Where(r => r.Accepted).ToList();
        bool Small(int i) => accepted[i].StepNorm <= xtol * (Norm(accepted[i].Theta) + xtol);
        Assert.True(Small(accepted.Count - 1));
        for (int i = 0; i < accepted.Count - 1; i++) Assert.False(Small(i), $"accepted step {i + 1}");
    }

    [Fact]
    public void Num_steps_counts_rejected_trials_and_stops_exactly_there()
    {
        var p = Rosenbrock();
        var (result, sink) = EngineHarness.Run(new ResidualLeastSquares(true, new ResidualLeastSquaresOptions { Lambda0 = 1e-6, NumSteps = 3, Gtol = -1, Ftol = -1, Xtol = 0 }), p);
        Assert.Equal(StopReasons.MaxSteps, result.StopReason);
        Assert.Equal(3, result.StepsCompleted);
        Assert.Equal(4, sink.Rows.Count);
        Assert.Equal("", result.Message);
    }

    [Fact]
    public void Describe_records_the_documented_options_for_both_engines()
    {
        var o = new ResidualLeastSquaresOptions { NumSteps = 9, Lambda0 = 0.25, Gtol = 1e-7, Ftol = 1e-8, Xtol = 1e-9 };
        var lm = new ResidualLeastSquares(true, o);
        var gn = new ResidualLeastSquares(false, o);
        Assert.Equal("levenberg_marquardt", lm.Name);
        Assert.Equal("gauss_newton", gn.Name);
        var d = lm.Describe();
        Assert.Equal("levenberg_marquardt", d["name"]);
        Assert.Equal(9, d["num_steps"]);
        Assert.Equal(1.0, d["base_lr"]);
        Assert.Equal("trust_region", ((IReadOnlyDictionary<string, object?>)d["schedule"]!)["kind"]);
        Assert.Equal(0.25, d["lambda0"]);
        Assert.Equal(1e-7, d["gtol"]);
        Assert.Equal(1e-8, d["ftol"]);
        Assert.Equal(1e-9, d["xtol"]);
        Assert.NotNull(d["stopping"]);
        var dg = gn.Describe();
        Assert.Equal("gauss_newton", dg["name"]);
        Assert.Equal("line_search", ((IReadOnlyDictionary<string, object?>)dg["schedule"]!)["kind"]);
        Assert.True(dg.ContainsKey("lambda0"));
        Assert.Null(dg["lambda0"]);
    }

    [Theory]
    [InlineData(-1, 1e-3, "num_steps", "must be ≥ 0")]
    [InlineData(0, 0.0, "lambda0", "must be positive")]
    [InlineData(0, -1.0, "lambda0", "must be positive")]
    [InlineData(0, double.NaN, "lambda0", "must be positive")]
    [InlineData(0, 1e-300, null, null)]
    public void Validation_names_the_key_at_the_boundary(int numSteps, double lambda0, string? key, string? message)
    {
        var problems = new ResidualLeastSquaresOptions { NumSteps = numSteps, Lambda0 = lambda0 }.Validate().ToList();
        if (key is null)
        {
            Assert.Empty(problems);
            return;
        }
        Assert.Equal((key, message!), Assert.Single(problems));
    }
}
