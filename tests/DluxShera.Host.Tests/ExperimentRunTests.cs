using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using DluxShera.Artifacts;
using DluxShera.Host.Experiments;
using Xunit;

namespace DluxShera.Tests;

/// <summary><c>experiment run</c>, <c>status</c> and the ensemble answer of <c>aggregate</c>, on tiny problems.</summary>
public class ExperimentRunTests
{
    private static string Spec(TempDirectory tmp, string json, string name = "experiment.json")
    {
        string path = tmp.Combine(name);
        File.WriteAllText(path, json);
        return path;
    }

    private static Dluxshera.Result Run(params string[] args) =>
        Dluxshera.Invoke(["experiment", "run", .. args, "--plugins", RepoPaths.PluginsJson]);

    private static JsonObject Summary(string experiment, string runId) => RunArtifacts.LoadSummary(Path.Combine(experiment, "runs", runId));

    // num_steps × the evaluation at which nan_after turns NaN: only 30 steps against 25 good evaluations fails.
    private const string GridWithOneFailure = """
        {
          "experiment": "grid",
          "base": { "objective": { "name": "nan_after", "options": { "dimension": 2 } },
                    "optimizer": { "name": "gd", "options": { "learning_rate": 0.1 } } },
          "sweep": { "grid": [ { "path": "optimizer.options.num_steps", "values": [10, 20, 30] },
                               { "path": "objective.options.evaluations", "values": [25, 1000, 2000] } ] }
        }
        """;

