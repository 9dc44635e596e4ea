using System.Text.Json.Nodes;
using DluxShera.Artifacts;
using DluxShera.Contracts;
using DluxShera.Numpy;
using DluxShera.Optimizers;
using DluxShera.Sdk;
using DluxShera.TestProblems;
using Xunit;

namespace DluxShera.Tests;

/// <summary>
/// What the preconditioner records (curvature.npz, precond.npz, meta.json's preconditioning) and where its
/// counts draw the line, against docs/curvature.md, with estimators that return exactly what the test sets.
/// </summary>
public class PreconditionerRecordTests
{
    /// <summary>Returns a set diagonal (and raw diagonal, dense matrix, non-finite count); counts its estimates and observations.</summary>
    private class SetEstimator(string method, double[] diagonal, double[]? raw = null, int nonFinite = 0, double[]? dense = null) : ICurvatureEstimator
    {
        public int Estimates { get; private set; }
        public List<bool> DenseRequests { get; } = [];
        public string Method => method;
        public virtual double[] Current => diagonal;

        public CurvatureEstimate Estimate(IObjective objective, ReadOnlySpan<double> theta, CurvatureRequest request)
        {
            Estimates++;
            DenseRequests.Add(request.Dense);
            return new CurvatureEstimate { Diagonal = (double[])Current.Clone(), RawDiagonal = raw, NonFiniteCount = nonFinite, Dense = dense };
        }

        public IReadOnlyDictionary<string, object?> Describe() => new Dictionary<string, object?> { ["method"] = method };
    }

    /// <summary>A running estimator: its diagonal is the last observed gradient squared.</summary>
    private sealed class LastGradientSquared(int d) : SetEstimator("ema_grad2", new double[d]), IGradientObserver
    {
        private double[] _current = new double[d];
        public int Observations { get; private set; }
        public override double[] Current => _current;

        public void Observe(int step, ReadOnlySpan<double> gradient)
        {
            Observations++;
            _current = gradient.ToArray().Select(g => g * g).ToArray();
        }
    }

    // ½(x₀² + 4x₁²) from (1, 1): h = (1, 4), block "x".
    private static DiagonalQuadratic Quadratic() => new(new QuadraticOptions { Dimension = 2, Condition = 4 });

    private static (OptimizationResult Result, MemorySink Sink, CurvaturePreconditioner Pre) Run(PreconditionedGdOptions o, ICurvatureEstimator primary, ICurvatureEstimator? secondary = null, IObjective? objective = null)
    {
        var pre = new CurvaturePreconditioner(o, primary, secondary);
        var (result, sink) = EngineHarness.Run(new FirstOrderEngine("preconditioned_gd", o, pre), objective ?? Quadratic());
        return (result, sink, pre);
    }

    private static Dictionary<string, object?> Meta(CurvaturePreconditioner pre) => (Dictionary<string, object?>)pre.Describe()["preconditioning"]!;

    [Fact]
    public void Describe_records_every_documented_setting()
    {
        var o = new PreconditionedGdOptions
        {
            NumSteps = 3, LearningRate = 0.5, Power = PreconditionerPower.Linear, Eps = 1e-9, CurvatureFloor = 1e-6, LrMin = 1e-4, LrMax = 0.4,
            CurvatureEma = 0.25, SaveEvery = 7, BlockLr = JsonNode.Parse("""{"x": 0.25}""")!.AsObject(),
        };
        var (_, _, pre) = Run(o, new SetEstimator("gn_diag", [1, 4]));
        var m = Meta(pre);
        Assert.Equal("gn_diag", m["method"]);
        Assert.Equal("gn_diag", ((IReadOnlyDictionary<string, object?>)m["estimator"]!)["method"]);
        Assert.True(m.ContainsKey("blend_with"));
        Assert.Null(m["blend_with"]);
        Assert.True(m.ContainsKey("blend_alpha"));
        Assert.Null(m["blend_alpha"]);
        Assert.Equal("linear", m["power"]);
        Assert.Equal(1e-9, m["eps"]);
        Assert.Equal(1e-6, m["curvature_floor"]);
        var clip = (IReadOnlyDictionary<string, object?>)m["lr_clip"]!;
        Assert.Equal(1e-4, clip["min"]);
        Assert.Equal(0.4, clip["max"]);
        Assert.Same(o.BlockLr, m["block_lr"]);
        Assert.Equal(0, m["refresh_every"]);
        Assert.Equal(0.25, m["curvature_ema"]);
        Assert.Equal("fixed_at_init", m["updated"]);
        Assert.Equal("estimated_at_init", m["initial_curvature"]);
        Assert.Equal(0, m["refreshes"]);
        Assert.Equal(0, m["running_estimate_updates"]);
        Assert.Equal(7, m["save_every"]);
        Assert.Equal(0, m["saved_step"]);
        Assert.Equal(0, m["non_finite_curvature_entries"]);
        Assert.Equal("sqrt", Meta(Run(new PreconditionedGdOptions { NumSteps = 1 }, new SetEstimator("gn_diag", [1, 4])).Pre)["power"]);
        Assert.Equal("refreshed", Meta(Run(new PreconditionedGdOptions { NumSteps = 1, RefreshEvery = 5 }, new SetEstimator("gn_diag", [1, 4])).Pre)["updated"]);
    }

