using DluxShera.Artifacts;
using DluxShera.Numpy;
using Xunit;

namespace DluxShera.Tests;

/// <summary>Sampling runs through <c>dluxshera run</c>: artifacts, summary tables and bad input.</summary>
public class SamplingRunTests
{
    private static string Spec(string dir, string sampler, string extra = "")
    {
        string path = Path.Combine(dir, "spec.json");
        File.WriteAllText(path, $$"""
        { "objective": { "name": "quadratic", "options": { "dimension": 3, "condition": 100.0, "start": 0.05 } },
          "sampler": {{sampler}}, {{extra}}
          "run": { "id": "s", "seed": 3, "figures": false } }
        """);
        return path;
    }

    [Fact]
    public void Nuts_run_writes_samples_warmup_adaptation_and_a_posterior_table()
    {
        using var tmp = RepoPaths.Temp();
        string spec = Spec(tmp.Path, """{ "name": "nuts", "options": { "num_chains": 2, "num_warmup": 150, "num_samples": 120 } }""");
        var r = Dluxshera.Invoke("run", spec, "--out", tmp.Path, "--plugins", RepoPaths.PluginsJson);
        Assert.True(r.ExitCode == 0, r.ToString());
        string dir = tmp.Combine("s");
        var samples = NpzFile.Load(Path.Combine(dir, "samples.npz"));
        Assert.Equal([2, 120, 3], samples["theta"].Shape);
        foreach (string stat in new[] { "log_prob", "step_size", "tree_depth", "n_leapfrog", "diverging", "energy", "accept_stat" })
        {
            Assert.Equal([2, 120], samples[stat].Shape);
        }
        Assert.Equal([2, 150, 3], NpzFile.Load(Path.Combine(dir, "warmup.npz"))["theta"].Shape);
        var adaptation = NpzFile.Load(Path.Combine(dir, "adaptation.npz"));
        Assert.Equal([2, 3], adaptation["inv_metric"].Shape);

        var summary = RunArtifacts.LoadSummary(dir);
        Assert.Equal("ok", summary["status"]!.GetValue<string>());
        Assert.True(summary["has_samples"]!.GetValue<bool>());
        var row = summary["posterior"]![2]!.AsObject();
        foreach (string key in new[] { "name", "mean", "sd", "mcse_mean", "mcse_sd", "q5", "q50", "q95", "ess_bulk", "ess_tail", "r_hat", "truth" })
        {
            Assert.True(row.ContainsKey(key), key);
        }
        // log p = −½ Σ hᵢ xᵢ² with h₂ = 100: sd 0.1, within a generous sampling band for 240 draws.
        Assert.InRange(row["sd"]!.GetValue<double>(), 0.07, 0.13);
        // The signal recipe over every draw: the θ signal's posterior agrees with the posterior table.
        var signalRows = summary["signal_posterior"]!.AsArray();
        Assert.NotEmpty(signalRows);
        Assert.True(File.Exists(Path.Combine(dir, "posterior_signals.npz")));
        var stats = summary["sampler_stats"]!.AsObject();
        Assert.Equal(2, stats["ebfmi_per_chain"]!.AsArray().Count);
        Assert.Equal(10, stats["max_tree_depth"]!.GetValue<int>());

        // The trace is chain 0's path, loss = −log p, one row per iteration (warm-up included).
        var trace = RunArtifacts.LoadTrace(dir);
        Assert.Equal(270, trace.Steps);
        Assert.Equal(-samples["log_prob"].ToDoubles()[119], trace.Loss[^1], 12);
        // grad_norm is ‖∇ loss‖ at each draw: for loss = ½ Σ hᵢ xᵢ² with h = 100^(i/2) = (1, 10, 100), ‖h ⊙ θ‖.
        var gradNorm = trace.Channels["grad_norm"];
        double[] h = [1, 10, 100];
        for (int t = 0; t < trace.Steps; t++)
        {
            var theta = trace.ThetaAt(t).ToArray();
            double expected = Math.Sqrt(Enumerable.Range(0, 3).Sum(i => h[i] * theta[i] * h[i] * theta[i]));
            Assert.Equal(expected, gradNorm[t], 1e-12 * Math.Max(expected, 1));
        }
        var meta = RunArtifacts.LoadMeta(dir);
        Assert.Equal("sampler:nuts", meta["sampler"]!["component"]!.GetValue<string>());
        Assert.Equal(2, meta["sampler"]!["chain_seeds"]!.AsArray().Count);

        // `plot` rebuilds the posterior figures from samples.npz and meta.json alone.
        var plot = Dluxshera.Invoke("plot", dir, "--plugins", RepoPaths.PluginsJson);
        Assert.True(plot.ExitCode == 0, plot.ToString());
        foreach (string figure in new[] { "trace", "rank", "marginals", "corner", "energy" })
        {
            Assert.True(File.Exists(Path.Combine(dir, "figures", $"posterior_{figure}.png")), figure);
        }
    }

