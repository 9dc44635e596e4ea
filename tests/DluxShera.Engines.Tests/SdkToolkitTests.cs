using DluxShera.Contracts;
using DluxShera.Optimizers;
using DluxShera.Sdk;
using Xunit;

namespace DluxShera.Tests;

/// <summary>
/// The engine toolkit (sdk/DluxShera.Sdk) that third-party engines build on: options validation by key at the
/// boundary, what the shared first-order loop and StepRecorder record (non-finite evaluations, gradients every
/// k steps, restored best points), the meta.json descriptions, and schedule factors against Optax's formulas.
/// </summary>
public class SdkToolkitTests
{
    // ½x² in one dimension from x = 1: gradient x, GD with lr h gives x_t = (1 − h)^t.
    private static FunctionObjective HalfSquare(Func<int, double>? poison = null)
    {
        int calls = 0;
        return new FunctionObjective(1, (x, g) =>
        {
            int call = calls++;
            g[0] = x[0];
            double f = 0.5 * x[0] * x[0];
            if (poison is not null && !double.IsFinite(poison(call)))
            {
                if (call % 2 == 0) return poison(call);
                g[0] = poison(call);
            }
            return f;
        }, [1.0]);
    }

    private static FirstOrderEngine Gd(int steps, double lr, StoppingOptions? stopping = null) =>
        new("gd", new GradientDescentOptions { NumSteps = steps, LearningRate = lr, Stopping = stopping ?? new() }, new ScaleByLearningRate());

    [Theory]
    [InlineData("patience", 0)]
    [InlineData("loss_rtol", -1e-300)]
    [InlineData("loss_atol", -1e-300)]
    [InlineData("step_atol", -1e-300)]
    [InlineData("grad_norm_atol", -1e-300)]
    [InlineData("loss_rtol", double.NaN)]
    [InlineData("min_iter", -1)]
    public void Stopping_options_name_the_refused_key(string key, double value)
    {
        var o = new StoppingOptions();
        switch (key)
        {
            case "patience": o.Patience = (int)value; break;
            case "loss_rtol": o.LossRtol = value; break;
            case "loss_atol": o.LossAtol = value; break;
            case "step_atol": o.StepAtol = value; break;
            case "grad_norm_atol": o.GradNormAtol = value; break;
            case "min_iter": o.MinIter = (int)value; break;
        }
        var (k, message) = Assert.Single(o.Validate());
        Assert.Equal(key, k);
        Assert.StartsWith(key is "patience" ? "must be ≥ 1" : "must be ≥ 0", message);
        Assert.Empty(new StoppingOptions { Patience = 1, MinIter = 0, LossRtol = 0, LossAtol = 0, StepAtol = 0, GradNormAtol = 0 }.Validate());
    }

    [Theory]
    [InlineData(1e-9, 0, 0, 0)]
    [InlineData(0, 1e-9, 0, 0)]
    [InlineData(0, 0, 1e-9, 0)]
    [InlineData(0, 0, 0, 1e-9)]
    public void Any_positive_tolerance_enables_stopping(double rtol, double atol, double step, double grad)
    {
        Assert.True(new StoppingOptions { LossRtol = rtol, LossAtol = atol, StepAtol = step, GradNormAtol = grad }.Enabled);
        Assert.False(new StoppingOptions().Enabled);
    }

    [Fact]
    public void Stopping_describes_every_setting()
    {
        var d = new StoppingOptions { Patience = 3, LossRtol = 1e-5, LossAtol = 1e-6, StepAtol = 1e-7, GradNormAtol = 1e-8, MinIter = 4, RestoreBest = true }.Describe();
        Assert.Equal(3, d["patience"]);
        Assert.Equal(1e-5, d["loss_rtol"]);
        Assert.Equal(1e-6, d["loss_atol"]);
        Assert.Equal(1e-7, d["step_atol"]);
        Assert.Equal(1e-8, d["grad_norm_atol"]);
        Assert.Equal(4, d["min_iter"]);
        Assert.Equal(true, d["restore_best"]);
    }