    [Fact]
    public void Precond_npz_holds_block_scale_base_lr_and_the_clip_bounds()
    {
        // learning_rate 0.5 with block_lr x = 0.25: block_scale 0.5 on both entries; linear precond 1/(h + eps).
        var o = new PreconditionedGdOptions
        {
            NumSteps = 2, LearningRate = 0.5, Power = PreconditionerPower.Linear, Eps = 0, LrMin = 1e-3, BlockLr = JsonNode.Parse("""{"x": 0.25}""")!.AsObject(),
        };
        var (_, sink, _) = Run(o, new SetEstimator("gn_diag", [1, 4]));
        var p = sink.Files["precond.npz"];
        Assert.Equal([0.5, 0.5], p["block_scale"].ToDoubles());
        Assert.Equal([1.0, 0.25], p["precond"].ToDoubles());
        Assert.Equal([0.5, 0.125], p["rate_vec"].ToDoubles());
        Assert.Equal(0.5, p["base_lr"].ToDoubles()[0]);
        Assert.Equal(1e-3, p["lr_min"].ToDoubles()[0]);
        Assert.Equal(double.PositiveInfinity, p["lr_max"].ToDoubles()[0]);
        Assert.Equal(0.0, p["saved_step"].ToDoubles()[0]);
    }

    [Fact]
    public void A_curvature_equal_to_the_floor_is_not_floored_and_a_rate_equal_to_lr_min_is_not_clipped()
    {
        // h = (1, 4), floor 1: entry 0 sits on the floor (not raised). Linear, eps 0, lr 1: rates (1, 0.25); lr_min 0.25
        // is met exactly by entry 1 (not clipped). One notch further, each is counted.
        var o = new PreconditionedGdOptions { NumSteps = 1, LearningRate = 1, Power = PreconditionerPower.Linear, Eps = 0, CurvatureFloor = 1, LrMin = 0.25 };
        var m = Meta(Run(o, new SetEstimator("gn_diag", [1, 4])).Pre);
        Assert.Equal(0, m["floored_curvature_entries"]);
        Assert.Equal(0, m["lr_clipped_low"]);
        o.CurvatureFloor = Math.BitIncrement(1.0);
        o.LrMin = Math.BitIncrement(0.25);
        m = Meta(Run(o, new SetEstimator("gn_diag", [1, 4])).Pre);
        Assert.Equal(1, m["floored_curvature_entries"]);
        Assert.Equal(1, m["lr_clipped_low"]); // 0.25 < lr_min now; 1/(1 + ε) is still far above it
    }

    [Fact]
    public void Non_finite_estimates_are_counted_across_refreshes()
    {
        var o = new PreconditionedGdOptions { NumSteps = 4, LearningRate = 0.1, RefreshEvery = 2 };
        var a = new SetEstimator("hutchinson_hessian_diag", [1, 4], nonFinite: 2);
        var (_, _, pre) = Run(o, a);
        Assert.True(a.Estimates >= 2, "estimated at init and at a refresh");
        Assert.Equal(2 * a.Estimates, Meta(pre)["non_finite_curvature_entries"]);
    }

    [Fact]
    public void Only_fisher_dense_is_asked_for_its_dense_matrix_and_it_is_saved_as_curv_dense()
    {
        var plain = new SetEstimator("gn_diag", [1, 4]);
        var (_, sink, _) = Run(new PreconditionedGdOptions { NumSteps = 1 }, plain);
        Assert.Equal([false], plain.DenseRequests);
        Assert.False(sink.Files["curvature.npz"].ContainsKey("curv_dense"));
        var dense = new SetEstimator("fisher_dense", [1, 4], dense: [1, 0.5, 0.5, 4]);
        var (_, sink2, _) = Run(new PreconditionedGdOptions { NumSteps = 1 }, dense);
        Assert.Equal([true], dense.DenseRequests);
        var c = sink2.Files["curvature.npz"]["curv_dense"];
        Assert.Equal([2, 2], c.Shape);
        Assert.Equal([1, 0.5, 0.5, 4], c.ToDoubles());
    }

