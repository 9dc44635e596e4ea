using DluxShera.Contracts;
using DluxShera.Optimizers;
using Xunit;

namespace DluxShera.Tests;

/// <summary>
/// L-BFGS against an explicit dense BFGS inverse-Hessian update (Nocedal &amp; Wright eq. 6.17) built from the
/// run's own (s, y) pairs, its first trial steps, and its stopping rules checked on the trace.
/// </summary>
public class LbfgsTests
{
    // Extended Rosenbrock in 4-D (two independent pairs), start (−1.2, 1, −1.2, 1), minimum 0 at (1, 1, 1, 1).
    private static double ExtendedRosenbrock(double[] x, double[] g)
    {
        double f = 0;
        for (int i = 0; i < x.Length; i += 2)
        {
            double a = 1 - x[i], b = x[i + 1] - x[i] * x[i];
            f += a * a + 100 * b * b;
            g[i] = -2 * a - 400 * x[i] * b;
            g[i + 1] = 200 * b;
        }
        return f;
    }

    private static FunctionObjective Rosenbrock4(double offset = 0) =>
        new(4, (x, g) => ExtendedRosenbrock(x, g) + offset, [-1.2, 1.0, -1.2, 1.0]);

    private static double Dot(double[] a, double[] b) => a.Select((ai, i) => ai * b[i]).Sum();
    private static double[] Sub(double[] a, double[] b) => a.Select((ai, i) => ai - b[i]).ToArray();

    // H ← (I − ρ s yᵀ) H (I − ρ y sᵀ) + ρ s sᵀ, applied oldest pair first to H₀ = γ I.
    private static double[] DenseBfgsDirection(IReadOnlyList<(double[] S, double[] Y)> pairs, double[] g)
    {
        int d = g.Length;
        var h = new double[d, d];
        var (sl, yl) = pairs[^1];
        double gamma = Dot(sl, yl) / Dot(yl, yl);
        for (int i = 0; i < d; i++) h[i, i] = gamma;
        foreach (var (s, y) in pairs)
        {
            double rho = 1 / Dot(s, y);
            var left = new double[d, d];
            var next = new double[d, d];
            for (int i = 0; i < d; i++)
            {
                for (int j = 0; j < d; j++)
                {
                    double v = 0;
                    for (int k = 0; k < d; k++) v += ((i == k ? 1 : 0) - rho * s[i] * y[k]) * h[k, j];
                    left[i, j] = v;
                }
            }
            for (int i = 0; i < d; i++)
            {
                for (int j = 0; j < d; j++)
                {
                    double v = 0;
                    for (int k = 0; k < d; k++) v += left[i, k] * ((k == j ? 1 : 0) - rho * y[k] * s[j]);
                    next[i, j] = v + rho * s[i] * s[j];
                }
            }
            h = next;
        }
        var dir = new double[d];
        for (int i = 0; i < d; i++)
        {
            for (int j = 0; j < d; j++) dir[i] -= h[i, j] * g[j];
        }
        return dir;
    }

    [Theory]
    [InlineData(20)]
    [InlineData(3)]
    [InlineData(1)]
    public void Every_step_is_the_dense_bfgs_step_from_the_last_m_pairs(int history)
    {
        var f = Rosenbrock4();
        var (result, sink) = EngineHarness.Run(new Lbfgs(new LbfgsOptions { History = history, NumSteps = 14, Ftol = 0, Gtol = 0 }), f);
        Assert.Equal(StopReasons.MaxSteps, result.StopReason);
        var x = sink.Rows.Select(r => r.Theta).ToList();
        var g = x.Select(f.Gradient).ToList();
        var pairs = new List<(double[] S, double[] Y)>();
        for (int k = 0; k + 1 < x.Count; k++)
        {
            var used = pairs.Skip(Math.Max(0, pairs.Count - history)).ToList();
            var dir = used.Count == 0 ? g[k].Select(v => -v).ToArray() : DenseBfgsDirection(used, g[k]);
            double alpha = sink.Rows[k + 1].BaseLr;
            var step = Sub(x[k + 1], x[k]);
            double scale = Math.Sqrt(Dot(step, step));
            for (int i = 0; i < 4; i++) Assert.True(Math.Abs(step[i] - alpha * dir[i]) <= 1e-7 * scale, $"step {k + 1}, entry {i}: {step[i]} vs α d = {alpha * dir[i]}");
            Assert.Equal(scale, sink.Rows[k + 1].StepNorm, 1e-12 * scale);
            var (s, y) = (step, Sub(g[k + 1], g[k]));
            Assert.True(Dot(s, y) > 0, "a Wolfe step always gives sᵀy > 0");
            pairs.Add((s, y));
        }
    }

