using DluxShera.Contracts;
using DluxShera.Optimizers;
using DluxShera.Sdk;
using DluxShera.TestProblems;
using Xunit;

namespace DluxShera.Tests;

public class SecondOrderEngineTests
{
    private static bool Reached(LeastSquaresProblem p, double f) =>
        p.KnownMinima.Any(fstar => Math.Abs(f - fstar) <= 1e-8 + 1e-6 * Math.Abs(fstar));

    // Problems L-BFGS is meant for from the standard start. Left out, and recorded in docs/benchmarks.md:
    // 10 (Meyer: exponent scales of 1e4 stall every first-order quasi-Newton method) and
    // 14 (Wood: L-BFGS settles at the well-known stationary point near f = 7.877).
    [Theory]
    [InlineData(1)] [InlineData(2)] [InlineData(3)] [InlineData(4)] [InlineData(5)] [InlineData(6)]
    [InlineData(7)] [InlineData(8)] [InlineData(9)] [InlineData(11)] [InlineData(12)] [InlineData(13)]
    [InlineData(15)] [InlineData(16)] [InlineData(17)] [InlineData(18)]
    public void Lbfgs_reaches_the_known_mgh_minimum(int number)
    {
        var problem = MoreGarbowHillstrom.Create(number);
        var (result, _) = EngineHarness.Run(new Lbfgs(new LbfgsOptions { Ftol = 1e-15, Gtol = 1e-9, NumSteps = 3000 }), problem);
        Assert.Equal(RunStatus.Ok, result.Status);
        Assert.True(Reached(problem, result.BestLoss), $"{problem.Name}: f = {result.BestLoss:R}, known {string.Join(", ", problem.KnownMinima)} ({result.StopReason}, {result.Evaluations} evaluations)");
    }

    [Theory]
    [InlineData(1)] [InlineData(2)] [InlineData(3)] [InlineData(4)] [InlineData(5)] [InlineData(6)] [InlineData(7)]
    [InlineData(8)] [InlineData(9)] [InlineData(10)] [InlineData(11)] [InlineData(12)] [InlineData(13)] [InlineData(14)]
    [InlineData(15)] [InlineData(17)] [InlineData(18)]
    public void Levenberg_marquardt_reaches_the_known_mgh_minimum(int number)
    {
        var problem = MoreGarbowHillstrom.Create(number);
        var (result, _) = EngineHarness.Run(new ResidualLeastSquares(true, new ResidualLeastSquaresOptions { NumSteps = 500 }), problem);
        Assert.True(Reached(problem, result.BestLoss), $"{problem.Name}: f = {result.BestLoss:R} ({result.StopReason})");
    }

    [Fact]
    public void Gauss_newton_solves_linear_least_squares_in_one_step()
    {
        var problem = new NoisyLinearLeastSquares(new NoisyLinearOptions { Dimension = 6, Observations = 80, Sigma = 0.05, Seed = 3 });
        var (result, sink) = EngineHarness.Run(new ResidualLeastSquares(false, new ResidualLeastSquaresOptions()), problem);
        var g = new double[6];
        double f1 = problem.Evaluate(sink.Rows[1].Theta, g);
        Assert.True(g.Max(Math.Abs) < 1e-8 * Math.Max(1, f1), $"gradient after one step {g.Max(Math.Abs)}");
        Assert.True(result.StepsCompleted <= 2);
        Assert.Equal(result.BestLoss, f1, 10);
    }

    [Fact]
    public void Levenberg_marquardt_records_rejected_trials_as_unaccepted_rows()
    {
        var (result, sink) = EngineHarness.Run(new ResidualLeastSquares(true, new ResidualLeastSquaresOptions { Lambda0 = 1e-9 }), MoreGarbowHillstrom.Create(16));
        var rejected = sink.Rows.Where(r => !r.Accepted).ToList();
        Assert.Equal(rejected.Count, (int)result.Extra["rejected_steps"]!);
        Assert.All(rejected, r => Assert.Equal(0.0, r.StepNorm));
    }

    [Fact]
    public void Gauss_newton_refuses_an_objective_without_residuals()
    {
        var e = Assert.Throws<NotSupportedException>(() => EngineHarness.Run(new ResidualLeastSquares(false, new ResidualLeastSquaresOptions()), new Rosenbrock(new RosenbrockOptions())));
        Assert.Contains("'rosenbrock'", e.Message);
    }

    [Fact]
    public void Lbfgs_reports_a_non_finite_objective_and_keeps_the_last_good_point()
    {
        var (result, sink) = EngineHarness.Run(new Lbfgs(new LbfgsOptions()), new NonFiniteAfter(new NonFiniteAfterOptions { Dimension = 3, Evaluations = 2 }));
        Assert.Equal(RunStatus.Failed, result.Status);
        Assert.Equal(StopReasons.NonFiniteLoss, result.StopReason);
        Assert.All(result.FinalTheta, x => Assert.True(double.IsFinite(x)));
        Assert.Equal(sink.Rows[^1].Theta, result.FinalTheta);
    }

    [Fact]
    public void Lbfgs_respects_the_evaluation_budget()
    {
        var (result, _) = EngineHarness.Run(new Lbfgs(new LbfgsOptions { MaxEvaluations = 30, Ftol = 0, Gtol = 0 }), MoreGarbowHillstrom.Create(10));
        Assert.Equal("max_evaluations", result.StopReason);
        // The budget is a bound: the last line search is cut short rather than finished past it.
        Assert.InRange(result.Evaluations, 25, 30);
    }
}
