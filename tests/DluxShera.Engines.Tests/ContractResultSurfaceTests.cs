using DluxShera.Contracts;
using Xunit;

namespace DluxShera.Tests;

/// <summary>Contract 1.2: trace rows by named members and results whose derived members follow the documented defaults.</summary>
public sealed class ContractResultSurfaceTests
{
    [Fact]
    public void A_named_row_carries_each_value_in_its_own_member_and_is_accepted_unless_told_otherwise()
    {
        double[] theta = [1.5, -2.5];
        var row = new TraceRow { Step = 3, Loss = 0.25, Theta = theta, GradNorm = 4.0, StepNorm = 5.0, BaseLr = 6.0 };
        Assert.Equal((3, 0.25, 4.0, 5.0, 6.0, true), (row.Step, row.Loss, row.GradNorm, row.StepNorm, row.BaseLr, row.Accepted));
        Assert.Equal(theta, row.Theta.ToArray());

        var rejected = new TraceRow { Step = 4, Loss = 0.25, Theta = theta, GradNorm = 4.0, StepNorm = 0.0, BaseLr = 6.0, Accepted = false };
        Assert.False(rejected.Accepted);
    }

    [Fact]
    public void The_positional_constructor_of_contract_1_1_still_fills_the_same_members()
    {
        double[] theta = [7.0];
        var row = new TraceRow(2, 0.5, theta, 1.0, 2.0, 3.0, false);
        Assert.Equal((2, 0.5, 1.0, 2.0, 3.0, false), (row.Step, row.Loss, row.GradNorm, row.StepNorm, row.BaseLr, row.Accepted));
    }

    [Theory]
    [InlineData(StopReasons.MaxSteps, RunStatus.Ok)]
    [InlineData(StopReasons.Converged, RunStatus.Ok)]
    [InlineData("trust_region_small", RunStatus.Ok)]
    [InlineData(StopReasons.Cancelled, RunStatus.Failed)]
    [InlineData(StopReasons.NonFiniteLoss, RunStatus.Failed)]
    [InlineData(StopReasons.NonFiniteGradient, RunStatus.Failed)]
    [InlineData(StopReasons.Error, RunStatus.Failed)]
    public void Status_defaults_to_what_the_stop_reason_implies(string reason, RunStatus expected)
    {
        Assert.Equal(expected, Result(reason).Status);
        Assert.Equal(expected, StopReasons.StatusOf(reason));
    }

    [Fact]
    public void An_explicit_status_wins_over_the_default()
    {
        var r = new OptimizationResult
        {
            Status = RunStatus.Failed, StopReason = StopReasons.MaxSteps, StepsCompleted = 1, InitialLoss = 1, BestStep = 0, BestLoss = 1,
            BestTheta = [0.0], FinalLoss = 1, FinalTheta = [0.0],
        };
        Assert.Equal(RunStatus.Failed, r.Status);
    }

    [Fact]
    public void FinalStep_is_the_steps_completed_unless_an_earlier_point_is_reported()
    {
        Assert.Equal(12, Result(StopReasons.MaxSteps).FinalStep);
        var restored = new OptimizationResult
        {
            StopReason = StopReasons.MaxSteps, StepsCompleted = 12, FinalStep = 7, InitialLoss = 3, BestStep = 7, BestLoss = 1,
            BestTheta = [0.0], FinalLoss = 1, FinalTheta = [0.0],
        };
        Assert.Equal((12, 7), (restored.StepsCompleted, restored.FinalStep));
    }

    private static OptimizationResult Result(string reason) => new()
    {
        StopReason = reason, StepsCompleted = 12, InitialLoss = 3, BestStep = 10, BestLoss = 1, BestTheta = [0.0], FinalLoss = 2, FinalTheta = [0.0],
    };
}