    [Fact]
    public void A_streak_is_broken_by_a_step_that_has_not_converged()
    {
        // grad_norm_atol 0.5, patience 2: norms 0.4, 0.6, 0.4, 0.3 → converged, not, converged, converged: stop at step 4.
        var m = new ConvergenceMonitor(new StoppingOptions { GradNormAtol = 0.5, Patience = 2 });
        Assert.False(m.ShouldStop(0, 1, 0, 0.1)); // step 0 never stops
        Assert.False(m.ShouldStop(1, 1, 1, 0.4));
        Assert.False(m.ShouldStop(2, 1, 1, 0.6));
        Assert.False(m.ShouldStop(3, 1, 1, 0.4));
        Assert.True(m.ShouldStop(4, 1, 1, 0.3));
        Assert.Equal("gradient norm", m.LastTest);
    }

    [Fact]
    public void Each_test_names_itself_and_the_loss_change_is_measured_from_the_previous_step()
    {
        var loss = new ConvergenceMonitor(new StoppingOptions { LossAtol = 0.1 });
        Assert.False(loss.ShouldStop(0, 10, 0, 1));
        Assert.False(loss.ShouldStop(1, 9.8, 1, 1)); // |Δ| = 0.2
        Assert.True(loss.ShouldStop(2, 9.75, 1, 1)); // |Δ| = 0.05
        Assert.Equal("loss change", loss.LastTest);
        var step = new ConvergenceMonitor(new StoppingOptions { StepAtol = 0.1 });
        Assert.False(step.ShouldStop(0, 1, 0, 1));
        Assert.False(step.ShouldStop(1, 1, 0.2, 1));
        Assert.True(step.ShouldStop(2, 1, 0.1, 1)); // at the tolerance counts
        Assert.Equal("step norm", step.LastTest);
        var off = new ConvergenceMonitor(new StoppingOptions());
        Assert.False(off.ShouldStop(1, 1, 0, 0));
        Assert.Equal("", off.LastTest);
    }

    [Theory]
    [InlineData(-1, 1e-3, "num_steps", "must be ≥ 0, got -1")]
    [InlineData(0, 0.0, "learning_rate", "must be a positive finite number, got 0")]
    [InlineData(0, -1.0, "learning_rate", "must be a positive finite number, got -1")]
    [InlineData(0, double.PositiveInfinity, "learning_rate", "must be a positive finite number, got ∞")]
    [InlineData(0, double.NaN, "learning_rate", "must be a positive finite number, got NaN")]
    [InlineData(0, 1e-300, null, null)]
    public void First_order_options_name_the_refused_key(int steps, double lr, string? key, string? message)
    {
        var problems = new GradientDescentOptions { NumSteps = steps, LearningRate = lr }.Validate().ToList();
        if (key is null)
        {
            Assert.Empty(problems);
            return;
        }
        Assert.Equal((key, message!.Replace("∞", double.PositiveInfinity.ToString())), Assert.Single(problems)); // the value as the current culture prints it
    }

    public static TheoryData<string, string, ScheduleOptions> RefusedSchedules() => new()
    {
        { "warmup_steps", "must be ≥ 0", new ScheduleOptions { Kind = ScheduleKind.LinearWarmup, WarmupSteps = -1 } },
        { "scales", "needs one scale per boundary (2)", new ScheduleOptions { Kind = ScheduleKind.PiecewiseConstant, Boundaries = [1, 2], Scales = [0.5] } },
        { "transition_steps", "must be ≥ 1", new ScheduleOptions { Kind = ScheduleKind.ExponentialDecay, TransitionSteps = 0, DecayRate = 0.5 } },
        { "decay_steps", "must be ≥ 1", new ScheduleOptions { Kind = ScheduleKind.CosineDecay, DecaySteps = 0 } },
        { "decay_rate", "must be positive", new ScheduleOptions { Kind = ScheduleKind.ExponentialDecay, DecayRate = 0 } },
        { "decay_steps", "must be ≥ warmup_steps (it is the total length)", new ScheduleOptions { Kind = ScheduleKind.LinearWarmupCosineDecay, WarmupSteps = 11, DecaySteps = 10 } },
    };

