using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using DluxShera.Artifacts;
using Xunit;

namespace DluxShera.Tests;

/// <summary>meta.json's git and environment provenance, checked against git and the runtime themselves.</summary>
public class ProvenanceTests
{
    [Fact]
    public void Git_commit_and_dirty_flag_are_those_of_the_specs_work_tree()
    {
        using var tmp = RepoPaths.Temp();
        string repo = tmp.Combine("repo");
        Directory.CreateDirectory(repo);
        string spec = Path.Combine(repo, "run.json");
        File.WriteAllText(spec, """
            {
              "objective": { "name": "quadratic", "options": { "dimension": 2 } },
              "optimizer": { "name": "gd", "options": { "num_steps": 2, "learning_rate": 0.005 } }
            }
            """);
        Git(repo, "init", "-q");
        Git(repo, "add", "run.json");
        Git(repo, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-q", "-m", "spec");
        string head = Git(repo, "rev-parse", "HEAD").Trim();

        var clean = RunMeta(tmp, spec, "clean");
        Assert.Equal(head, clean["git"]!["commit"]!.GetValue<string>());
        Assert.False(clean["git"]!["dirty"]!.GetValue<bool>());

        File.AppendAllText(spec, "\n");
        var dirty = RunMeta(tmp, spec, "dirty");
        Assert.Equal(head, dirty["git"]!["commit"]!.GetValue<string>());
        Assert.True(dirty["git"]!["dirty"]!.GetValue<bool>());

        string outside = tmp.Combine("plain");
        Directory.CreateDirectory(outside);
        File.Copy(spec, Path.Combine(outside, "run.json"));
        var none = RunMeta(tmp, Path.Combine(outside, "run.json"), "none", ceiling: tmp.Path);
        Assert.Null(none["git"]!["commit"]);
    }

    [Fact]
    public void Environment_records_this_runtime_and_the_loaded_plugins()
    {
        using var tmp = RepoPaths.Temp();
        var meta = RunMeta(tmp, RepoPaths.Example("rosenbrock-adam.json"), "env");
        var env = meta["environment"]!;
        Assert.Equal(RuntimeInformation.FrameworkDescription, env["dotnet"]!.GetValue<string>());
        Assert.Equal(Environment.ProcessorCount, env["processors"]!.GetValue<int>());
        Assert.Equal(RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant(), env["architecture"]!.GetValue<string>());
        Assert.Equal(DluxShera.Contracts.ContractVersion.Text, env["contract_version"]!.GetValue<string>());
        var listed = JsonNode.Parse(File.ReadAllText(RepoPaths.PluginsJson))!["plugins"]!.AsArray()
            .Where(p => p!["enabled"]?.GetValue<bool>() ?? true).Select(p => p!["path"]!.GetValue<string>()).Order();
        Assert.Equal(listed, env["plugins"]!.AsArray().Select(p => p!["path"]!.GetValue<string>()).Order());
    }

    private static JsonNode RunMeta(TempDirectory tmp, string spec, string id, string? ceiling = null)
    {
        string? before = Environment.GetEnvironmentVariable("GIT_CEILING_DIRECTORIES");
        try
        {
            // Keeps git from finding a repository above the temporary folder (e.g. a checkout under /tmp).
            if (ceiling is not null) Environment.SetEnvironmentVariable("GIT_CEILING_DIRECTORIES", ceiling);
            var r = Dluxshera.Invoke("run", spec, "--quiet", "--out", tmp.Combine("runs"), "--plugins", RepoPaths.PluginsJson,
                "--set", $"run.id={id}", "--set", "optimizer.options.num_steps=2");
            Assert.True(r.ExitCode == 0, r.ToString());
        }
        finally
        {
            Environment.SetEnvironmentVariable("GIT_CEILING_DIRECTORIES", before);
        }
        return RunArtifacts.LoadMeta(tmp.Combine("runs", id));
    }

    private static string Git(string dir, params string[] args)
    {
        var info = new ProcessStartInfo("git") { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var p = Process.Start(info)!;
        string output = p.StandardOutput.ReadToEnd();
        string error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"git {string.Join(' ', args)}: {error}");
        return output;
    }
}

/// <summary>The bench commands other than mgh, at sizes that take a second: they run, and print their tables.</summary>
public class BenchCommandTests
{
    [Fact]
    public void Bench_engines_reports_every_first_order_engine_allocating_nothing_per_step()
    {
        var r = Dluxshera.Invoke("bench", "engines", "--dims", "23", "--plugins", RepoPaths.PluginsJson);
        Assert.True(r.ExitCode == 0, r.ToString());
        var rows = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList();
        foreach (string engine in new[] { "gd", "adam", "momentum", "rmsprop" })
        {
            var row = rows.Single(cells => cells[0] == engine);
            Assert.Equal("23", row[1]);
            Assert.Equal("0.0", row[^1]); // bytes per step
        }
    }

