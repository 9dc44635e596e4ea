using DluxShera.Contracts;
using DluxShera.Sdk;
using Xunit;

namespace DluxShera.Tests;

/// <summary>
/// Stopping and the recorded result at their boundaries (docs/optimizers.md: each tolerance "enabled when positive",
/// tests with ≤), on GD over f = x²/2 from x₀ = 1 where every iterate is exact in binary: with rate η,
/// xₖ = (1 − η)ᵏ, |g| = |xₖ|, step norm η|xₖ₋₁|.
/// </summary>
public class StoppingBoundaryTests
{
    private static FunctionObjective HalfSquare() => OneDimensional.HalfSquare([1.0]);

    private static (OptimizationResult Result, MemorySink Sink) Gd(double lr, int steps, StoppingOptions stopping, ScheduleOptions? schedule = null, CancellationToken cancel = default,
        Action<ProgressUpdate>? onProgress = null) =>
        EngineHarness.Run(EngineHarness.FirstOrder("gd", steps, lr, null, schedule, stopping), HalfSquare(), cancellation: cancel, onProgress: onProgress);

    [Fact]
    public void A_loss_change_equal_to_loss_atol_stops()
    {
        // η = ½: losses ½, ⅛, 1/32 — the first change is 0.375 exactly.
        var (r, _) = Gd(0.5, 10, new StoppingOptions { LossAtol = 0.375 });
        Assert.Equal(StopReasons.Converged, r.StopReason);
        Assert.Equal(1, r.StepsCompleted);
        Assert.Contains("loss change", r.Message);
    }

    [Fact]
    public void A_gradient_norm_equal_to_grad_norm_atol_stops()
    {
        var (r, _) = Gd(0.5, 10, new StoppingOptions { GradNormAtol = 0.5 }); // |g₁| = ½
        Assert.Equal(1, r.StepsCompleted);
        Assert.Contains("gradient norm", r.Message);
    }

    [Fact]
    public void A_zero_grad_norm_atol_is_off_even_at_a_zero_gradient()
    {
        // η = 1 lands on the minimum: step 1 has |g| = 0 and step norm 1; step 2 has step norm 0.
        var (r, _) = Gd(1.0, 10, new StoppingOptions { StepAtol = 0.5 });
        Assert.Equal(2, r.StepsCompleted);
        Assert.Contains("step norm", r.Message);
    }

    [Fact]
    public void A_zero_step_atol_is_off_even_for_a_step_of_zero_length()
    {
        // A warm-up from 0 (Optax's default init_value) makes the first step zero long while |g| = 1.
        var warmup = new ScheduleOptions { Kind = ScheduleKind.LinearWarmup, WarmupSteps = 4, InitValue = 0 };
        var (r, sink) = Gd(0.5, 3, new StoppingOptions { GradNormAtol = 1e-3 }, warmup);
        Assert.Equal(0.0, sink.Rows[1].StepNorm);
        Assert.Equal(StopReasons.MaxSteps, r.StopReason);
        Assert.Equal(3, r.StepsCompleted);
    }

    [Fact]
    public void Row_zero_records_the_scheduled_rate_of_the_first_step()
    {
        // lr_t = learning_rate × factor(t); the start row carries factor(0) = init_value, as the first step does.
        var warmup = new ScheduleOptions { Kind = ScheduleKind.LinearWarmup, WarmupSteps = 4, InitValue = 0.25 };
        var (_, sink) = Gd(0.4, 2, new StoppingOptions(), warmup);
        Assert.Equal(0.1, sink.Rows[0].BaseLr, 15);
        Assert.Equal(0.1, sink.Rows[1].BaseLr, 15);
        Assert.Equal(1 - 0.1, sink.Rows[1].Theta[0], 15);
    }

    [Fact]
    public void The_best_step_is_the_first_with_the_lowest_loss_and_the_final_step_stays_the_last()
    {
        // η = 2 flips x between 1 and −1: every loss is ½. The best step is the first, as numpy's argmin of the
        // trace's loss column gives; without restore_best the final step is the last one run.
        var (r, sink) = Gd(2.0, 5, new StoppingOptions());
        Assert.All(sink.Rows, row => Assert.Equal(0.5, row.Loss));
        Assert.Equal(0, r.BestStep);
        Assert.Equal([1.0], r.BestTheta);
        Assert.Equal(5, r.FinalStep);
        Assert.Equal([-1.0], r.FinalTheta);
    }

    [Fact]
    public void A_cancelled_run_says_after_how_many_steps()
    {
        using var cts = new CancellationTokenSource();
        var (r, _) = Gd(0.5, 100, new StoppingOptions(), cancel: cts.Token, onProgress: p => { if (p.Step == 3) cts.Cancel(); });
        Assert.Equal(StopReasons.Cancelled, r.StopReason);
        Assert.Equal("cancelled after 3 steps", r.Message);
    }
}
