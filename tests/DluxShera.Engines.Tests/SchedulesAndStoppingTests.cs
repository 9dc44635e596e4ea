using DluxShera.Contracts;
using DluxShera.Optimizers;
using DluxShera.Sdk;
using DluxShera.TestProblems;
using Xunit;

namespace DluxShera.Tests;

public class SchedulesAndStoppingTests
{
    [Theory]
    [InlineData(0, 0.1)]
    [InlineData(5, 0.55)]
    [InlineData(10, 1.0)]
    [InlineData(50, 1.0)]
    public void Linear_warmup(int t, double expected) =>
        Assert.Equal(expected, new ScheduleOptions { Kind = ScheduleKind.LinearWarmup, WarmupSteps = 10, InitValue = 0.1 }.Factor(t), 12);

    [Theory]
    [InlineData(9, 1.0)]
    [InlineData(10, 0.5)]
    [InlineData(19, 0.5)]
    [InlineData(20, 0.05)]
    public void Piecewise_constant_multiplies_at_each_boundary(int t, double expected) =>
        Assert.Equal(expected, new ScheduleOptions { Kind = ScheduleKind.PiecewiseConstant, Boundaries = [10, 20], Scales = [0.5, 0.1] }.Factor(t), 12);

    [Fact]
    public void Exponential_decay_with_staircase_begin_and_end_value()
    {
        var smooth = new ScheduleOptions { Kind = ScheduleKind.ExponentialDecay, TransitionSteps = 10, DecayRate = 0.5 };
        Assert.Equal(Math.Pow(0.5, 1.5), smooth.Factor(15), 12);
        var stairs = new ScheduleOptions { Kind = ScheduleKind.ExponentialDecay, TransitionSteps = 10, DecayRate = 0.5, Staircase = true };
        Assert.Equal(0.5, stairs.Factor(15), 12);
        var delayed = new ScheduleOptions { Kind = ScheduleKind.ExponentialDecay, TransitionSteps = 10, DecayRate = 0.5, TransitionBegin = 5, EndValue = 0.3 };
        Assert.Equal(1.0, delayed.Factor(3), 12);
        Assert.Equal(Math.Pow(0.5, 0.5), delayed.Factor(10), 12);
        Assert.Equal(0.3, delayed.Factor(100), 12);
    }

    [Theory]
    [InlineData(0, 1.0)]
    [InlineData(50, 0.55)]
    [InlineData(100, 0.1)]
    [InlineData(200, 0.1)]
    public void Cosine_decay(int t, double expected) =>
        Assert.Equal(expected, new ScheduleOptions { Kind = ScheduleKind.CosineDecay, DecaySteps = 100, Alpha = 0.1 }.Factor(t), 12);

    [Theory]
    [InlineData(0, 0.0)]
    [InlineData(5, 0.5)]
    [InlineData(10, 1.0)]
    [InlineData(60, 0.5)]
    [InlineData(110, 0.0)]
    public void Linear_warmup_cosine_decay(int t, double expected) =>
        Assert.Equal(expected, new ScheduleOptions { Kind = ScheduleKind.LinearWarmupCosineDecay, WarmupSteps = 10, DecaySteps = 110 }.Factor(t), 12);

    [Fact]
    public void Schedule_description_reports_first_last_min_max()
    {
        var d = new ScheduleOptions { Kind = ScheduleKind.LinearWarmup, WarmupSteps = 10, InitValue = 0.1 }.Describe(20);
        Assert.Equal("linear_warmup", d["kind"]);
        Assert.Equal(0.1, (double)d["first_factor"]!, 12);
        Assert.Equal(1.0, (double)d["last_factor"]!, 12);
        Assert.Equal(0.1, (double)d["min_factor"]!, 12);
        Assert.Equal(1.0, (double)d["max_factor"]!, 12);
    }

    [Fact]
    public void Trace_records_the_scheduled_rate_of_each_step()
    {
        var schedule = new ScheduleOptions { Kind = ScheduleKind.ExponentialDecay, TransitionSteps = 1, DecayRate = 0.9 };
        var (_, sink) = EngineHarness.Run(EngineHarness.FirstOrder("gd", 5, 0.01, null, schedule), new Rosenbrock(new RosenbrockOptions()));
        // Row t holds the rate of the step that produced θ_t; row 0 the first rate.
        Assert.Equal(new[] { 0.01, 0.01, 0.009, 0.0081, 0.00729, 0.006561 }, sink.Rows.Select(r => Math.Round(r.BaseLr, 12)));
    }

    [Fact]
    public void Gradient_tolerance_stops_early_with_reason_converged()
    {
        var stopping = new StoppingOptions { GradNormAtol = 1e-8 };
        var (result, sink) = EngineHarness.Run(EngineHarness.FirstOrder("gd", 100_000, 0.5, null, stopping: stopping),
            new DiagonalQuadratic(new QuadraticOptions { Dimension = 5, Condition = 2 }));
        Assert.Equal(StopReasons.Converged, result.StopReason);
        Assert.Equal(RunStatus.Ok, result.Status);
        Assert.True(result.StepsCompleted < 100, $"{result.StepsCompleted} steps");
        Assert.Equal(result.StepsCompleted + 1, sink.Rows.Count);
    }

    [Fact]
    public void Patience_and_min_iter_delay_the_stop()
    {
        var quadratic = new DiagonalQuadratic(new QuadraticOptions { Dimension = 5, Condition = 2 });
        var once = EngineHarness.Run(EngineHarness.FirstOrder("gd", 10_000, 0.5, null, stopping: new() { GradNormAtol = 1e-6 }), quadratic).Result;
        var patient = EngineHarness.Run(EngineHarness.FirstOrder("gd", 10_000, 0.5, null, stopping: new() { GradNormAtol = 1e-6, Patience = 5 }), quadratic).Result;
        var late = EngineHarness.Run(EngineHarness.FirstOrder("gd", 10_000, 0.5, null, stopping: new() { GradNormAtol = 1e-6, MinIter = 500 }), quadratic).Result;
        Assert.Equal(once.StepsCompleted + 4, patient.StepsCompleted);
        Assert.Equal(500, late.StepsCompleted);
    }

    [Fact]
    public void Restore_best_reports_the_best_point_as_final()
    {
        // lr = 0.002 is just above 2/λmax at the Rosenbrock minimum: GD gets close, then diverges slowly.
        var plain = EngineHarness.Run(EngineHarness.FirstOrder("gd", 20_000, 0.002, null), new Rosenbrock(new RosenbrockOptions())).Result;
        var restored = EngineHarness.Run(EngineHarness.FirstOrder("gd", 20_000, 0.002, null, stopping: new() { RestoreBest = true }), new Rosenbrock(new RosenbrockOptions())).Result;
        Assert.True(plain.FinalLoss > 100 * plain.BestLoss, "the test needs a run that moves away from its best point");
        Assert.Equal(restored.BestLoss, restored.FinalLoss);
        Assert.Equal(restored.BestStep, restored.FinalStep);
        Assert.Equal(restored.BestTheta, restored.FinalTheta);
        Assert.Contains("restored the best point", restored.Message);
    }
}