    [Fact]
    public void Bench_npz_writes_and_reads_back_a_small_trace()
    {
        var r = Dluxshera.Invoke("bench", "npz", "--rows", "200", "--cols", "3", "--repeat", "1");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("trace 200 x 3 float64", r.Stdout);
    }

    [Fact]
    public void Bench_shera_times_the_test_preset_and_refuses_an_unknown_one()
    {
        var r = Dluxshera.Invoke("bench", "shera", "--presets", "testbed-2p-test", "--plugins", RepoPaths.PluginsJson);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("testbed-2p-test", r.Stdout);
        var bad = Dluxshera.Invoke("bench", "shera", "--presets", "no-such-preset", "--plugins", RepoPaths.PluginsJson);
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("no-such-preset", bad.Stderr);
    }

    [Fact]
    public void Bench_samplers_runs_a_target_once_per_seed_and_reports_the_mean_and_sd_of_ess_per_gradient()
    {
        var r = Dluxshera.Invoke("bench", "samplers", "--targets", "logistic_regression", "--seeds", "3,4", "--json", "--plugins", RepoPaths.PluginsJson);
        Assert.True(r.ExitCode == 0, r.ToString());
        var rows = JsonNode.Parse(r.Stdout.Split('\n').Single(l => l.StartsWith('{')))!.AsObject();
        Assert.Equal(["logistic_regression"], rows.Select(kv => kv.Key));
        var runs = rows["logistic_regression"]!["runs"]!.AsArray();
        Assert.Equal([3UL, 4UL], runs.Select(run => run!["seed"]!.GetValue<ulong>()));
        var perGradient = runs.Select(run => run!["min_ess_bulk"]!.GetValue<double>() / run!["gradients"]!.GetValue<double>()).ToArray();
        Assert.Equal(perGradient, runs.Select(run => run!["ess_per_gradient"]!.GetValue<double>()));
        Assert.NotEqual(perGradient[0], perGradient[1]);
        Assert.Equal((perGradient[0] + perGradient[1]) / 2, rows["logistic_regression"]!["ess_per_gradient_mean"]!.GetValue<double>(), 12);
        // The sample sd (ddof 1) of two values is |a − b|/√2.
        Assert.Equal(Math.Abs(perGradient[0] - perGradient[1]) / Math.Sqrt(2), rows["logistic_regression"]!["ess_per_gradient_sd"]!.GetValue<double>(), 12);
        foreach (var run in runs)
        {
            Assert.Equal(0, run!["divergences"]!.GetValue<int>());
            Assert.InRange(run["max_rhat"]!.GetValue<double>(), 0.99, 1.05);
            // Each chain's adapted ε and diagonal metric: four chains, the mean is the reported mean, and the adapted
            // inverse metric is the posterior variance of a and b (well below the prior's 4, nowhere near the initial 1).
            var steps = run["step_sizes"]!.AsArray().Select(v => v!.GetValue<double>()).ToArray();
            Assert.Equal(4, steps.Length);
            Assert.Equal(steps.Average(), run["mean_step_size"]!.GetValue<double>(), 12);
            var metrics = run["inverse_metrics"]!.AsArray().Select(m => m!.AsArray().Select(v => v!.GetValue<double>()).ToArray()).ToArray();
            Assert.Equal(4, metrics.Length);
            Assert.All(metrics, m => Assert.All(m, v => Assert.InRange(v, 0.005, 0.5)));
        }

        var badMetric = Dluxshera.Invoke("bench", "samplers", "--metric", "dense", "--plugins", RepoPaths.PluginsJson);
        Assert.Equal(2, badMetric.ExitCode);
        Assert.Contains("--metric: expected diag or unit, got 'dense'", badMetric.Stderr);
        var badSeed = Dluxshera.Invoke("bench", "samplers", "--seeds", "1,x", "--plugins", RepoPaths.PluginsJson);
        Assert.Equal(2, badSeed.ExitCode);
        Assert.Contains("--seeds: 'x'", badSeed.Stderr);
        var badTarget = Dluxshera.Invoke("bench", "samplers", "--targets", "banana", "--plugins", RepoPaths.PluginsJson);
        Assert.Equal(2, badTarget.ExitCode);
        Assert.Contains("'banana'", badTarget.Stderr);
        Assert.Contains("funnel_10d", badTarget.Stderr);
    }