    [Fact]
    public void The_first_trial_has_unit_length_along_minus_g_and_later_trials_take_the_full_quasi_newton_step()
    {
        var f = Rosenbrock4();
        var (_, sink) = EngineHarness.Run(new Lbfgs(new LbfgsOptions { NumSteps = 6, Ftol = 0, Gtol = 0 }), f);
        var x0 = sink.Rows[0].Theta;
        var g0 = f.Gradient(x0);
        double norm = Math.Sqrt(Dot(g0, g0));
        Assert.True(norm > 1, "α₀ = min(1, 1/‖g‖) is 1/‖g‖ here");
        var firstTrial = f.Points[1];
        for (int i = 0; i < 4; i++) Assert.Equal(x0[i] - g0[i] / norm, firstTrial[i], 1e-12);

        // Iteration k ≥ 1 starts its search at θ_k + 1·d_k: the first point evaluated after θ_k was accepted.
        var pairs = new List<(double[] S, double[] Y)>();
        for (int k = 1; k + 1 < sink.Rows.Count; k++)
        {
            var prev = sink.Rows[k - 1].Theta;
            var xk = sink.Rows[k].Theta;
            pairs.Add((Sub(xk, prev), Sub(f.Gradient(xk), f.Gradient(prev))));
            var dir = DenseBfgsDirection(pairs, f.Gradient(xk));
            int at = f.Points.FindIndex(p => p.SequenceEqual(xk));
            var trial = f.Points[at + 1];
            for (int i = 0; i < 4; i++) Assert.Equal(xk[i] + dir[i], trial[i], 1e-7 * Math.Max(1, Math.Abs(trial[i])));
        }
    }

    /// <summary>
    /// A 1-D loss whose slope is piecewise linear: −1 + x/2 up to x = 1.5, falling to −1 at x = 2 (concave: the slope
    /// gets steeper), rising to +5 at x = 3, then +5. From x = 0 the first search takes x = 1 (f′ = −0.5, strong
    /// Wolfe); the second tries x = 2 then x = 3 (uphill), is out of its two evaluations and accepts x = 2 on
    /// sufficient decrease alone, where sᵀy = 1 · (−1 − (−0.5)) &lt; 0.
    /// </summary>
    private static FunctionObjective ConcaveAfterOneStep() => new(1, (x, g) =>
    {
        double t = x[0];
        (double f, g[0]) = t switch
        {
            <= 1.5 => (-t + t * t / 4, -1 + t / 2),
            <= 2 => (-0.9375 - 0.25 * (t - 1.5) - 0.75 * (t - 1.5) * (t - 1.5), -0.25 - 1.5 * (t - 1.5)),
            <= 3 => (-1.25 - (t - 2) + 3 * (t - 2) * (t - 2), -1 + 6 * (t - 2)),
            _ => (0.75 + 5 * (t - 3), 5),
        };
        return f;
    }, [0.0]);

    [Fact]
    public void A_skipped_pair_leaves_a_full_history_as_it_was()
    {
        // History 1 is full after the first pair; the second pair (sᵀy < 0) must be skipped without touching it.
        var f = ConcaveAfterOneStep();
        var (_, sink) = EngineHarness.Run(new Lbfgs(new LbfgsOptions { History = 1, MaxLineSearch = 2, NumSteps = 3 }), f);
        Assert.Equal([0.0, 1.0, 2.0, 3.0], f.Points.Take(4).Select(p => p[0]));
        Assert.Equal([0.0, 1.0, 2.0], sink.Rows.Take(3).Select(r => r.Theta[0]));
        double[] x0 = [0.0], x1 = [1.0], x2 = [2.0];
        var kept = (S: Sub(x1, x0), Y: Sub(f.Gradient(x1), f.Gradient(x0)));   // (1, 0.5)
        var skipped = (S: Sub(x2, x1), Y: Sub(f.Gradient(x2), f.Gradient(x1))); // (1, −0.5)
        Assert.True(Dot(kept.S, kept.Y) > 0);
        Assert.True(Dot(skipped.S, skipped.Y) < 0, "the test must reach a pair L-BFGS skips");

        // The third search starts at x₂ + d with d from the kept pair alone: −(s/y)·g = −2 · (−1) = 2, so x = 4.
        var dir = DenseBfgsDirection([kept], f.Gradient(x2));
        Assert.Equal(2.0, dir[0], 1e-15);
        Assert.Equal(x2[0] + dir[0], f.Points[4][0], 1e-12);
    }

