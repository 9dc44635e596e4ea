using DluxShera.Sdk;
using Xunit;

namespace DluxShera.Tests;

/// <summary>
/// The schedules at their edges (no warm-up, the step where a decay begins, a decay rate of exactly 1, a warm-up
/// that does not start at 0) against Optax's formulas (optax/_src/schedule.py), written out here.
/// </summary>
public class ScheduleEdgeTests
{
    /// <summary>
    /// optax.exponential_decay(1, transition_steps, decay_rate, transition_begin, staircase, end_value): with
    /// c = t − begin, v = 1 where c ≤ 0, else rate^(c/steps) (floored exponent for a staircase); then, with an end
    /// value, v = max(v, end) when rate &lt; 1, else min(v, end) — at every step.
    /// </summary>
    private static double OptaxExponential(int t, int steps, double rate, int begin, bool staircase, double? end)
    {
        double c = t - begin, p = c / steps;
        if (staircase) p = Math.Floor(p);
        double v = c <= 0 ? 1 : Math.Pow(rate, p);
        if (end is { } e) v = rate < 1.0 ? Math.Max(v, e) : Math.Min(v, e);
        return v;
    }

    [Theory]
    [InlineData(0.5, 0.3, false)]   // the usual decay towards a floor
    [InlineData(0.5, 2.0, false)]   // a floor above the start: every step sits on it, before the decay begins too
    [InlineData(1.0, 0.5, false)]   // rate 1 is "growth" for Optax: the end value is a ceiling
    [InlineData(1.5, 4.0, true)]
    [InlineData(1.5, 0.5, false)]   // a ceiling below the start
    public void Exponential_decay_is_optax_s_at_every_step(double rate, double end, bool staircase)
    {
        var schedule = new ScheduleOptions
        {
            Kind = ScheduleKind.ExponentialDecay, TransitionSteps = 4, DecayRate = rate, TransitionBegin = 6, Staircase = staircase, EndValue = end,
        };
        for (int t = 0; t < 30; t++) Assert.Equal(OptaxExponential(t, 4, rate, 6, staircase, end), schedule.Factor(t), 14);
    }

    [Theory]
    [InlineData(-1, "transition_begin")]
    [InlineData(0, null)]
    public void A_negative_transition_begin_is_refused(int begin, string? key)
    {
        var problems = new ScheduleOptions { Kind = ScheduleKind.ExponentialDecay, TransitionSteps = 4, DecayRate = 0.5, TransitionBegin = begin }.Validate().ToList();
        if (key is null) Assert.Empty(problems);
        else Assert.Equal((key, "must be ≥ 0"), Assert.Single(problems));
    }

    [Fact]
    public void A_linear_warmup_of_zero_steps_is_no_warmup()
    {
        var schedule = new ScheduleOptions { Kind = ScheduleKind.LinearWarmup, WarmupSteps = 0, InitValue = 0.1 };
        Assert.Equal([1.0, 1.0, 1.0], Enumerable.Range(0, 3).Select(schedule.Factor));
    }

    [Fact]
    public void Warmup_cosine_decay_without_warmup_starts_at_the_peak()
    {
        // optax.warmup_cosine_decay_schedule(init, 1, warmup_steps=0, decay_steps=20, end): the cosine from step 0.
        var schedule = new ScheduleOptions { Kind = ScheduleKind.LinearWarmupCosineDecay, WarmupSteps = 0, InitValue = 0.1, DecaySteps = 20, EndValue = 0.2 };
        Assert.Equal(1.0, schedule.Factor(0), 15);
        Assert.Equal(0.2 + 0.8 * 0.5 * (1 + Math.Cos(Math.PI * 5 / 20)), schedule.Factor(5), 14);
        Assert.Equal(0.2, schedule.Factor(20), 14);
    }

    [Theory]
    [InlineData(0, 0.2)]
    [InlineData(3, 0.2 + 0.8 * 3 / 8)]
    [InlineData(8, 1.0)]
    public void Warmup_cosine_decay_warms_up_linearly_from_its_init_value(int t, double expected)
    {
        // optax: init + (peak − init)·t/warmup_steps during the warm-up.
        var schedule = new ScheduleOptions { Kind = ScheduleKind.LinearWarmupCosineDecay, WarmupSteps = 8, InitValue = 0.2, DecaySteps = 40, EndValue = 0.05 };
        Assert.Equal(expected, schedule.Factor(t), 14);
    }

    [Fact]
    public void Meta_json_records_the_warmup_cosine_end_value_given()
    {
        var config = (IReadOnlyDictionary<string, object?>)new ScheduleOptions
        {
            Kind = ScheduleKind.LinearWarmupCosineDecay, WarmupSteps = 8, InitValue = 0.2, DecaySteps = 40, EndValue = 0.05,
        }.Describe(40)["config"]!;
        Assert.Equal(0.05, config["end_value"]);
        Assert.Equal(0.2, config["init_value"]);
        Assert.Equal(8, config["warmup_steps"]);
        Assert.Equal(40, config["decay_steps"]);
    }
}
