using DluxShera.Artifacts;
using Xunit;

namespace DluxShera.Tests;

/// <summary>The shipped examples and engine/estimator selection, through the host.</summary>
public class ExampleRunTests
{
    private static (Dluxshera.Result Result, string Dir) Run(TempDirectory tmp, string example, string id, params string[] sets)
    {
        var args = new List<string> { "run", RepoPaths.Example(example), "--quiet", "--out", tmp.Path, "--plugins", RepoPaths.PluginsJson, "--set", $"run.id={id}" };
        foreach (string s in sets)
        {
            args.Add("--set");
            args.Add(s);
        }
        return (Dluxshera.Invoke([.. args]), tmp.Combine(id));
    }

    [Theory]
    [InlineData("rosenbrock-lbfgs.json", 1e-20)]
    [InlineData("rosenbrock-adam.json", 1e-15)]
    [InlineData("rosenbrock-gd.json", 1e-10)]
    [InlineData("quadratic-preconditioned.json", 1e-18)]
    public void Example_reaches_its_minimum(string example, double tolerance)
    {
        using var tmp = RepoPaths.Temp();
        var (r, dir) = Run(tmp, example, "ex");
        Assert.True(r.ExitCode == 0, r.ToString());
        var summary = RunArtifacts.LoadSummary(dir);
        Assert.Equal("ok", summary["status"]!.GetValue<string>());
        Assert.True(summary["loss_best"]!.GetValue<double>() < tolerance, $"{example}: {summary["loss_best"]}");
    }

    [Theory]
    [InlineData("gauss_newton", 13)]
    [InlineData("levenberg_marquardt", 14)]
    [InlineData("lbfgs", 7)]
    public void Second_order_engines_run_from_a_spec(string engine, int problem)
    {
        using var tmp = RepoPaths.Temp();
        var (r, dir) = Run(tmp, "rosenbrock-lbfgs.json", engine, $"optimizer.name={engine}", "optimizer.options=null",
            "objective.name=mgh", "objective.options=null", $"objective.options={{\"problem\":{problem}}}");
        Assert.True(r.ExitCode == 0, r.ToString());
        var summary = RunArtifacts.LoadSummary(dir);
        Assert.True(summary["loss_best"]!.GetValue<double>() < 1e-12, $"{engine}: {summary["loss_best"]}");
        Assert.Equal(engine, RunArtifacts.LoadMeta(dir)["optimizer"]!["name"]!.GetValue<string>());
    }