    [Fact]
    public void Bench_samplers_metric_unit_adapts_the_step_size_alone_on_the_identity_metric()
    {
        var r = Dluxshera.Invoke("bench", "samplers", "--targets", "logistic_regression", "--metric", "unit", "--seeds", "3", "--json",
            "--plugins", RepoPaths.PluginsJson);
        Assert.True(r.ExitCode == 0, r.ToString());
        var run = JsonNode.Parse(r.Stdout.Split('\n').Single(l => l.StartsWith('{')))!["logistic_regression"]!["runs"]![0]!;
        var metrics = run["inverse_metrics"]!.AsArray().Select(m => m!.AsArray().Select(v => v!.GetValue<double>()).ToArray()).ToArray();
        Assert.Equal(4, metrics.Length);
        Assert.All(metrics, m => Assert.Equal([1.0, 1.0], m));
        // With the unit metric ε must shrink to the posterior's scale (sd of a and b ≈ 0.2–0.3), far below the ≈ 0.85 that
        // the adapted diagonal metric allows.
        Assert.All(run["step_sizes"]!.AsArray(), v => Assert.InRange(v!.GetValue<double>(), 0.05, 0.5));
    }

    [Fact]
    public void Bench_samplers_fixed_step_runs_the_kernel_alone_at_the_given_step()
    {
        // N(0, I) is a harmonic oscillator of period 2π: at ε = 0.45 a trajectory turns back after about half a period,
        // π/0.45 ≈ 7 leapfrog steps, so nearly every draw is a depth-3 tree (2³ − 1 = 7 steps). Nothing adapts ε.
        var r = Dluxshera.Invoke("bench", "samplers", "--targets", "normal_100d", "--fixed-step", "0.45", "--draws", "100", "--seeds", "5", "--json",
            "--plugins", RepoPaths.PluginsJson);
        Assert.True(r.ExitCode == 0, r.ToString());
        var run = JsonNode.Parse(r.Stdout.Split('\n').Single(l => l.StartsWith('{')))!["normal_100d"]!["runs"]![0]!;
        Assert.Equal(0.45, run["mean_step_size"]!.GetValue<double>());
        var depths = run["tree_depth_fractions"]!.AsObject().ToDictionary(kv => kv.Key, kv => kv.Value!.GetValue<double>());
        Assert.Equal(1.0, depths.Values.Sum(), 12);
        Assert.True(depths.GetValueOrDefault("3") >= 0.9, string.Join(", ", depths));
        Assert.InRange(run["gradients"]!.GetValue<double>() / 400, 6.5, 7.5);
        Assert.Contains("tree depths ", r.Stdout);

        var bad = Dluxshera.Invoke("bench", "samplers", "--fixed-step", "0.1", "--draws", "2", "--plugins", RepoPaths.PluginsJson);
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("--draws", bad.Stderr);
    }
}
