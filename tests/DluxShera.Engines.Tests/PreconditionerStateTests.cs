using DluxShera.Contracts;
using DluxShera.Curvature;
using DluxShera.Optimizers;
using DluxShera.Sdk;
using DluxShera.TestProblems;
using Xunit;

namespace DluxShera.Tests;

/// <summary>
/// What the preconditioner applies and saves, step by step, against the closed forms on ½ Σ hᵢ xᵢ² (gradient h ⊙ x,
/// Hessian diag(h), Gauss–Newton JᵀJ = diag(h)).
/// </summary>
public class PreconditionerStateTests
{
    [Fact]
    public void Ema_of_squared_gradients_is_applied_every_step_as_a_running_estimate()
    {
        var q = new DiagonalQuadratic(new QuadraticOptions { Dimension = 3, Condition = 100 });
        const double beta = 0.9, lr = 0.05;
        var o = new PreconditionedGdOptions { NumSteps = 8, LearningRate = lr, SaveEvery = 1 };
        var pre = new CurvaturePreconditioner(o, new EmaGradientSquares(new EmaGrad2Options { Beta = beta }));
        var (_, sink) = EngineHarness.Run(new FirstOrderEngine("preconditioned_gd", o, pre), q);
        var h = q.Curvatures.ToArray();
        double[] v = null!;
        for (int t = 0; t < 8; t++)
        {
            var x = sink.Rows[t].Theta;
            var g = x.Select((xi, i) => h[i] * xi).ToArray();
            v = t == 0 ? g.Select(gi => gi * gi).ToArray() : v.Select((vi, i) => beta * vi + (1 - beta) * g[i] * g[i]).ToArray();
            var next = sink.Rows[t + 1].Theta;
            for (int i = 0; i < 3; i++)
            {
                double expected = x[i] - lr / Math.Sqrt(v[i] + o.Eps) * g[i];
                Assert.Equal(expected, next[i], Math.Abs(expected) * 1e-12 + 1e-300);
            }
        }
        Assert.Equal(v, sink.Files["curvature.npz"]["curv_diag"].ToDoubles(), new RelativeComparer(1e-12));
        Assert.Equal(7.0, sink.Files["curvature.npz"]["saved_step"].ToDoubles()[0]);
        var meta = (Dictionary<string, object?>)pre.Describe()["preconditioning"]!;
        Assert.Equal("every_step", meta["updated"]);
        Assert.Equal(7, meta["running_estimate_updates"]);
        Assert.Equal(0, meta["refreshes"]);
    }

    [Fact]
    public void Rate_vec_and_the_traced_base_lr_reproduce_every_step_under_a_warmup()
    {
        var q = new DiagonalQuadratic(new QuadraticOptions { Dimension = 4, Condition = 1e3 });
        var o = new PreconditionedGdOptions
        {
            NumSteps = 6, LearningRate = 0.5, Power = PreconditionerPower.Linear, LrMax = 0.2,
            Schedule = new ScheduleOptions { Kind = ScheduleKind.LinearWarmup, WarmupSteps = 4, InitValue = 0 },
        };
        var pre = new CurvaturePreconditioner(o, new HutchinsonDiagonal(new HutchinsonOptions { Probes = 1 }, 3));
        var (_, sink) = EngineHarness.Run(new FirstOrderEngine("preconditioned_gd", o, pre), q);
        var h = q.Curvatures.ToArray();
        var precond = sink.Files["precond.npz"];
        var rate = precond["rate_vec"].ToDoubles();
        for (int i = 0; i < 4; i++) Assert.Equal(1 / (h[i] + o.Eps), rate[i], 1e-12 / h[i]);
        Assert.All(precond["lr_vec"].ToDoubles(), x => Assert.Equal(0.0, x)); // saved at step 0, where the warmup starts at 0
        Assert.Equal(0.0, precond["saved_step"].ToDoubles()[0]);
        Assert.Equal(0.2, precond["lr_max"].ToDoubles()[0]);
        double[] baseLrs = [0, 0.125, 0.25, 0.375, 0.5, 0.5];
        // Row t + 1 of the trace records the step that produced θ_{t+1}, with the base learning rate it used.
        for (int t = 0; t < 6; t++)
        {
            double baseLr = sink.Rows[t + 1].BaseLr;
            Assert.Equal(baseLrs[t], baseLr, 1e-15);
            var x = sink.Rows[t].Theta;
            for (int i = 0; i < 4; i++)
            {
                double lrI = Math.Clamp(baseLr * rate[i], o.LrMin, 0.2);
                Assert.Equal(x[i] - lrI * h[i] * x[i], sink.Rows[t + 1].Theta[i], 1e-12);
            }
        }
    }

    [Fact]
    public void Curvature_npz_keeps_the_raw_estimate_and_the_dense_fisher()
    {
        var q = new DiagonalQuadratic(new QuadraticOptions { Dimension = 4, Condition = 1e4 });
        var o = new PreconditionedGdOptions { NumSteps = 1, LearningRate = 0.1, Power = PreconditionerPower.Linear };
        var pre = new CurvaturePreconditioner(o, new DenseFisher(new GuardrailOptions { Floor = 30 }));
        var (_, sink) = EngineHarness.Run(new FirstOrderEngine("preconditioned_gd", o, pre), q);
        var h = q.Curvatures.ToArray(); // 1, 21.5, 464, 1e4
        var files = sink.Files["curvature.npz"];
        Assert.Equal(h, files["curv_diag_raw"].ToDoubles(), new RelativeComparer(1e-12));
        Assert.Equal(h.Select(x => Math.Max(x, 30)).ToArray(), files["curv_diag"].ToDoubles(), new RelativeComparer(1e-12));
        var dense = files["curv_dense"];
        Assert.Equal([4, 4], dense.Shape.ToArray());
        var values = dense.ToDoubles();
        for (int i = 0; i < 4; i++)
        {
            for (int j = 0; j < 4; j++) Assert.Equal(i == j ? h[i] : 0, values[i * 4 + j], h[i] * 1e-12);
        }
    }

    [Fact]
    public void Hutchinson_draws_new_probes_at_every_estimate_and_records_its_streams()
    {
        var a = new DenseQuadratic(6, 5);
        var theta = new double[6];
        var options = new HutchinsonOptions { Probes = 2 };
        var estimator = new HutchinsonDiagonal(options, 42);
        var first = estimator.Estimate(a, theta, default).Diagonal;
        var second = estimator.Estimate(a, theta, default).Diagonal;
        Assert.NotEqual(first, second); // same θ, same Hessian: only new probes can change the estimate
        Assert.Equal(first, new HutchinsonDiagonal(options, 42).Estimate(a, theta, default).Diagonal);
        Assert.Equal(second, new HutchinsonDiagonal(options, HutchinsonDiagonal.StreamSeed(42, 1)).Estimate(a, theta, default).Diagonal);
        Assert.Equal(2, estimator.Describe()["probe_streams"]);
        Assert.Equal("hutchinson_hessian_diag", estimator.Method);
    }

    private sealed class RelativeComparer(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance * Math.Max(Math.Abs(x), Math.Abs(y));
        public int GetHashCode(double obj) => 0;
    }
}
