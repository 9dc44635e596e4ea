using DluxShera.Contracts;
using Xunit;

namespace DluxShera.Samplers.Tests;

/// <summary>
/// The pieces of Stan's warm-up that set NUTS's efficiency, each against a value worked out by hand from Stan's
/// documentation and source (rstan 2.21's StanHeaders: windowed_adaptation.hpp, stepsize_adaptation.hpp,
/// base_hmc.hpp init_stepsize, services/sample/hmc_nuts_diag_e_adapt.hpp).
/// </summary>
public class StanAdaptationTests
{
    [Fact]
    public void Warmup_150_has_one_slow_window_and_200_has_two()
    {
        // 150 = 75 + 25 + 50 exactly: one slow window, already the last one, so it is not doubled.
        Assert.Equal([(75, 99)], WarmupSchedule.Build(150).Windows());
        // 200: after the first window the doubled one (50) ends at 149 = 200 − 50 − 1, the last slow iteration.
        Assert.Equal([(75, 99), (100, 149)], WarmupSchedule.Build(200).Windows());
        // 149 does not fit 75 + 25 + 50: 15 % / 75 % / 10 % (22, 113, 14), one window [22, 134].
        Assert.Equal([(22, 134)], WarmupSchedule.Build(149).Windows());
    }

    [Fact]
    public void Warmup_windows_stretch_the_last_one_to_the_terminal_buffer()
    {
        // 500: 25, 50, 100 end at 99, 149, 249, and the doubled 200-window ends exactly at the last slow iteration 449.
        Assert.Equal([(75, 99), (100, 149), (150, 249), (250, 449)], WarmupSchedule.Build(500).Windows());
        // 400: the 100-window would end at 249 and 249 + 200 ≥ 350, so the third window already runs to 349.
        Assert.Equal([(75, 99), (100, 149), (150, 349)], WarmupSchedule.Build(400).Windows());
    }

    [Fact]
    public void Dual_averaging_iterates_follow_nesterov_with_stans_constants()
    {
        // Hoffman & Gelman (2014) eq. 6 with γ = 0.05, t₀ = 10, κ = 0.75, δ = 0.8, μ = log(10·0.5), two updates.
        var da = new DualAveragingStepSize(0.8);
        da.Restart(0.5);
        double mu = Math.Log(5);
        double s1 = (0.8 - 0.3) / 11;
        double x1 = mu - s1 * 1 / 0.05;
        Assert.Equal(Math.Exp(x1), da.Update(0.3), 12);
        double s2 = (1 - 1.0 / 12) * s1 + (0.8 - 0.95) / 12;
        double x2 = mu - s2 * Math.Sqrt(2) / 0.05;
        Assert.Equal(Math.Exp(x2), da.Update(0.95), 12);
        // x̄₂ = (1 − 2^−0.75)·x̄₁ + 2^−0.75·x₂ with x̄₁ = x₁.
        double w = Math.Pow(2, -0.75);
        Assert.Equal(Math.Exp((1 - w) * x1 + w * x2), da.Final(), 12);
        // Acceptance statistics above 1 count as 1, NaN as 0.
        da.Restart(0.5);
        Assert.Equal(Math.Exp(mu - (0.8 - 1) / 11 / 0.05), da.Update(3.0), 12);
        da.Restart(0.5);
        Assert.Equal(Math.Exp(mu - 0.8 / 11 / 0.05), da.Update(double.NaN), 12);
    }

    [Theory]
    [InlineData(1.0, 0.0625)]
    [InlineData(0.01, 0.16)]
    public void Step_size_initialisation_halves_or_doubles_to_the_first_step_past_acceptance_08(double start, double expected)
    {
        // From q = 0 on N(0, I_D) one leapfrog step changes the energy by exactly −ε⁴·Σp²/8, and Σp² ≈ D = 10⁴ (± 1.4 %).
        // The crossing exp(ΔH) = 0.8 lies at ε ≈ 0.116: from 1 the heuristic halves through 0.5, 0.25, 0.125 (ΔH ≈ −0.31) and
        // stops at 0.0625 (ΔH ≈ −0.019, the first above log 0.8); from 0.01 it doubles through 0.02, 0.04, 0.08
        // (ΔH ≈ −0.05) and stops at 0.16 (ΔH ≈ −0.82, the first below), as Stan's base_hmc::init_stepsize returns it.
        const int d = 10_000;
        var integrator = new LeapfrogIntegrator(FuncDensity.StandardNormal(d));
        var state = new PhasePoint(d);
        integrator.Evaluate(state);
        double step = ChainRunner.InitialStepSize(state, EuclideanMetric.Identity(d), start, integrator, new RandomStream(3));
        Assert.Equal(expected, step);
        Assert.All(state.Position, q => Assert.Equal(0.0, q));
    }

    [Fact]
    public void Step_size_initialisation_refuses_a_flat_density()
    {
        // A linear log density is integrated exactly (ΔH = 0): the step doubles without end, as for an improper posterior.
        var integrator = new LeapfrogIntegrator(new FuncDensity(1, (x, g) => { g[0] = 1; return x[0]; }));
        var state = new PhasePoint(1);
        integrator.Evaluate(state);
        var e = Assert.Throws<InvalidOperationException>(() => ChainRunner.InitialStepSize(state, EuclideanMetric.Identity(1), 1, integrator, new RandomStream(1)));
        Assert.Contains("1e7", e.Message);
    }

    [Fact]
    public void First_dual_averaging_centre_is_the_given_step_size_not_the_refined_one()
    {
        // N(0, 0.01²): the initialisation shrinks ε = 1 by powers of two, but Stan's μ = log(10·1) is set before it, so the
        // second warm-up transition runs with ε₁ = exp(log 10 − (0.8 − α₀)/11/0.05), α₀ the first transition's acceptance.
        var density = new FuncDensity(1, (x, g) => { g[0] = -x[0] / 1e-4; return -0.5 * x[0] * x[0] / 1e-4; });
        var settings = new ChainSettings(NumWarmup: 5, NumSamples: 1, TargetAccept: 0.8, InitialStepSize: 1, AdaptStepSize: true,
            WarmupSchedule.Build(5), DenseMetric: false);
        var sink = new StepSink();
        ChainRunner.Run(0, density, [0.0], EuclideanMetric.Identity(1), integrator => new NutsKernel(integrator, 1, 10), settings,
            new RandomStream(11), sink, null, CancellationToken.None);
        var (step0, accept0) = sink.Rows[0];
        Assert.True(step0 < 0.1, $"the initialisation should have shrunk ε = 1, got {step0}");
        Assert.Equal(Math.Exp(Math.Log(10) - (0.8 - accept0) / 11 / 0.05), sink.Rows[1].StepSize, 12);
    }

    private sealed class StepSink : ISampleSink
    {
        public List<(double StepSize, double AcceptStat)> Rows { get; } = [];

        public void Append(in SampleRow row) => Rows.Add((row.StepSize, row.AcceptProb));
    }
}