    [SkippableFact]
    public void Lbfgs_evaluation_counts_are_comparable_to_scipy_on_mgh()
    {
        PythonNumpy.RequireScipyOrSkip();
        var r = Dluxshera.Invoke("bench", "mgh", "--plugins", RepoPaths.PluginsJson);
        Assert.True(r.ExitCode == 0, r.ToString());
        // Every problem is classified; none is dropped. Where only scipy reaches a published minimum we are
        // worse and the test fails. Neither reaches it only on Meyer (10: both stall near 1.1e5), Wood (14: both
        // stop at the stationary point f = 7.877) and Osborne 1 (17: both stop at 7.7e-5 > 5.46e-5);
        // docs/benchmarks.md lists the runs.
        var bothReached = new List<int>();
        var neither = new List<int>();
        var onlyOurs = new List<int>();
        var onlyScipy = new List<int>();
        foreach (var line in r.Stdout.Split('\n').Where(l => l.StartsWith("| ") && char.IsDigit(l[2])))
        {
            var cells = line.Split('|', StringSplitOptions.TrimEntries);
            int number = int.Parse(cells[1]);
            var known = cells[4].Split(" / ").Select(v => double.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            double ours = double.Parse(cells[5], System.Globalization.CultureInfo.InvariantCulture);
            double theirs = double.Parse(cells[7], System.Globalization.CultureInfo.InvariantCulture);
            bool Reached(double f) => known.Any(k => Math.Abs(f - k) <= 1e-6 + 1e-4 * Math.Abs(k));
            var bucket = (Reached(ours), Reached(theirs)) switch
            {
                (true, true) => bothReached,
                (true, false) => onlyOurs,
                (false, true) => onlyScipy,
                _ => neither,
            };
            bucket.Add(number);
            if (!Reached(ours) || !Reached(theirs)) continue;
            int ourEvals = int.Parse(cells[6]), scipyEvals = int.Parse(cells[8]);
            Assert.True(ourEvals <= 1.5 * scipyEvals + 5, $"problem {cells[1]}: {ourEvals} evaluations vs scipy's {scipyEvals}");
        }
        Assert.Equal(18, bothReached.Count + neither.Count + onlyOurs.Count + onlyScipy.Count);
        Assert.True(onlyScipy.Count == 0, $"scipy reaches the minimum and we do not on problems {string.Join(", ", onlyScipy)}");
        Assert.Subset(new HashSet<int> { 10, 14, 17 }, neither.ToHashSet());
        Assert.True(bothReached.Count >= 13, $"both reached the minimum on only {bothReached.Count} problems: {string.Join(", ", bothReached)}");
    }

    [Fact]
    public void Shera_testbed_3p_example_fits_the_secondary_mirror_too()
    {
        // Three steps of the shipped example (the full fit is the docs' and bench's job): θ has the 8 secondary
        // Zernikes after the 15 two-plane parameters, the truth is recorded, and Levenberg–Marquardt only
        // accepts steps that lower the loss.
        using var tmp = RepoPaths.Temp();
        var (r, dir) = Run(tmp, "shera-testbed-3p.json", "3p", "optimizer.options.num_steps=3", "run.uncertainty=false");
        Assert.True(r.ExitCode == 0, r.ToString());
        var meta = RunArtifacts.LoadMeta(dir);
        Assert.Equal(23, meta["theta"]!["dim"]!.GetValue<int>());
        var entries = meta["theta"]!["index_map"]!["entries"]!.AsArray();
        var secondary = entries.Single(e => e!["name"]!.GetValue<string>() == "secondary.zernike_coeffs_nm")!;
        Assert.Equal(15, secondary["start"]!.GetValue<int>());
        Assert.Equal(23, secondary["stop"]!.GetValue<int>());
        var trace = RunArtifacts.LoadTrace(dir);
        Assert.Equal(4, trace.Steps);
        for (int t = 1; t < trace.Steps; t++) Assert.True(trace.Loss[t] <= trace.Loss[t - 1], $"loss rose at step {t}");
        Assert.True(trace.Loss[3] < trace.Loss[0]);
        Assert.Equal(0.5, meta["theta"]!["truth"]![15]!.GetValue<double>());
    }

    [Fact]
    public void Preconditioned_example_records_its_curvature()
    {
        using var tmp = RepoPaths.Temp();
        var (r, dir) = Run(tmp, "quadratic-preconditioned.json", "pc");
        Assert.True(r.ExitCode == 0, r.ToString());
        var summary = RunArtifacts.LoadSummary(dir);
        Assert.True(summary["has_precond"]!.GetValue<bool>());
        Assert.True(summary["has_curvature"]!.GetValue<bool>());
        var meta = RunArtifacts.LoadMeta(dir);
        var pre = meta["optimizer"]!["preconditioning"]!;
        Assert.Equal("hutchinson_hessian_diag", pre["method"]!.GetValue<string>());
        Assert.Equal(4, pre["estimator"]!["probes"]!.GetValue<int>());
        Assert.Equal("fixed_at_init", pre["updated"]!.GetValue<string>());
        var reader = new FilesystemRunReader(dir);
        var curv = reader.LoadArrays("curvature.npz")!["curv_diag"].ToDoubles();
        Assert.Equal(20, curv.Length);
        Assert.Equal(1.0, curv[0], 9);
        Assert.Equal(1e6, curv[19], 3);
        Assert.Equal(20, reader.LoadArrays("precond.npz")!["lr_vec"].Count);
    }

    // Hessian-scale estimators get Newton-like (linear) preconditioning; the EMA of g² is an RMS scale (sqrt).
    [Theory]
    [InlineData("hutchinson", "linear", 0.5)]
    [InlineData("ema_grad2", "sqrt", 0.01)]
    [InlineData("empirical_fisher", "linear", 0.5)]
    [InlineData("gn_diag", "linear", 0.5)]
    [InlineData("fisher_dense", "linear", 0.5)]
    public void Every_estimator_is_selectable_by_name(string estimator, string power, double lr)
    {
        using var tmp = RepoPaths.Temp();
        var (r, dir) = Run(tmp, "quadratic-preconditioned.json", estimator,
            "objective.name=noisy_linear_ls", "objective.preset=null", "objective.options=null", "objective.options={\"dimension\":4,\"observations\":50}",
            "optimizer.options.curvature=null", $"optimizer.options.curvature={{\"name\":\"{estimator}\"}}", $"optimizer.options.power={power}", $"optimizer.options.learning_rate={lr}",
            "optimizer.options.num_steps=200", "optimizer.options.stopping={}");
        Assert.True(r.ExitCode == 0, r.ToString());
        var meta = RunArtifacts.LoadMeta(dir);
        // Components keep short names; meta.json uses the seed's method vocabulary.
        Assert.Equal(estimator == "hutchinson" ? "hutchinson_hessian_diag" : estimator, meta["optimizer"]!["preconditioning"]!["method"]!.GetValue<string>());
        Assert.True(RunArtifacts.LoadSummary(dir)["has_curvature"]!.GetValue<bool>());
    }

    [Fact]
    public void Warm_start_reuses_an_earlier_runs_curvature_and_refuses_another_layout()
    {
        using var tmp = RepoPaths.Temp();
        var (first, firstDir) = Run(tmp, "quadratic-preconditioned.json", "first");
        Assert.True(first.ExitCode == 0, first.ToString());
        var (second, secondDir) = Run(tmp, "quadratic-preconditioned.json", "second", $"optimizer.options.init_from={firstDir}");
        Assert.True(second.ExitCode == 0, second.ToString());
        var pre = RunArtifacts.LoadMeta(secondDir)["optimizer"]!["preconditioning"]!;
        Assert.StartsWith("init_from:", pre["initial_curvature"]!.GetValue<string>());
        Assert.Equal(
            new FilesystemRunReader(firstDir).LoadArrays("curvature.npz")!["curv_diag"].ToDoubles(),
            new FilesystemRunReader(secondDir).LoadArrays("curvature.npz")!["curv_diag"].ToDoubles());

        var (other, otherDir) = Run(tmp, "quadratic-preconditioned.json", "other", $"optimizer.options.init_from={firstDir}", "objective.options={\"dimension\":7}");
        Assert.Equal(1, other.ExitCode);
        string message = RunArtifacts.LoadSummary(otherDir)["message"]!.GetValue<string>();
        Assert.Contains("layout_hash", message);
        Assert.Contains(Path.Combine(firstDir, "meta.json"), message);
    }

    [Fact]
    public void Bad_estimator_options_are_bad_input_naming_the_nested_path()
    {
        using var tmp = RepoPaths.Temp();
        var (r, _) = Run(tmp, "quadratic-preconditioned.json", "bad", "optimizer.options.curvature.options.probes=0");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("optimizer.options.curvature.options.probes: must be ≥ 1", r.Stderr);
    }
}