    [Fact]
    public void Trace_and_result_count_steps_and_evaluations_as_they_happen()
    {
        var f = Rosenbrock4();
        var (result, sink) = EngineHarness.Run(new Lbfgs(new LbfgsOptions { NumSteps = 5, Ftol = 0, Gtol = 0 }), f);
        Assert.Equal(Enumerable.Range(0, 6), sink.Rows.Select(r => r.Step));
        Assert.Equal(5, result.StepsCompleted);
        Assert.Equal(5, result.Extra["iterations"]);
        Assert.Equal(f.Calls, result.Evaluations);
        Assert.Equal(StopReasons.MaxSteps, result.StopReason);
        Assert.Equal(0.0, sink.Rows[0].StepNorm);
    }

    [Theory]
    [InlineData(1e-3, 0.0)]
    [InlineData(1e-4, 1000.0)]
    public void Ftol_stops_at_the_first_relative_reduction_at_or_below_it(double ftol, double offset)
    {
        // Relative reduction (f_k − f_{k+1}) / max(|f_k|, |f_{k+1}|, 1), scipy's rule: with the offset the losses
        // are ~1000 (divide by |f|); without it they fall below 1 (divide by 1).
        var f = Rosenbrock4(offset);
        var (result, sink) = EngineHarness.Run(new Lbfgs(new LbfgsOptions { Ftol = ftol, Gtol = 0, NumSteps = 500 }), f);
        Assert.Equal(StopReasons.Converged, result.StopReason);
        Assert.Contains("ftol", result.Message);
        var losses = sink.Rows.Select(r => r.Loss).ToList();
        double Rel(int k) => (losses[k - 1] - losses[k]) / Math.Max(Math.Max(Math.Abs(losses[k - 1]), Math.Abs(losses[k])), 1);
        Assert.True(Rel(losses.Count - 1) <= ftol);
        for (int k = 1; k < losses.Count - 1; k++) Assert.True(Rel(k) > ftol, $"step {k}: relative reduction {Rel(k)} ≤ {ftol} but the run went on");
        if (offset == 0) Assert.True(losses[^1] < 1, "the rule's floor of 1 is exercised");
    }

    [Fact]
    public void Gtol_stops_at_the_first_point_whose_largest_gradient_entry_is_at_or_below_it()
    {
        var f = Rosenbrock4();
        var (result, sink) = EngineHarness.Run(new Lbfgs(new LbfgsOptions { Ftol = 0, Gtol = 1e-3, NumSteps = 500 }), f);
        Assert.Equal(StopReasons.Converged, result.StopReason);
        Assert.Contains("gtol", result.Message);
        var maxG = sink.Rows.Select(r => f.Gradient(r.Theta).Max(Math.Abs)).ToList();
        Assert.True(maxG[^1] <= 1e-3);
        Assert.All(maxG.Take(maxG.Count - 1), m => Assert.True(m > 1e-3));
    }

    [Fact]
    public void No_step_along_a_loss_that_only_falls_ends_as_line_search_failed_after_one_search()
    {
        // f = −Σx: φ' is the same everywhere, so no step meets the curvature condition, and with no history there is
        // no steepest-descent restart to try: one search (1 + max_line_search evaluations), then stop.
        var f = new FunctionObjective(2, (x, g) =>
        {
            g[0] = g[1] = -1;
            return -x[0] - x[1];
        });
        var (result, sink) = EngineHarness.Run(new Lbfgs(new LbfgsOptions { MaxLineSearch = 7 }), f);
        Assert.Equal("line_search_failed", result.StopReason);
        Assert.Contains("strong Wolfe", result.Message);
        Assert.Equal(8, result.Evaluations);
        Assert.Equal(8, f.Calls);
        Assert.Equal(0, result.StepsCompleted);
        Assert.Single(sink.Rows);
    }

    [Fact]
    public void Max_evaluations_names_the_budget()
    {
        var f = Rosenbrock4();
        var (result, _) = EngineHarness.Run(new Lbfgs(new LbfgsOptions { MaxEvaluations = 9, Ftol = 0, Gtol = 0 }), f);
        Assert.Equal("max_evaluations", result.StopReason);
        Assert.Contains("evaluation budget of 9", result.Message);
        Assert.Equal(f.Calls, result.Evaluations);
        Assert.InRange(result.Evaluations, 1, 9);
    }

    [Fact]
    public void A_non_finite_loss_names_the_step_it_happened_at()
    {
        // Finite for the first 4 evaluations, NaN after: the step after the last recorded one is the one that failed.
        int calls = 0;
        var f = new FunctionObjective(4, (x, g) => ++calls > 4 ? double.NaN : ExtendedRosenbrock(x, g), [-1.2, 1.0, -1.2, 1.0]);
        var (result, sink) = EngineHarness.Run(new Lbfgs(new LbfgsOptions()), f);
        Assert.Equal(StopReasons.NonFiniteLoss, result.StopReason);
        int last = sink.Rows[^1].Step;
        Assert.StartsWith($"step {last + 1}:", result.Message);
        Assert.Contains($"(step {last})", result.Message);
    }

