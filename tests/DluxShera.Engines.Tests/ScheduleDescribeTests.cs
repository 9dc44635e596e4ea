using DluxShera.Sdk;
using Xunit;

namespace DluxShera.Tests;

/// <summary>The schedule block of meta.json: its extremes come from the knots, exactly as a scan of every step finds them.</summary>
public class ScheduleDescribeTests
{
    public static TheoryData<ScheduleOptions> Schedules() =>
    [
        new() { Kind = ScheduleKind.Constant },
        new() { Kind = ScheduleKind.LinearWarmup, WarmupSteps = 17, InitValue = 0.0 },
        new() { Kind = ScheduleKind.PiecewiseConstant, Boundaries = [5, 40, 90], Scales = [0.5, 3.0, 0.1] },
        new() { Kind = ScheduleKind.ExponentialDecay, TransitionSteps = 7, DecayRate = 0.8, TransitionBegin = 12, Staircase = true, EndValue = 0.3 },
        new() { Kind = ScheduleKind.ExponentialDecay, TransitionSteps = 3, DecayRate = 1.3, EndValue = 4.0 },
        new() { Kind = ScheduleKind.CosineDecay, DecaySteps = 60, Alpha = 0.1 },
        new() { Kind = ScheduleKind.LinearWarmupCosineDecay, WarmupSteps = 10, InitValue = 0.2, DecaySteps = 70, EndValue = 0.05 },
    ];

    [Theory]
    [MemberData(nameof(Schedules))]
    public void Min_and_max_factor_equal_a_scan_of_every_step(ScheduleOptions schedule)
    {
        foreach (int n in new[] { 1, 2, 9, 11, 50, 150 })
        {
            var block = schedule.Describe(n);
            var all = Enumerable.Range(0, n).Select(schedule.Factor).ToArray();
            Assert.Equal(all.Min(), (double)block["min_factor"]!, 15);
            Assert.Equal(all.Max(), (double)block["max_factor"]!, 15);
        }
    }

    [Fact]
    public void The_largest_step_count_is_described_from_its_knots()
    {
        var schedule = new ScheduleOptions { Kind = ScheduleKind.LinearWarmupCosineDecay, WarmupSteps = 100, InitValue = 0.0, DecaySteps = 1000, EndValue = 0.01 };
        var block = schedule.Describe(int.MaxValue);
        Assert.Equal(0.0, (double)block["min_factor"]!);
        Assert.Equal(1.0, (double)block["max_factor"]!, 15);
        Assert.Equal(0.01, (double)block["last_factor"]!, 12);
    }
}