    [Fact]
    public void A_running_secondary_is_fed_every_step_and_blended_with_the_primary_kept_from_init()
    {
        // Blend α·a + (1 − α)·b with a fixed gn_diag-like a = (1, 4) and a running b = g² of the last step's gradient:
        // with refresh_every 0 the running estimate is applied every step, the fixed one is not re-estimated.
        const double alpha = 0.25;
        var a = new SetEstimator("gn_diag", [1, 4], raw: [1.5, 3.5]);
        var b = new LastGradientSquared(2);
        var o = new PreconditionedGdOptions { NumSteps = 5, LearningRate = 0.1, BlendAlpha = alpha, SaveEvery = 1 };
        var (_, sink, pre) = Run(o, a, b);
        Assert.Equal(1, a.Estimates);
        Assert.Equal(5, b.Observations);
        var x = sink.Rows[4].Theta;
        var g = new[] { x[0], 4 * x[1] }; // the gradient step 4 → 5 used
        var curv = sink.Files["curvature.npz"]["curv_diag"].ToDoubles();
        var raw = sink.Files["curvature.npz"]["curv_diag_raw"].ToDoubles();
        double[] fixedDiag = [1, 4], fixedRaw = [1.5, 3.5];
        for (int i = 0; i < 2; i++)
        {
            Assert.Equal(alpha * fixedDiag[i] + (1 - alpha) * g[i] * g[i], curv[i], 1e-12);
            Assert.Equal(alpha * fixedRaw[i] + (1 - alpha) * g[i] * g[i], raw[i], 1e-12);
        }
        var m = Meta(pre);
        Assert.Equal("every_step", m["updated"]);
        Assert.Equal(alpha, m["blend_alpha"]);
        Assert.Equal("ema_grad2", ((IReadOnlyDictionary<string, object?>)m["blend_with"]!)["method"]);
        Assert.Equal(4, m["running_estimate_updates"]);
    }

    [Fact]
    public void A_fixed_estimator_alone_is_estimated_once_and_not_followed()
    {
        var a = new SetEstimator("gn_diag", [1, 4]);
        var (_, _, pre) = Run(new PreconditionedGdOptions { NumSteps = 6, LearningRate = 0.1 }, a);
        Assert.Equal(1, a.Estimates);
        Assert.Equal("fixed_at_init", Meta(pre)["updated"]);
        Assert.Equal(0, Meta(pre)["running_estimate_updates"]);
    }

    private static string RunDirectory(IndexMap map, Dictionary<string, NdArray>? curvature)
    {
        string dir = Path.Combine(Path.GetTempPath(), "dluxshera-init-from-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var meta = new JsonObject { ["artifact_schema"] = RunLayout.Schema, ["theta"] = new JsonObject { ["index_map"] = new JsonObject { ["layout_hash"] = map.LayoutHash } } };
        File.WriteAllText(Path.Combine(dir, RunLayout.Meta), meta.ToJsonString());
        if (curvature is not null) NpzFile.Save(Path.Combine(dir, RunLayout.Curvature), curvature);
        return dir;
    }

    [Fact]
    public void Init_from_takes_the_earlier_runs_curv_diag_without_estimating()
    {
        var q = Quadratic();
        string dir = RunDirectory(q.IndexMap, new Dictionary<string, NdArray> { ["curv_diag"] = NdArray.Vector([16.0, 64.0]) });
        try
        {
            var a = new SetEstimator("gn_diag", [1, 4]);
            var o = new PreconditionedGdOptions { NumSteps = 1, LearningRate = 1, Eps = 0, InitFrom = dir };
            var (_, sink, pre) = Run(o, a, objective: q);
            Assert.Equal(0, a.Estimates);
            Assert.Equal([0.25, 0.125], sink.Files["precond.npz"]["precond"].ToDoubles());
            Assert.Equal([16.0, 64.0], sink.Files["curvature.npz"]["curv_diag_raw"].ToDoubles());
            Assert.Equal($"init_from:{new FilesystemRunReader(dir).RunDirectory}", Meta(pre)["initial_curvature"]);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Init_from_refuses_a_missing_file_a_wrong_length_and_another_layout_naming_the_file()
    {
        var q = Quadratic();
        string missing = RunDirectory(q.IndexMap, null);
        string wrong = RunDirectory(q.IndexMap, new Dictionary<string, NdArray> { ["curv_diag"] = NdArray.Vector([1.0, 2.0, 3.0]) });
        string unnamed = RunDirectory(q.IndexMap, new Dictionary<string, NdArray> { ["diag"] = NdArray.Vector([1.0, 2.0]) });
        string other = RunDirectory(IndexMap.SingleVector(3), new Dictionary<string, NdArray> { ["curv_diag"] = NdArray.Vector([1.0, 2.0]) });
        try
        {
            string Refusal(string dir) => Assert.Throws<ArtifactException>(() =>
                Run(new PreconditionedGdOptions { NumSteps = 1, InitFrom = dir }, new SetEstimator("gn_diag", [1, 4]), objective: q)).Message;
            Assert.Matches("curvature\\.npz: file not found; init_from needs", Refusal(missing));
            Assert.Contains(Path.Combine(missing, RunLayout.Curvature), Refusal(missing));
            Assert.Contains("expected 'curv_diag' of length 2", Refusal(wrong));
            Assert.Contains(Path.Combine(wrong, RunLayout.Curvature), Refusal(wrong));
            Assert.Contains("expected 'curv_diag' of length 2", Refusal(unnamed));
            Assert.Contains("layout_hash", Refusal(other));
        }
        finally
        {
            foreach (var d in new[] { missing, wrong, unnamed, other }) Directory.Delete(d, true);
        }
    }
}
