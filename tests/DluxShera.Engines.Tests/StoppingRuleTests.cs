using DluxShera.Contracts;
using Xunit;

namespace DluxShera.Tests;

/// <summary>
/// The stopping rules on a run whose every step is known in closed form: GD with rate η on f = x²/2 from
/// x₀ = 1 gives xₖ = (1 − η)ᵏ, step norms η(1 − η)ᵏ⁻¹ and losses ½(1 − η)²ᵏ.
/// </summary>
public class StoppingRuleTests
{
    private const double Eta = 0.25;

    private static OptimizationResult Gd(string stopping, int numSteps = 1000, Action<ProgressUpdate>? onProgress = null, CancellationToken cancel = default) =>
        EngineHarness.Run(PluginComponents.Shipped.Optimizer("gd", $$"""{"num_steps":{{numSteps}},"learning_rate":{{Eta}},"stopping":{{stopping}}}"""),
            PluginComponents.Shipped.Objective("quadratic", """{"dimension":1}"""), cancellation: cancel, onProgress: onProgress).Result;

    private static double StepNorm(int k) => Eta * Math.Pow(1 - Eta, k - 1);

    private static double Loss(int k) => 0.5 * Math.Pow(1 - Eta, 2 * k);

    private static int FirstStep(Func<int, bool> test) => Enumerable.Range(1, 10_000).First(test);

    [Theory]
    [InlineData(1e-3)]
    [InlineData(1e-6)]
    public void Step_atol_stops_at_the_first_step_shorter_than_it(double atol)
    {
        var r = Gd($$"""{"step_atol":{{atol}}}""");
        Assert.Equal(StopReasons.Converged, r.StopReason);
        Assert.Equal(FirstStep(k => StepNorm(k) <= atol), r.StepsCompleted);
        Assert.Contains("step norm", r.Message);
        Assert.Equal(Math.Pow(1 - Eta, r.StepsCompleted), r.FinalTheta[0], 14);
    }

    [Theory]
    [InlineData(1e-4)]
    [InlineData(1e-9)]
    public void Loss_atol_stops_at_the_first_loss_change_below_it(double atol)
    {
        var r = Gd($$"""{"loss_atol":{{atol}}}""");
        Assert.Equal(StopReasons.Converged, r.StopReason);
        Assert.Equal(FirstStep(k => Loss(k - 1) - Loss(k) <= atol), r.StepsCompleted);
        Assert.Contains("loss change", r.Message);
    }

    [Fact]
    public void Loss_rtol_compares_the_change_with_the_current_loss()
    {
        // (fₖ₋₁ − fₖ)/fₖ = (1 − η)⁻² − 1 = 7/9 at every step: a tolerance just above stops at step 1,
        // just below never stops.
        double ratio = 1 / ((1 - Eta) * (1 - Eta)) - 1;
        var above = Gd($$"""{"loss_rtol":{{ratio * 1.001}}}""", numSteps: 30);
        Assert.Equal(StopReasons.Converged, above.StopReason);
        Assert.Equal(1, above.StepsCompleted);
        var below = Gd($$"""{"loss_rtol":{{ratio * 0.999}}}""", numSteps: 30);
        Assert.Equal(StopReasons.MaxSteps, below.StopReason);
        Assert.Equal(30, below.StepsCompleted);
    }

    [Fact]
    public void Loss_atol_and_rtol_add_up()
    {
        double ratio = 1 / ((1 - Eta) * (1 - Eta)) - 1, atol = 1e-5, rtol = 0.5 * ratio;
        var r = Gd($$"""{"loss_atol":{{atol}},"loss_rtol":{{rtol}}}""");
        Assert.Equal(FirstStep(k => Loss(k - 1) - Loss(k) <= atol + rtol * Loss(k)), r.StepsCompleted);
    }

    [Fact]
    public void Cancellation_stops_after_the_step_in_progress_and_fails_the_run()
    {
        using var cts = new CancellationTokenSource();
        var r = Gd("{}", onProgress: p => { if (p.Step == 3) cts.Cancel(); }, cancel: cts.Token);
        Assert.Equal(StopReasons.Cancelled, r.StopReason);
        Assert.Equal(RunStatus.Failed, r.Status);
        Assert.Equal(3, r.StepsCompleted);
        Assert.Equal(Math.Pow(1 - Eta, 3), r.FinalTheta[0], 14);
    }

    [Fact]
    public void Progress_is_reported_once_per_step_with_the_planned_total_and_the_loss()
    {
        var updates = new List<ProgressUpdate>();
        Gd("{}", numSteps: 5, onProgress: updates.Add);
        Assert.Equal([0, 1, 2, 3, 4, 5], updates.Select(u => u.Step));
        Assert.All(updates, u => Assert.Equal(5, u.TotalSteps));
        for (int k = 0; k <= 5; k++)
        {
            Assert.Equal(Loss(k), updates[k].Loss, 15);
            Assert.Equal(Math.Pow(1 - Eta, k), updates[k].GradNorm, 15);
        }
    }
}