    [Fact]
    public void The_shared_stopping_options_stop_it_too_and_say_which_test_fired()
    {
        var (result, sink) = EngineHarness.Run(new Lbfgs(new LbfgsOptions { Ftol = 0, Gtol = 0, Stopping = new() { GradNormAtol = 1e-2 } }), Rosenbrock4());
        Assert.Equal(StopReasons.Converged, result.StopReason);
        Assert.Equal("gradient norm below tolerance", result.Message);
        var f = Rosenbrock4();
        double Norm(double[] x) => Math.Sqrt(f.Gradient(x).Sum(v => v * v));
        Assert.True(Norm(sink.Rows[^1].Theta) <= 1e-2);
        Assert.All(sink.Rows.Take(sink.Rows.Count - 1), r => Assert.True(Norm(r.Theta) > 1e-2));
    }

    [Fact]
    public void A_cancelled_run_fails_as_cancelled_at_the_current_iterate()
    {
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        var (result, _) = EngineHarness.Run(new Lbfgs(new LbfgsOptions()), Rosenbrock4(), cancellation: cancel.Token);
        Assert.Equal(RunStatus.Failed, result.Status);
        Assert.Equal(StopReasons.Cancelled, result.StopReason);
        Assert.Equal("cancelled after 0 iterations", result.Message);
        Assert.Equal([-1.2, 1.0, -1.2, 1.0], result.FinalTheta);
    }

    [Fact]
    public void Gtol_is_inclusive_at_the_start()
    {
        // ½x² at x = 0.5: max |g| = 0.5 exactly.
        var f = new FunctionObjective(1, (x, g) =>
        {
            g[0] = x[0];
            return 0.5 * x[0] * x[0];
        }, [0.5]);
        var (result, _) = EngineHarness.Run(new Lbfgs(new LbfgsOptions { Gtol = 0.5 }), f);
        Assert.Equal(StopReasons.Converged, result.StopReason);
        Assert.Equal(0, result.StepsCompleted);
        Assert.Equal(1, f.Calls);
    }

    [Fact]
    public void Describe_records_the_documented_options()
    {
        var o = new LbfgsOptions { NumSteps = 7, History = 4, MaxEvaluations = 99, MaxLineSearch = 11, C1 = 1e-3, C2 = 0.8, Ftol = 1e-7, Gtol = 1e-4 };
        var d = new Lbfgs(o).Describe();
        Assert.Equal("lbfgs", d["name"]);
        Assert.Equal(7, d["num_steps"]);
        Assert.Equal(1.0, d["base_lr"]);
        var schedule = (IReadOnlyDictionary<string, object?>)d["schedule"]!;
        Assert.Equal("line_search", schedule["kind"]);
        var config = (IReadOnlyDictionary<string, object?>)schedule["config"]!;
        Assert.Equal(1e-3, config["c1"]);
        Assert.Equal(0.8, config["c2"]);
        Assert.Equal(11, config["max_line_search"]);
        Assert.Equal(4, d["history"]);
        Assert.Equal(99, d["max_evaluations"]);
        Assert.Equal(1e-7, d["ftol"]);
        Assert.Equal(1e-4, d["gtol"]);
        Assert.NotNull(d["stopping"]);
        Assert.Equal("lbfgs", new Lbfgs(o).Name);
    }

    [Theory]
    [InlineData("num_steps", -1, 10, 1, 1e-4, 0.9)]
    [InlineData("history", 0, 0, 1, 1e-4, 0.9)]
    [InlineData("max_evaluations", 0, 10, 0, 1e-4, 0.9)]
    [InlineData("c2", 0, 10, 1, 0.0, 0.9)]
    [InlineData("c2", 0, 10, 1, 0.5, 0.5)]
    [InlineData("c2", 0, 10, 1, 0.5, 0.4)]
    [InlineData("c2", 0, 10, 1, 1e-4, 1.0)]
    [InlineData(null, 0, 1, 1, 1e-4, 0.9)]
    [InlineData(null, 0, 1, 1, 0.3, 0.99)]
    public void Validation_names_the_key_at_the_boundary(string? key, int numSteps, int history, int maxEvaluations, double c1, double c2)
    {
        var problems = new LbfgsOptions { NumSteps = numSteps, History = history, MaxEvaluations = maxEvaluations, C1 = c1, C2 = c2 }.Validate().ToList();
        if (key is null)
        {
            Assert.Empty(problems);
            return;
        }
        var (k, message) = Assert.Single(problems);
        Assert.Equal(key, k);
        Assert.Equal(key switch { "num_steps" => "must be ≥ 0", "history" or "max_evaluations" => "must be ≥ 1", _ => "need 0 < c1 < c2 < 1" }, message);
    }
}