    [Theory]
    [MemberData(nameof(RefusedSchedules))]
    public void Schedule_options_name_the_refused_key(string key, string message, ScheduleOptions schedule) =>
        Assert.Equal((key, message), Assert.Single(schedule.Validate()));

    [Fact]
    public void Schedule_options_at_the_edge_of_their_range_are_accepted()
    {
        Assert.Empty(new ScheduleOptions { Kind = ScheduleKind.LinearWarmup, WarmupSteps = 0 }.Validate());
        Assert.Empty(new ScheduleOptions { Kind = ScheduleKind.ExponentialDecay, TransitionSteps = 1, DecayRate = 1e-300 }.Validate());
        Assert.Empty(new ScheduleOptions { Kind = ScheduleKind.Constant, DecayRate = 0 }.Validate()); // decay_rate is only read by exponential_decay
        Assert.Empty(new ScheduleOptions { Kind = ScheduleKind.LinearWarmupCosineDecay, WarmupSteps = 10, DecaySteps = 10 }.Validate());
        Assert.Empty(new ScheduleOptions { Kind = ScheduleKind.CosineDecay, DecaySteps = 1 }.Validate());
        Assert.Empty(new ScheduleOptions { Kind = ScheduleKind.CosineDecay, WarmupSteps = 20, DecaySteps = 10 }.Validate()); // only the combined kind ties them
    }

    [Theory]
    // Optax exponential_decay(init 1, transition_steps 2, decay_rate 2, transition_begin 1, end_value 5): growth capped at 5.
    [InlineData(0, 1.0)] [InlineData(1, 1.0)] [InlineData(2, 1.4142135623730951)] [InlineData(3, 2.0)] [InlineData(5, 4.0)] [InlineData(6, 5.0)] [InlineData(40, 5.0)]
    public void Exponential_growth_is_capped_by_end_value(int t, double expected) =>
        Assert.Equal(expected, new ScheduleOptions { Kind = ScheduleKind.ExponentialDecay, TransitionSteps = 2, DecayRate = 2, TransitionBegin = 1, EndValue = 5 }.Factor(t), 1e-15);

    [Fact]
    public void Schedule_descriptions_carry_each_kinds_own_configuration()
    {
        IReadOnlyDictionary<string, object?> Config(ScheduleOptions s) => (IReadOnlyDictionary<string, object?>)s.Describe(10)["config"]!;
        var warm = Config(new ScheduleOptions { Kind = ScheduleKind.LinearWarmup, WarmupSteps = 3, InitValue = 0.1 });
        Assert.Equal([("init_value", (object?)0.1), ("warmup_steps", 3)], warm.OrderBy(p => p.Key).Select(p => (p.Key, p.Value)));
        var pw = Config(new ScheduleOptions { Kind = ScheduleKind.PiecewiseConstant, Boundaries = [2], Scales = [0.5] });
        Assert.Equal(new[] { 2 }, (int[])pw["boundaries"]!);
        Assert.Equal(new[] { 0.5 }, (double[])pw["scales"]!);
        var exp = Config(new ScheduleOptions { Kind = ScheduleKind.ExponentialDecay, TransitionSteps = 4, DecayRate = 0.5, TransitionBegin = 2, Staircase = true, EndValue = 0.1 });
        Assert.Equal(4, exp["transition_steps"]);
        Assert.Equal(0.5, exp["decay_rate"]);
        Assert.Equal(2, exp["transition_begin"]);
        Assert.Equal(true, exp["staircase"]);
        Assert.Equal(0.1, exp["end_value"]);
        var cos = Config(new ScheduleOptions { Kind = ScheduleKind.CosineDecay, DecaySteps = 8, Alpha = 0.2 });
        Assert.Equal(8, cos["decay_steps"]);
        Assert.Equal(0.2, cos["alpha"]);
        var wc = Config(new ScheduleOptions { Kind = ScheduleKind.LinearWarmupCosineDecay, WarmupSteps = 2, InitValue = 0.3, DecaySteps = 9 });
        Assert.Equal(2, wc["warmup_steps"]);
        Assert.Equal(0.3, wc["init_value"]);
        Assert.Equal(9, wc["decay_steps"]);
        Assert.Equal(0.0, wc["end_value"]);
        Assert.Empty(Config(new ScheduleOptions()));
        Assert.Equal("linear_warmup_cosine_decay", new ScheduleOptions { Kind = ScheduleKind.LinearWarmupCosineDecay, DecaySteps = 9 }.Describe(10)["kind"]);
    }