    [Fact]
    public void A_3x3_sweep_records_its_one_failing_point_runs_the_rest_and_retries_only_with_retry_failed()
    {
        using var tmp = RepoPaths.Temp();
        string spec = Spec(tmp, GridWithOneFailure);
        var first = Run(spec, "--out", tmp.Path, "--workers", "2");
        Assert.True(first.ExitCode == 1, first.ToString());
        string exp = tmp.Combine("grid");
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(exp, "manifest.json")))!;
        var ids = manifest["points"]!.AsArray().Select(p => p!["run_id"]!.GetValue<string>()).ToList();
        Assert.Equal(9, ids.Count);
        Assert.Equal(9, ids.Distinct().Count());
        // Grid order: the first axis varies slowest, so (30 steps, 25 evaluations) is point 6.
        var statuses = ids.Select(id => Summary(exp, id)["status"]!.GetValue<string>()).ToList();
        Assert.Equal(Enumerable.Range(0, 9).Select(i => i == 6 ? "failed" : "ok"), statuses);
        Assert.StartsWith("p0006-", ids[6], StringComparison.Ordinal);
        Assert.Equal("non_finite_loss", Summary(exp, ids[6])["stop_reason"]!.GetValue<string>());
        Assert.Contains("exit 1", File.ReadAllText(Path.Combine(exp, "logs", ids[6] + ".log")));
        var point6 = manifest["points"]![6]!["set"]!.AsArray();
        Assert.Equal(30, point6[0]!["value"]!.GetValue<int>());
        Assert.Equal(25, point6[1]!["value"]!.GetValue<int>());

        var stamps = ids.ToDictionary(id => id, id => File.ReadAllText(Path.Combine(exp, "runs", id, "summary.json")));
        var again = Run(spec, "--out", tmp.Path);
        Assert.True(again.ExitCode == 1, again.ToString());
        Assert.Contains("8 already ok, 1 failed earlier (rerun with --retry-failed)", again.Stderr);
        Assert.All(ids, id => Assert.Equal(stamps[id], File.ReadAllText(Path.Combine(exp, "runs", id, "summary.json"))));

        var retry = Run(spec, "--out", tmp.Path, "--retry-failed");
        Assert.True(retry.ExitCode == 1, retry.ToString());
        Assert.Contains("1 to run", retry.Stderr);
        Assert.All(ids.Where(id => id != ids[6]), id => Assert.Equal(stamps[id], File.ReadAllText(Path.Combine(exp, "runs", id, "summary.json"))));
        Assert.NotEqual(stamps[ids[6]], File.ReadAllText(Path.Combine(exp, "runs", ids[6], "summary.json")));

        var status = Dluxshera.Invoke("experiment", "status", exp);
        Assert.True(status.ExitCode == 0, status.ToString());
        Assert.Contains("9 points: 8 ok, 1 failed, 0 running, 0 pending", status.Stdout);
        Assert.Contains(ids[6], status.Stdout);
    }

    [Fact]
    public void A_live_writer_makes_its_run_running_and_a_dead_one_leaves_a_failed_run_that_resumes()
    {
        using var tmp = RepoPaths.Temp();
        string exp = tmp.Combine("live");
        string run = Path.Combine(exp, "runs", "r1");
        Directory.CreateDirectory(run);
        File.WriteAllText(Path.Combine(run, "summary.json"), """{ "run_id": "r1", "status": "failed", "message": "run incomplete" }""");
        using (RunLiveness.Hold(run))
        {
            Assert.Equal(RunProcessState.Live, RunLiveness.Probe(run));
            var state = RunState.Of(run);
            Assert.Equal("running", state.Status);
            Assert.False(state.Resumable);
            var table = ExperimentTable.Build(exp, []);
            Assert.Equal("running", table.Rows.Single()["status"]!.GetValue<string>());
            Assert.Contains("1 running", Dluxshera.Invoke("experiment", "status", exp).Stdout);
        }
        Assert.Equal(RunProcessState.None, RunLiveness.Probe(run));
        Assert.False(File.Exists(Path.Combine(run, RunLiveness.LockFile)));

        // What a killed writer leaves: the lock file, held by nobody.
        File.WriteAllText(Path.Combine(run, RunLiveness.LockFile), "");
        Assert.Equal(RunProcessState.Ended, RunLiveness.Probe(run));
        var ended = RunState.Of(run);
        Assert.Equal("failed", ended.Status);
        Assert.True(ended.Resumable);
    }

    [Fact]
    public void Killing_a_sweep_and_resuming_loses_nothing_and_redoes_nothing()
    {
        using var tmp = RepoPaths.Temp();
        // Point 1 is long (a few seconds), the others short, one at a time: the kill lands while point 1 is written.
        string spec = Spec(tmp, """
            {
              "experiment": "killed",
              "base": { "objective": { "name": "rosenbrock", "options": { "dimension": 2 } },
                        "optimizer": { "name": "adam", "options": { "learning_rate": 0.001 } } },
              "sweep": { "grid": [ { "path": "optimizer.options.num_steps", "values": [3000, 200000, 3000, 3000, 3000, 3000] } ] }
            }
            """);
        string exp = tmp.Combine("killed");
        var info = HostProcess(tmp.Path, "experiment", "run", spec, "--out", tmp.Path, "--workers", "1", "--plugins", RepoPaths.PluginsJson);
        using var process = Process.Start(info)!;
        var runs = Path.Combine(exp, "runs");
        var clock = Stopwatch.StartNew();
        bool sawRunning = false;
        while (clock.Elapsed < TimeSpan.FromMinutes(2) && !process.HasExited && !sawRunning)
        {
            if (Directory.Exists(runs))
            {
                var states = Directory.GetDirectories(runs).Select(RunState.Of).ToList();
                // `running` is seen from this other process through the writer's lock.
                sawRunning = states.Count(s => s.Status == "ok") >= 1 && states.Any(s => s.Status == "running");
            }
            Thread.Sleep(20);
        }
        Assert.True(sawRunning && !process.HasExited, "the sweep finished before it could be killed: " + (process.HasExited ? process.StandardError.ReadToEnd() : ""));
        process.Kill(entireProcessTree: true); // SIGKILL: no handler runs, as on a node failure
        process.WaitForExit();

        var afterKill = Directory.GetDirectories(runs).ToDictionary(d => Path.GetFileName(d), RunState.Of);
        var okBeforeKill = afterKill.Where(kv => kv.Value.Status == "ok").Select(kv => kv.Key).ToList();
        // A run whose process died is failed (its provisional summary), never `running`, and is rerun on resume.
        Assert.All(afterKill.Values.Where(s => s.Status != "ok"), s => Assert.True(s.Status == "failed" && s.Resumable, s.ToString()));
        var before = okBeforeKill.ToDictionary(id => id, id => File.ReadAllText(Path.Combine(runs, id, "summary.json")));

        var resume = Run(spec, "--out", tmp.Path, "--workers", "1");
        Assert.True(resume.ExitCode == 0, resume.ToString());
        Assert.Contains($"{okBeforeKill.Count} already ok", resume.Stderr);
        Assert.Contains($"{6 - okBeforeKill.Count} to run", resume.Stderr);
        foreach (var (id, text) in before) Assert.Equal(text, File.ReadAllText(Path.Combine(runs, id, "summary.json")));
        Assert.Equal(6, Directory.GetDirectories(runs).Count(d => RunState.Of(d).Status == "ok"));
    }

    [Fact]
    public async Task Three_shards_in_separate_processes_produce_exactly_the_union()
    {
        using var tmp = RepoPaths.Temp();
        string spec = Spec(tmp, """
            {
              "experiment": "sharded",
              "base": { "objective": { "name": "quadratic", "options": { "dimension": 3, "condition": 10 } },
                        "optimizer": { "name": "gd", "options": { "num_steps": 50, "learning_rate": 0.05 } } },
              "sweep": { "zip": [ { "path": "objective.options.start", "values": [1, 2, 3, 4, 5, 6, 7] },
                                  { "path": "run.seed", "seeds": [11, 12, 13, 14, 15, 16, 17] } ] }
            }
            """);
        // One shard from --shard, one from a Slurm array task, one from a Kubernetes indexed Job.
        var shards = new[]
        {
            HostProcess(tmp.Path, "experiment", "run", spec, "--out", tmp.Path, "--shard", "0/3", "--plugins", RepoPaths.PluginsJson),
            HostProcess(tmp.Path, "experiment", "run", spec, "--out", tmp.Path, "--plugins", RepoPaths.PluginsJson),
            HostProcess(tmp.Path, "experiment", "run", spec, "--out", tmp.Path, "--plugins", RepoPaths.PluginsJson),
        };
        shards[1].Environment["SLURM_ARRAY_TASK_ID"] = "5";
        shards[1].Environment["SLURM_ARRAY_TASK_MIN"] = "4";
        shards[1].Environment["SLURM_ARRAY_TASK_COUNT"] = "3";
        shards[2].Environment["JOB_COMPLETION_INDEX"] = "2";
        shards[2].Environment["JOB_COMPLETIONS"] = "3";
        var processes = shards.Select(Process.Start).ToList();
        var outputs = new List<(string Out, string Err)>();
        foreach (var p in processes)
        {
            var stdout = p!.StandardOutput.ReadToEndAsync();
            string stderr = await p.StandardError.ReadToEndAsync();
            await p.WaitForExitAsync();
            outputs.Add((await stdout, stderr));
        }
        for (int i = 0; i < 3; i++) Assert.True(processes[i]!.ExitCode == 0, $"shard {i}: {outputs[i].Out}\n{outputs[i].Err}");

        Assert.Contains("shard 0/3 (--shard): 3 here", outputs[0].Err);
        Assert.Contains("shard 1/3 (slurm): 2 here", outputs[1].Err);
        Assert.Contains("shard 2/3 (kubernetes): 2 here", outputs[2].Err);
        string exp = tmp.Combine("sharded");
        var ids = JsonNode.Parse(File.ReadAllText(Path.Combine(exp, "manifest.json")))!["points"]!.AsArray().Select(p => p!["run_id"]!.GetValue<string>()).ToList();
        Assert.Equal(ids.Order(), Directory.GetDirectories(Path.Combine(exp, "runs")).Select(Path.GetFileName).Order());
        Assert.All(ids, id => Assert.Equal("ok", Summary(exp, id)["status"]!.GetValue<string>()));
        // Each point ran once: the seeds and starts of the plan, no mixing between shards.
        for (int k = 0; k < 7; k++)
        {
            var meta = RunArtifacts.LoadMeta(Path.Combine(exp, "runs", ids[k]));
            Assert.Equal(11 + k, meta["run"]!["seed"]!.GetValue<int>());
            Assert.Equal(1.0 + k, meta["objective"]!["options"]!["start"]!.GetValue<double>());
        }
    }

    [Theory]
    [InlineData("3/3")]
    [InlineData("a/b")]
    [InlineData("1")]
    public void A_bad_shard_is_refused_with_exit_2(string shard)
    {
        using var tmp = RepoPaths.Temp();
        var r = Run(Spec(tmp, GridWithOneFailure), "--out", tmp.Path, "--shard", shard);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains($"--shard '{shard}'", r.Stderr);
    }

    [Fact]
    public void Shards_come_from_slurm_and_kubernetes_variables_and_round_robin_over_points()
    {
        var slurm = Shard.Resolve(null, new Dictionary<string, string> { ["SLURM_ARRAY_TASK_ID"] = "12", ["SLURM_ARRAY_TASK_MIN"] = "10", ["SLURM_ARRAY_TASK_COUNT"] = "4" });
        Assert.Equal((2, 4), (slurm.Index, slurm.Count));
        Assert.Equal([2, 6, 10], Enumerable.Range(0, 12).Where(slurm.Owns));
        var k8s = Shard.Resolve(null, new Dictionary<string, string> { ["JOB_COMPLETION_INDEX"] = "0", ["JOB_COMPLETIONS"] = "2" });
        Assert.Equal((0, 2), (k8s.Index, k8s.Count));
        Assert.Throws<DluxShera.Host.BadInputException>(() => Shard.Resolve(null, new Dictionary<string, string> { ["JOB_COMPLETION_INDEX"] = "0" }));
        Assert.Equal(Shard.All, Shard.Resolve(null, new Dictionary<string, string>()));
    }

    [Fact]
    public void A_time_series_warm_started_from_the_previous_epoch_needs_fewer_steps_than_cold_starts()
    {
        using var tmp = RepoPaths.Temp();
        string Series(string name, bool warm) => Spec(tmp, $$"""
            {
              "experiment": "{{name}}",
              "base": { "objective": { "name": "rosenbrock", "options": { "dimension": 2 } },
                        "optimizer": { "name": "lbfgs", "options": { "num_steps": 500, "gtol": 1e-8 } } },
              "time_series": {
                "epochs": [ { "name": "a", "set": { "objective.options.b": 100 } },
                            { "name": "b", "set": { "objective.options.b": 105 } },
                            { "name": "c", "set": { "objective.options.b": 110 } } ],
                "warm_start": { "theta": {{(warm ? "true" : "false")}} }
              }
            }
            """, name + ".json");
        var warm = Run(Series("warm", true), "--out", tmp.Path, "--workers", "2");
        Assert.True(warm.ExitCode == 0, warm.ToString());
        var cold = Run(Series("cold", false), "--out", tmp.Path, "--workers", "2");
        Assert.True(cold.ExitCode == 0, cold.ToString());
        int Steps(string exp, string id) => Summary(tmp.Combine(exp), id)["num_steps_completed"]!.GetValue<int>();
        string[] later = ["e001-b", "e002-c"];
        Assert.Equal(Steps("warm", "e000-a"), Steps("cold", "e000-a"));
        Assert.True(later.Sum(id => Steps("warm", id)) < later.Sum(id => Steps("cold", id)) / 3,
            $"warm {string.Join(",", later.Select(id => Steps("warm", id)))} vs cold {string.Join(",", later.Select(id => Steps("cold", id)))}");
        var meta = RunArtifacts.LoadMeta(tmp.Combine("warm", "runs", "e002-c"));
        Assert.Equal(tmp.Combine("warm", "runs", "e001-b"), meta["theta"]!["init_from"]!.GetValue<string>());
        var initial = RunArtifacts.LoadTrace(tmp.Combine("warm", "runs", "e002-c")).Theta[..2];
        Assert.Equal(RunArtifacts.LoadCheckpoint(tmp.Combine("warm", "runs", "e001-b"))!.Theta, initial);

        // The time-series answer: each parameter against epoch.
        var agg = Dluxshera.Invoke("experiment", "aggregate", tmp.Combine("warm"));
        Assert.True(agg.ExitCode == 0, agg.ToString());
        var figures = Directory.GetFiles(tmp.Combine("warm", "figures"), "timeseries_*.svg").Select(Path.GetFileName).Order().ToList();
        Assert.Equal(["timeseries_00_x_0_.svg", "timeseries_01_x_1_.svg"], figures);
    }

    [Fact]
    public void Pulls_of_a_30_point_ensemble_scatter_like_a_standard_normal()
    {
        using var tmp = RepoPaths.Temp();
        // Linear least squares: the inverse-Hessian σ is exact, so the pulls are N(0, 1) by construction.
        string spec = Spec(tmp, """
            {
              "experiment": "pulls",
              "base": { "run": { "uncertainty": true },
                        "objective": { "name": "noisy_linear_ls", "options": { "dimension": 3, "observations": 20, "sigma": 0.5 } },
                        "optimizer": { "name": "gauss_newton", "options": { "num_steps": 5 } } },
              "sweep": { "grid": [ { "path": "objective.options.seed", "seeds": { "start": 1, "count": 30 } } ] }
            }
            """);
        var run = Run(spec, "--out", tmp.Path, "--workers", "2");
        Assert.True(run.ExitCode == 0, run.ToString());
        string exp = tmp.Combine("pulls");
        var agg = Dluxshera.Invoke("experiment", "aggregate", exp);
        Assert.True(agg.ExitCode == 0, agg.ToString());
        var ensemble = JsonNode.Parse(File.ReadAllText(Path.Combine(exp, "ensemble.json")))!;
        Assert.Equal(30, ensemble["runs_used"]!.GetValue<int>());
        var pooled = ensemble["pooled_pull"]!;
        Assert.Equal(90, pooled["n"]!.GetValue<int>());
        double std = pooled["std"]!.GetValue<double>(), se = pooled["std_se"]!.GetValue<double>();
        Assert.InRange(std, 1 - 3 * se, 1 + 3 * se);
        Assert.InRange(pooled["mean"]!.GetValue<double>(), -3 / Math.Sqrt(90), 3 / Math.Sqrt(90));
        Assert.True(pooled["ks_pvalue"]!.GetValue<double>() > 0.001);

        // The pulls are (best − truth)/σ of each run's summary: recompute one parameter's from the table.
        var rows = ExperimentTable.Build(exp, []).Rows;
        var pulls = rows.Select(r => r["parameters"]!.AsArray()[1]!)
            .Select(p => (p["best"]!.GetValue<double>() - p["truth"]!.GetValue<double>()) / p["sigma"]!.GetValue<double>()).ToArray();
        double mean = pulls.Average();
        Assert.Equal(mean, ensemble["parameters"]![1]!["pull"]!["mean"]!.GetValue<double>(), 12);
        Assert.Equal(30, pulls.Length);
        foreach (string f in new[] { "ensemble.csv", "figures/ensemble_pulls_pooled.svg", "figures/ensemble_pulls_by_parameter.svg", "figures/ensemble_error_vs_sigma.svg" })
        {
            Assert.True(File.Exists(Path.Combine(exp, f)), f);
        }
        Assert.Contains("<svg", File.ReadAllText(Path.Combine(exp, "figures", "ensemble_pulls_pooled.svg")));
    }

    [Fact]
    public void The_manifest_records_axes_points_dataset_hashes_base_hash_and_build_and_refuses_another_plan()
    {
        using var tmp = RepoPaths.Temp();
        File.WriteAllBytes(tmp.Combine("a.bin"), [1, 2, 3]);
        File.WriteAllBytes(tmp.Combine("b.bin"), [4, 5]);
        File.WriteAllText(tmp.Combine("base.json"), """{ "objective": { "name": "quadratic" }, "optimizer": { "name": "gd", "options": { "num_steps": 3 } } }""");
        string spec = Spec(tmp, """
            {
              "experiment": "files",
              "base": "base.json",
              "sweep": { "grid": [ { "path": "description", "files": ["a.bin", "b.bin"] } ] }
            }
            """);
        var r = Run(spec, "--out", tmp.Path);
        Assert.True(r.ExitCode == 0, r.ToString());
        var manifest = JsonNode.Parse(File.ReadAllText(tmp.Combine("files", "manifest.json")))!;
        string canonicalBase = JsonNode.Parse(File.ReadAllText(tmp.Combine("base.json")))!.ToJsonString();
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(canonicalBase))), manifest["base_spec_sha256"]!.GetValue<string>());
        Assert.Equal(tmp.Combine("base.json"), manifest["base_spec_source"]!.GetValue<string>());
        var datasets = manifest["points"]!.AsArray().Select(p => p!["datasets"]![0]!).ToList();
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(new byte[] { 1, 2, 3 })), datasets[0]["sha256"]!.GetValue<string>());
        Assert.Equal(2, datasets[1]["bytes"]!.GetValue<int>());
        Assert.Equal("description", manifest["axes"]![0]!["path"]!.GetValue<string>());
        Assert.NotNull(manifest["workbench"]!["host_version"]);
        Assert.Equal(2, manifest["point_count"]!.GetValue<int>());

        File.WriteAllBytes(tmp.Combine("b.bin"), [4, 5, 6]); // the data changed: the plan is another one
        var refused = Run(spec, "--out", tmp.Path);
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("holds another plan", refused.Stderr);
    }

    [Fact]
    public void Every_problem_of_an_experiment_spec_is_reported_at_once_with_exit_2()
    {
        using var tmp = RepoPaths.Temp();
        string spec = Spec(tmp, """
            {
              "experiment": "bad",
              "base": "missing.json",
              "colour": "red",
              "sweep": { "grid": [ { "path": "a.b", "values": [1], "seeds": [1] } ],
                         "zip": [ { "path": "x", "values": [1, 2] }, { "path": "y", "values": [1] } ] }
            }
            """);
        var r = Run(spec);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("4 problems", r.Stderr);
        Assert.Contains("missing.json", r.Stderr);
        Assert.Contains("unknown key 'colour'", r.Stderr);
        Assert.Contains("exactly one of 'values', 'seeds', 'files'", r.Stderr);
        Assert.Contains("same length", r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr);
    }

    [SkippableFact]
    public void The_KS_statistic_and_p_value_match_scipy()
    {
        double[] sample = [-1.7, -0.9, -0.35, -0.1, 0.05, 0.2, 0.6, 0.75, 1.1, 1.9, 2.4, -0.6];
        var ours = PullStatistics.KolmogorovSmirnovStandardNormal(sample.Order().ToArray());
        string script = $"from scipy import stats\nr = stats.kstest([{string.Join(",", sample.Select(v => v.ToString(System.Globalization.CultureInfo.InvariantCulture)))}], 'norm', method='asymp')\nprint(repr(r.statistic), repr(r.pvalue))\n";
        PythonNumpy.RequireScipyOrSkip();
        string output = PythonNumpy.Run(script);
        var parts = output.Trim().Split(' ').Select(s => double.Parse(s, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(parts[0], ours.Statistic, 12);
        // scipy's asymptotic p has no finite-n correction; Stephens' corrected one is within a few hundredths of it.
        Assert.InRange(ours.PValue - parts[1], -0.05, 0.05);
    }

    private static ProcessStartInfo HostProcess(string workingDirectory, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = workingDirectory };
        info.ArgumentList.Add(typeof(DluxShera.Host.Workbench).Assembly.Location);
        foreach (var a in args) info.ArgumentList.Add(a);
        return info;
    }
}