    [Fact]
    public void Sampling_in_a_whitened_eigen_space_reports_the_posterior_in_primitive_values()
    {
        // loss = ½ Σ hᵢ xᵢ², h = (1, 10, 100): whitened eigen coordinates are N(0, I); primitive sds are 1/√hᵢ.
        using var tmp = RepoPaths.Temp();
        string spec = Spec(tmp.Path, """{ "name": "nuts", "options": { "num_chains": 2, "num_warmup": 150, "num_samples": 150 } }""",
            """ "theta_map": { "name": "eigen", "options": { "curvature": "fisher_dense", "whiten": true } }, """);
        var r = Dluxshera.Invoke("run", spec, "--out", tmp.Path, "--plugins", RepoPaths.PluginsJson);
        Assert.True(r.ExitCode == 0, r.ToString());
        string dir = tmp.Combine("s");
        var samples = NpzFile.Load(Path.Combine(dir, "samples.npz"));
        Assert.Equal([2, 150, 3], samples["primitive"].Shape);
        var summary = RunArtifacts.LoadSummary(dir);
        var primitive = summary["posterior"]!.AsArray();
        Assert.Equal("x[2]", primitive[2]!["name"]!.GetValue<string>());
        Assert.InRange(primitive[2]!["sd"]!.GetValue<double>(), 0.07, 0.13);
        Assert.InRange(primitive[0]!["sd"]!.GetValue<double>(), 0.7, 1.3);
        foreach (var row in summary["posterior_theta"]!.AsArray()) Assert.InRange(row!["sd"]!.GetValue<double>(), 0.7, 1.3);
        Assert.True(File.Exists(Path.Combine(dir, "theta_map.npz")));
    }

    [SkippableFact]
    public void Numpy_reads_samples_npz_with_the_documented_dtypes()
    {
        PythonNumpy.RequireOrSkip();
        using var tmp = RepoPaths.Temp();
        string spec = Spec(tmp.Path, """{ "name": "hmc", "options": { "num_chains": 2, "num_warmup": 40, "num_samples": 30 } }""");
        var r = Dluxshera.Invoke("run", spec, "--out", tmp.Path, "--plugins", RepoPaths.PluginsJson);
        Assert.True(r.ExitCode == 0, r.ToString());
        string output = PythonNumpy.Run($$"""
import numpy as np
s = np.load({{Dluxshera.Json(Path.Combine(tmp.Combine("s"), "samples.npz"))}})
print(s["theta"].shape, s["theta"].dtype, s["diverging"].dtype, s["tree_depth"].dtype, s["energy"].shape)
""");
        Assert.Equal("(2, 30, 3) float64 bool int64 (2, 30)", output.Trim());
    }

    [Fact]
    public void A_spec_with_both_optimizer_and_sampler_is_bad_input()
    {
        using var tmp = RepoPaths.Temp();
        string spec = Spec(tmp.Path, """{ "name": "nuts" }""", """ "optimizer": { "name": "gd" }, """);
        var r = Dluxshera.Invoke("run", spec, "--out", tmp.Path, "--plugins", RepoPaths.PluginsJson);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("not both", r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr);
    }

    [Fact]
    public void Bad_sampler_options_are_named()
    {
        using var tmp = RepoPaths.Temp();
        string spec = Spec(tmp.Path, """{ "name": "nuts", "options": { "mass_matrix": "full" } }""");
        var r = Dluxshera.Invoke("run", spec, "--out", tmp.Path, "--plugins", RepoPaths.PluginsJson);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("sampler.options.mass_matrix", r.Stderr);
        Assert.Contains("'diag' or 'dense'", r.Stderr);
    }
}