    [Fact]
    public void A_first_order_engine_describes_its_loop_and_its_transformation()
    {
        var o = new MomentumOptions { NumSteps = 12, LearningRate = 0.3, Momentum = 0.7, Nesterov = true };
        var d = new FirstOrderEngine("momentum", o, new Chain(new Trace(0.7, true), new ScaleByLearningRate())).Describe();
        Assert.Equal("momentum", d["name"]);
        Assert.Equal(12, d["num_steps"]);
        Assert.Equal(0.3, d["base_lr"]);
        Assert.Equal("constant", ((IReadOnlyDictionary<string, object?>)d["schedule"]!)["kind"]);
        Assert.Equal(1, ((IReadOnlyDictionary<string, object?>)d["stopping"]!)["patience"]);
        Assert.Equal(0.7, d["momentum"]);
        Assert.Equal(true, d["nesterov"]);
        var adam = new ScaleByAdam(0.8, 0.99, 1e-7, 1e-9).Describe();
        Assert.Equal([0.8, 0.99, 1e-7, 1e-9], new[] { "b1", "b2", "eps", "eps_root" }.Select(k => (double)adam[k]!));
        var rms = new ScaleByRms(0.95, 1e-6, 0.5).Describe();
        Assert.Equal([0.95, 1e-6, 0.5], new[] { "decay", "eps", "initial_scale" }.Select(k => (double)rms[k]!));
        Assert.Empty(new ScaleByLearningRate().Describe());
    }

    [Fact]
    public void Rmsprop_starts_its_average_at_initial_scale()
    {
        // v₁ = d·s + (1 − d)·g² with s = 1, d = 0.9, g = 1 (½x² at x = 1): u = g/√(v₁ + eps) = 1/√1 → x₁ = 1 − lr.
        var o = new RmsPropOptions { NumSteps = 1, LearningRate = 0.1, Decay = 0.9, Eps = 0, InitialScale = 1 };
        var (_, sink) = EngineHarness.Run(new FirstOrderEngine("rmsprop", o, new Chain(new ScaleByRms(0.9, 0, 1), new ScaleByLearningRate())), HalfSquare());
        Assert.Equal(0.9, sink.Rows[1].Theta[0], 1e-15);
        // Without it: v₁ = 0.1 → u = 1/√0.1.
        var (_, sink0) = EngineHarness.Run(new FirstOrderEngine("rmsprop", o, new Chain(new ScaleByRms(0.9, 0, 0), new ScaleByLearningRate())), HalfSquare());
        Assert.Equal(1 - 0.1 / Math.Sqrt(0.1), sink0.Rows[1].Theta[0], 1e-15);
    }

    [Fact]
    public void Max_steps_ends_after_exactly_num_steps_with_the_step_norms_recorded()
    {
        var f = HalfSquare();
        var (result, sink) = EngineHarness.Run(Gd(3, 0.5), f);
        Assert.Equal(StopReasons.MaxSteps, result.StopReason);
        Assert.Equal("", result.Message);
        Assert.Equal(3, result.StepsCompleted);
        Assert.Equal([1.0, 0.5, 0.25, 0.125], sink.Rows.Select(r => r.Theta[0]));
        Assert.Equal([0.0, 0.5, 0.25, 0.125], sink.Rows.Select(r => r.StepNorm));
        Assert.Equal(4, result.Evaluations);
        Assert.Equal(f.Calls, result.Evaluations);
        Assert.Equal(0.5, result.InitialLoss);
    }

