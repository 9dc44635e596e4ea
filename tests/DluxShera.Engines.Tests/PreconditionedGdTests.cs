using DluxShera.Contracts;
using DluxShera.Curvature;
using DluxShera.Optimizers;
using DluxShera.Sdk;
using DluxShera.TestProblems;
using Xunit;

namespace DluxShera.Tests;

public class PreconditionedGdTests
{
    private static FirstOrderEngine Pgd(PreconditionedGdOptions o, ICurvatureEstimator estimator, ICurvatureEstimator? blend = null) =>
        new("preconditioned_gd", o, new CurvaturePreconditioner(o, estimator, blend));

    private static int StepsToReach(IReadOnlyList<(int Step, double Loss, double[] Theta, double StepNorm, double BaseLr, bool Accepted)> rows, double target) =>
        rows.FirstOrDefault(r => r.Loss <= target).Step is var s && rows.Any(r => r.Loss <= target) ? s : int.MaxValue;

    [Fact]
    public void Exact_diagonal_curvature_solves_condition_1e8_far_faster_than_gd()
    {
        var q = new DiagonalQuadratic(new QuadraticOptions { Dimension = 20, Condition = 1e8 });
        double f0 = q.Evaluate(Enumerable.Repeat(1.0, 20).ToArray(), new double[20]);
        double target = 1e-12 * f0;

        var pgdOptions = new PreconditionedGdOptions { NumSteps = 200, LearningRate = 0.5, Power = PreconditionerPower.Linear };
        var (pgd, pgdSink) = EngineHarness.Run(Pgd(pgdOptions, new HutchinsonDiagonal(new HutchinsonOptions { Probes = 1 }, 1)), q);
        // GD at its best constant rate, just under 2/L.
        var (gd, gdSink) = EngineHarness.Run(EngineHarness.FirstOrder("gd", 5000, 1.9e-8, null), q);

        int pgdSteps = StepsToReach(pgdSink.Rows, target);
        Assert.True(pgdSteps <= 45, $"preconditioned_gd needed {pgdSteps} steps");
        Assert.Equal(int.MaxValue, StepsToReach(gdSink.Rows, target));
        // GD has barely moved along the flattest directions (curvature 1 vs 1e8).
        Assert.True(gd.FinalTheta[0] > 0.99, $"gd's flattest coordinate after 5000 steps: {gd.FinalTheta[0]}");
        Assert.All(pgd.FinalTheta, x => Assert.True(Math.Abs(x) < 1e-6));
        Assert.True(pgd.FinalLoss <= target);
    }

    [Fact]
    public void Learning_rates_are_clipped_and_block_rates_apply()
    {
        var q = new DiagonalQuadratic(new QuadraticOptions { Dimension = 4, Condition = 1e4 });
        var o = new PreconditionedGdOptions { NumSteps = 1, LearningRate = 1.0, Power = PreconditionerPower.Sqrt, LrMax = 0.5, LrMin = 0.02 };
        var pre = new CurvaturePreconditioner(o, new HutchinsonDiagonal(new HutchinsonOptions { Probes = 1 }, 1));
        var (_, sink) = EngineHarness.Run(new FirstOrderEngine("preconditioned_gd", o, pre), q);
        var lr = sink.Files["precond.npz"]["lr_vec"].ToDoubles();
        var precond = sink.Files["precond.npz"]["precond"].ToDoubles();
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(1 / Math.Sqrt(q.Curvatures[i] + o.Eps), precond[i], 12);
            Assert.Equal(Math.Clamp(precond[i], 0.02, 0.5), lr[i], 12);
        }
        var meta = (Dictionary<string, object?>)pre.Describe()["preconditioning"]!;
        Assert.Equal(1, meta["lr_clipped_high"]); // precond[0] = 1
        Assert.Equal(1, meta["lr_clipped_low"]);  // precond[3] = 0.01
        Assert.Equal(sink.Files["curvature.npz"]["curv_diag"].ToDoubles(), q.Curvatures.ToArray());
    }

    [Fact]
    public void Ema_estimator_is_fed_every_step_and_refresh_updates_the_preconditioner()
    {
        var q = new DiagonalQuadratic(new QuadraticOptions { Dimension = 5, Condition = 100 });
        var ema = new EmaGradientSquares(new EmaGrad2Options { Beta = 0.9 });
        var o = new PreconditionedGdOptions { NumSteps = 40, LearningRate = 0.01, RefreshEvery = 10, CurvatureEma = 0.5, CurvatureFloor = 1e-12 };
        var pre = new CurvaturePreconditioner(o, ema);
        EngineHarness.Run(new FirstOrderEngine("preconditioned_gd", o, pre), q);
        Assert.Equal(41, ema.Observed); // one at init (no gradient yet) + one per step
        var meta = (Dictionary<string, object?>)pre.Describe()["preconditioning"]!;
        Assert.Equal(3, meta["refreshes"]);
        Assert.Equal("refreshed", meta["updated"]);
    }
}