    [Fact]
    public void A_non_finite_loss_at_the_start_fails_with_the_start_kept_and_no_best_loss()
    {
        var (result, sink) = EngineHarness.Run(Gd(5, 0.5), HalfSquare(call => call == 0 ? double.NaN : 0));
        Assert.Equal(RunStatus.Failed, result.Status);
        Assert.Equal(StopReasons.NonFiniteLoss, result.StopReason);
        Assert.Equal("step 0: loss is NaN; the last finite point (step 0) is kept", result.Message);
        Assert.Equal([1.0], result.FinalTheta);
        Assert.Equal(0, result.StepsCompleted);
        Assert.True(double.IsNaN(result.FinalLoss));
        Assert.True(double.IsNaN(result.BestLoss));
        Assert.Empty(sink.Rows);
    }

    [Fact]
    public void A_non_finite_gradient_later_keeps_the_last_finite_point_and_its_loss()
    {
        // Calls 0, 1, 2 are fine (x = 1, 0.5, 0.25); call 3 (odd: the gradient) is −∞.
        var (result, sink) = EngineHarness.Run(Gd(9, 0.5), HalfSquare(call => call == 3 ? double.NegativeInfinity : 0));
        Assert.Equal(StopReasons.NonFiniteGradient, result.StopReason);
        Assert.Equal("step 3: the gradient has a non-finite entry; the last finite point (step 2) is kept", result.Message);
        Assert.Equal([0.25], result.FinalTheta);
        Assert.Equal(2, result.StepsCompleted);
        Assert.Equal(0.03125, result.FinalLoss);
        Assert.Equal(3, sink.Rows.Count);
    }

    [Fact]
    public void Gradients_are_recorded_every_k_steps_when_asked()
    {
        var (_, sink) = EngineHarness.Run(Gd(5, 0.5), HalfSquare(), gradientEvery: 2);
        Assert.Equal([0, 2, 4], sink.Gradients.Select(g => g.Step));
        Assert.Equal([1.0, 0.25, 0.0625], sink.Gradients.Select(g => g.Gradient[0]));
        var (_, none) = EngineHarness.Run(Gd(5, 0.5), HalfSquare());
        Assert.Empty(none.Gradients);
    }

    [Fact]
    public void Restore_best_says_where_the_best_point_was_and_only_when_it_differs()
    {
        // lr 2.5 on ½x²: x ← −1.5x, the loss grows every step, so the best point is the start.
        var (result, _) = EngineHarness.Run(Gd(4, 2.5, new StoppingOptions { RestoreBest = true }), HalfSquare());
        Assert.Equal(StopReasons.MaxSteps, result.StopReason);
        Assert.Equal("restored the best point (step 0)", result.Message);
        Assert.Equal(0, result.FinalStep);
        Assert.Equal([1.0], result.FinalTheta);
        Assert.Equal(0.5, result.FinalLoss);
        Assert.Equal(4, result.StepsCompleted);

        // A converging run ends at its best point: nothing to restore, nothing said.
        var (calm, _) = EngineHarness.Run(Gd(4, 0.5, new StoppingOptions { RestoreBest = true }), HalfSquare());
        Assert.Equal("", calm.Message);
        Assert.Equal(4, calm.FinalStep);

        // With a stop message, the restore note is appended to it.
        var (stopped, _) = EngineHarness.Run(Gd(50, 2.5, new StoppingOptions { RestoreBest = true, StepAtol = 100 }), HalfSquare());
        Assert.Equal("step norm below tolerance; restored the best point (step 0)", stopped.Message);
    }

    [Fact]
    public void The_finiteness_check_names_the_loss_before_the_gradient()
    {
        Assert.Equal(StopReasons.NonFiniteLoss, NonFiniteCheck.Reason(double.PositiveInfinity, [double.NaN]));
        Assert.Equal(StopReasons.NonFiniteGradient, NonFiniteCheck.Reason(1, [0, double.NegativeInfinity]));
        Assert.Null(NonFiniteCheck.Reason(double.MaxValue, [double.MinValue, 0]));
    }
}
