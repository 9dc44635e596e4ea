using System.Diagnostics;
using DluxShera.Artifacts;
using Xunit;

namespace DluxShera.Tests;

public class EndToEndRunTests
{
    [Fact]
    public void Rosenbrock_gd_reaches_the_minimum_and_writes_a_run_directory()
    {
        using var tmp = RepoPaths.Temp();
        var r = Dluxshera.Invoke("run", RepoPaths.Example("rosenbrock-gd.json"), "--out", tmp.Path, "--plugins", RepoPaths.PluginsJson, "--set", "run.id=qs");
        Assert.True(r.ExitCode == 0, r.ToString());
        string dir = tmp.Combine("qs");
        var summary = RunArtifacts.LoadSummary(dir);
        Assert.Equal("ok", summary["status"]!.GetValue<string>());
        Assert.True(summary["loss_best"]!.GetValue<double>() < 1e-10);
        var best = RunArtifacts.LoadCheckpoint(dir, "best")!;
        Assert.Equal(1.0, best.Theta[0], 4);
        Assert.Equal(1.0, best.Theta[1], 4);
        var trace = RunArtifacts.LoadTrace(dir);
        Assert.Equal(summary["num_steps_completed"]!.GetValue<int>() + 1, trace.Steps);
        Assert.Equal(24.2, trace.Loss[0], 10);

        var inspect = Dluxshera.Invoke("inspect", dir);
        Assert.True(inspect.ExitCode == 0, inspect.ToString());
        Assert.Contains("status       ok (max_steps)", inspect.Stdout);
        Assert.Contains("x     [0:2)  (2,)", inspect.Stdout);
    }

    [SkippableFact]
    public void Quickstart_fits_simulated_shera_data_and_recovers_the_separation_within_three_sigma()
    {
        using var tmp = RepoPaths.Temp();
        var r = Dluxshera.Invoke("run", RepoPaths.Example("quickstart.json"), "--out", tmp.Path, "--plugins", RepoPaths.PluginsJson, "--set", "run.id=qs");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("binary.separation_as", r.Stdout); // the truth / initial / best table
        var summary = RunArtifacts.LoadSummary(tmp.Combine("qs"));
        Assert.Equal("ok", summary["status"]!.GetValue<string>());
        Assert.Equal("inverse_hessian_fd", summary["uncertainty"]!["method"]!.GetValue<string>());
        var rows = summary["parameters"]!.AsArray();
        Assert.Equal(15, rows.Count);
        foreach (var row in rows)
        {
            double error = row!["error"]!.GetValue<double>(), sigma = row["sigma"]!.GetValue<double>();
            Assert.True(sigma > 0 && Math.Abs(error) < 3 * sigma, $"{row["name"]}: error {error:E2}, σ {sigma:E2}");
        }
        var separation = rows.Single(x => x!["name"]!.GetValue<string>() == "binary.separation_as")!;
        Assert.True(separation["sigma"]!.GetValue<double>() < 1e-4, "separation σ should be tens of µas at testbed flux");
        var meta = RunArtifacts.LoadMeta(tmp.Combine("qs"));
        Assert.Equal("simulate", meta["objective"]!["data"]!["source"]!.GetValue<string>());
        Assert.Equal(11, meta["objective"]!["data"]!["seed"]!.GetValue<int>());

        // σᵢ = √(H⁻¹)ᵢᵢ of the saved Hessian, inverted independently by numpy (σ from 1/√Hᵢᵢ fails here).
        PythonNumpy.RequireOrSkip();
        string sigmas = PythonNumpy.Run($$"""
            import numpy as np
            H = np.load({{Dluxshera.Json(tmp.Combine("qs", "fisher.npz"))}})['hessian']
            print(' '.join(repr(float(s)) for s in np.sqrt(np.diag(np.linalg.inv(H)))))
            """);
        var expected = sigmas.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(v => double.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(rows.Count, expected.Length);
        for (int i = 0; i < rows.Count; i++)
        {
            double sigma = rows[i]!["sigma"]!.GetValue<double>();
            Assert.True(Math.Abs(sigma - expected[i]) <= 1e-6 * expected[i], $"{rows[i]!["name"]}: σ {sigma:R}, numpy √(H⁻¹)ᵢᵢ {expected[i]:R}");
        }
    }

    [Fact]
    public void Hessian_that_is_not_positive_definite_gives_no_sigma_and_says_why()
    {
        // Rosenbrock at (0, 1): H = [[2 − 400(y − 3x²), −400x], [−400x, 200]] = [[−398, 0], [0, 200]].
        using var tmp = RepoPaths.Temp();
        var r = Dluxshera.Invoke("run", RepoPaths.Example("rosenbrock-gd.json"), "--quiet", "--out", tmp.Path, "--plugins", RepoPaths.PluginsJson,
            "--set", "run.id=npd", "--set", "run.uncertainty=true", "--set", "optimizer.options.num_steps=0",
            "--set", "objective.options={\"dimension\":2,\"start\":[0,1]}");
        Assert.True(r.ExitCode == 0, r.ToString());
        string dir = tmp.Combine("npd");
        var summary = RunArtifacts.LoadSummary(dir);
        Assert.Contains("not positive definite", summary["uncertainty"]!["message"]!.GetValue<string>());
        Assert.All(summary["parameters"]!.AsArray(), row => Assert.Null(row!["sigma"]));
        var h = new FilesystemRunReader(dir).LoadArrays("fisher.npz")!["hessian"].ToDoubles();
        double[] analytic = [-398, 0, 0, 200];
        for (int i = 0; i < 4; i++) Assert.True(Math.Abs(h[i] - analytic[i]) <= 1e-5 * 400, $"H[{i}] = {h[i]}, analytic {analytic[i]}");
    }

    [SkippableFact]
    public void Best_checkpoint_holds_the_best_point_when_the_run_ends_elsewhere()
    {
        // Heavy-ball momentum (β = 0.9, lr = 0.5) on x²/2 spirals in: the loss is smallest at step 6
        // (|x| = 0.027) and 124 times larger at step 20, so best and final differ.
        using var tmp = RepoPaths.Temp();
        string spec = tmp.Combine("spiral.json");
        File.WriteAllText(spec, """
            {
              "run": { "id": "spiral" },
              "objective": { "name": "quadratic", "options": { "dimension": 1 } },
              "optimizer": { "name": "momentum", "options": { "num_steps": 20, "learning_rate": 0.5, "momentum": 0.9 } }
            }
            """);
        var r = Dluxshera.Invoke("run", spec, "--quiet", "--out", tmp.Path, "--plugins", RepoPaths.PluginsJson);
        Assert.True(r.ExitCode == 0, r.ToString());
        string dir = tmp.Combine("spiral");
        var summary = RunArtifacts.LoadSummary(dir);
        Assert.Equal(6, summary["best_step"]!.GetValue<int>());
        var best = RunArtifacts.LoadCheckpoint(dir, "best")!;
        var final = RunArtifacts.LoadCheckpoint(dir, "final")!;
        Assert.Equal(6, best.Step);
        Assert.Equal(20, final.Step);
        // The recurrence f ← g + βf, x ← x − lr·f from x₀ = 1, written out.
        double x = 1, f = 0, x6 = double.NaN;
        for (int k = 1; k <= 20; k++)
        {
            f = x + 0.9 * f;
            x -= 0.5 * f;
            if (k == 6) x6 = x;
        }
        Assert.Equal(x6, best.Theta[0], 14);
        Assert.Equal(x, final.Theta[0], 14);
        Assert.Equal(0.5 * x6 * x6, summary["loss_best"]!.GetValue<double>(), 15);

        PythonNumpy.RequireOrSkip();
        Assert.Equal("ok", PythonNumpy.Run($$"""
            import numpy as np, json, os
            d = {{Dluxshera.Json(dir)}}
            s = json.load(open(os.path.join(d, 'summary.json')))
            t = np.load(os.path.join(d, 'trace.npz'))
            b = np.load(os.path.join(d, 'checkpoint_best.npz'))
            f = np.load(os.path.join(d, 'checkpoint_final.npz'))
            k = int(t['loss'].argmin())
            assert k == s['best_step'] and k != len(t['loss']) - 1
            assert (b['theta_best'] == t['theta'][k]).all(), (b['theta_best'], t['theta'][k])
            assert not (b['theta_best'] == t['theta'][-1]).all()
            print('ok')
            """).Trim());
    }

    [Fact]
    public void Simulated_data_written_by_simulate_fit_to_the_same_result_from_the_file()
    {
        using var tmp = RepoPaths.Temp();
        var sim = Dluxshera.Invoke("simulate", RepoPaths.Example("shera-testbed-2p.json"), "--out", tmp.Combine("sim"), "--plugins", RepoPaths.PluginsJson);
        Assert.True(sim.ExitCode == 0, sim.ToString());
        var truth = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(tmp.Combine("sim", "truth.json")))!;
        Assert.Equal(10.00005, truth["truth"]!["binary.separation_as"]!.GetValue<double>());
        Assert.Equal(11, truth["data"]!["seed"]!.GetValue<int>());
        string[] common = ["--quiet", "--out", tmp.Path, "--plugins", RepoPaths.PluginsJson, "--set", "optimizer.options.num_steps=3"];
        Assert.Equal(0, Dluxshera.Invoke(["run", RepoPaths.Example("shera-testbed-2p.json"), .. common, "--set", "run.id=a", "--set", "run.uncertainty=false"]).ExitCode);
        Assert.Equal(0, Dluxshera.Invoke(["run", RepoPaths.Example("shera-testbed-2p.json"), .. common, "--set", "run.id=b", "--set", "run.uncertainty=false",
            "--set", $"objective.options.data={{\"source\":\"file\",\"path\":{Dluxshera.Json(tmp.Combine("sim", "data.npz"))}}}"]).ExitCode);
        Assert.Equal(RunArtifacts.LoadTrace(tmp.Combine("a")).Loss, RunArtifacts.LoadTrace(tmp.Combine("b")).Loss);
        Assert.Equal("file", RunArtifacts.LoadMeta(tmp.Combine("b"))["objective"]!["data"]!["source"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("png")]
    [InlineData("svg")]
    public void Plot_rebuilds_signals_and_figures_from_a_run_directory_copied_elsewhere(string format)
    {
        using var tmp = RepoPaths.Temp();
        var r = Dluxshera.Invoke("run", RepoPaths.Example("quickstart.json"), "--quiet", "--out", tmp.Path, "--plugins", RepoPaths.PluginsJson,
            "--set", "run.id=src", "--set", "run.uncertainty=false", "--set", "optimizer.options.num_steps=5");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.True(RunArtifacts.LoadSummary(tmp.Combine("src"))["has_signals"]!.GetValue<bool>());
        Assert.True(File.Exists(tmp.Combine("src", "figures", "signals_grid.png")));

        // Copy only the artifacts (no figures, no signals) to another place and rebuild them there.
        string copy = tmp.Combine("elsewhere", "copy");
        Directory.CreateDirectory(copy);
        foreach (string f in new[] { "trace.npz", "meta.json", "summary.json" }) File.Copy(tmp.Combine("src", f), Path.Combine(copy, f));
        var plot = Dluxshera.Invoke("plot", copy, "--format", format, "--plugins", RepoPaths.PluginsJson);
        Assert.True(plot.ExitCode == 0, plot.ToString());
        Assert.True(File.Exists(Path.Combine(copy, "signals.npz")));
        Assert.Contains(Directory.GetFiles(Path.Combine(copy, "figures")), f => f.EndsWith($"separation_error.{format}"));
        var signals = new FilesystemRunReader(copy).LoadArrays("signals.npz")!;
        Assert.Equal([6], signals["binary.separation_error_uas"].Shape);
        Assert.True(signals.ContainsKey("_signals_meta_json"));
        Assert.True(RunArtifacts.LoadSummary(copy)["has_signals"]!.GetValue<bool>());
    }

    [Fact]
    public void Simulate_refuses_an_objective_that_does_not_simulate()
    {
        using var tmp = RepoPaths.Temp();
        var r = Dluxshera.Invoke("simulate", RepoPaths.Example("rosenbrock-gd.json"), "--out", tmp.Path, "--plugins", RepoPaths.PluginsJson);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("objective 'rosenbrock' does not simulate data", r.Stderr);
    }

    [SkippableFact]
    public void Numpy_reads_every_artifact_of_a_host_run()
    {
        using var tmp = RepoPaths.Temp();
        var r = Dluxshera.Invoke("run", RepoPaths.Example("rosenbrock-adam.json"), "--quiet", "--out", tmp.Path, "--plugins", RepoPaths.PluginsJson,
            "--set", "run.id=np", "--set", "run.gradients_every=100", "--set", "run.diagnostics_every=100");
        Assert.True(r.ExitCode == 0, r.ToString());
        string script = $$"""
            import numpy as np, json, glob, os, hashlib
            d = {{Dluxshera.Json(tmp.Combine("np"))}}
            meta = json.load(open(os.path.join(d, 'meta.json')))
            summary = json.load(open(os.path.join(d, 'summary.json')))
            D = meta['theta']['dim']
            t = np.load(os.path.join(d, 'trace.npz'))
            T = t['loss'].shape[0]
            assert t['theta'].shape == (T, D) and T == summary['num_steps_completed'] + 1
            for k in ['grad_norm', 'step_norm', 'base_lr']: assert t[k].shape == (T,) and t[k].dtype == np.float64
            assert t['accepted'].dtype == np.bool_ and t['accepted'].all()
            assert abs(t['loss'].min() - summary['loss_best']) == 0 and int(t['loss'].argmin()) == summary['best_step']
            b = np.load(os.path.join(d, 'checkpoint_best.npz'))
            assert (b['theta_best'] == t['theta'][summary['best_step']]).all()
            g = np.load(os.path.join(d, 'grads.npz'))
            assert g['grad'].shape == (len(g['step']), D)
            for f in glob.glob(os.path.join(d, '*.npz')): np.load(f)
            for m in meta['manifest']:
                data = open(os.path.join(d, m['file']), 'rb').read()
                assert len(data) == m['bytes'] and hashlib.sha256(data).hexdigest() == m['sha256'], m['file']
            lines = [json.loads(l) for l in open(os.path.join(d, 'diag_steps.jsonl'))]
            assert [l['step'] for l in lines] == list(range(0, T, 100))
            print('ok')
            """;
        Assert.Equal("ok", PythonNumpy.Run(script).Trim());
    }

    [Fact]
    public void Inspect_of_a_corrupt_trace_exits_2_naming_the_file()
    {
        using var tmp = RepoPaths.Temp();
        Assert.Equal(0, Dluxshera.Invoke("run", RepoPaths.Example("rosenbrock-adam.json"), "--quiet", "--out", tmp.Path, "--plugins", RepoPaths.PluginsJson, "--set", "run.id=c").ExitCode);
        string trace = tmp.Combine("c", "trace.npz");
        var bytes = File.ReadAllBytes(trace);
        File.WriteAllBytes(trace, bytes[..(bytes.Length / 3)]);
        var r = Dluxshera.Invoke("inspect", tmp.Combine("c"));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(trace, r.Stderr);
    }

    [Theory]
    [InlineData("loss", "non_finite_loss")]
    [InlineData("gradient", "non_finite_gradient")]
    public void Non_finite_objective_fails_the_run_honestly_and_keeps_the_last_good_point(string part, string reason)
    {
        using var tmp = RepoPaths.Temp();
        string spec = tmp.Combine("nan.json");
        File.WriteAllText(spec, $$"""
            {
              "run": { "id": "nan" },
              "objective": { "name": "nan_after", "options": { "dimension": 3, "evaluations": 5, "part": "{{part}}" } },
              "optimizer": { "name": "gd", "options": { "num_steps": 50, "learning_rate": 0.1 } }
            }
            """);
        var r = Dluxshera.Invoke("run", spec, "--out", tmp.Path, "--plugins", RepoPaths.PluginsJson);
        Assert.True(r.ExitCode == 1, r.ToString());
        string dir = tmp.Combine("nan");
        var summary = RunArtifacts.LoadSummary(dir);
        Assert.Equal("failed", summary["status"]!.GetValue<string>());
        Assert.Equal(reason, summary["stop_reason"]!.GetValue<string>());
        Assert.Equal(4, summary["num_steps_completed"]!.GetValue<int>());
        var trace = RunArtifacts.LoadTrace(dir);
        Assert.Equal(5, trace.Steps);
        var final = RunArtifacts.LoadCheckpoint(dir, "final")!;
        Assert.Equal(4, final.Step);
        Assert.Equal(trace.ThetaAt(4).ToArray(), final.Theta);
        Assert.All(final.Theta, x => Assert.True(double.IsFinite(x)));
    }

    [Fact]
    public void Existing_run_id_is_refused_without_overwrite()
    {
        using var tmp = RepoPaths.Temp();
        string[] args = ["run", RepoPaths.Example("rosenbrock-adam.json"), "--quiet", "--out", tmp.Path, "--plugins", RepoPaths.PluginsJson, "--set", "run.id=twice"];
        Assert.Equal(0, Dluxshera.Invoke(args).ExitCode);
        var again = Dluxshera.Invoke(args);
        Assert.Equal(2, again.ExitCode);
        Assert.Contains("already exists", again.Stderr);
        Assert.Equal(0, Dluxshera.Invoke([.. args, "--overwrite"]).ExitCode);
    }

    [Fact]
    public void Gradients_and_diagnostics_are_recorded_when_asked()
    {
        using var tmp = RepoPaths.Temp();
        var r = Dluxshera.Invoke("run", RepoPaths.Example("rosenbrock-adam.json"), "--quiet", "--out", tmp.Path, "--plugins", RepoPaths.PluginsJson,
            "--set", "run.id=g", "--set", "run.gradients_every=1000", "--set", "run.diagnostics_every=500");
        Assert.True(r.ExitCode == 0, r.ToString());
        string dir = tmp.Combine("g");
        var grads = new FilesystemRunReader(dir).LoadArrays("grads.npz")!;
        Assert.Equal(new long[] { 0, 1000, 2000, 3000, 4000, 5000 }, (long[])grads["step"].Data);
        Assert.Equal([6, 2], grads["grad"].Shape);
        Assert.Equal(11, File.ReadAllLines(Path.Combine(dir, "diag_steps.jsonl")).Length);
        Assert.True(RunArtifacts.LoadSummary(dir)["has_grads"]!.GetValue<bool>());
    }

    [Fact]
    public void Third_party_plugin_builds_against_the_contracts_alone_and_runs_through_the_host()
    {
        using var tmp = RepoPaths.Temp();
        // Copy the sample out of the repository, as a third party's own project would live elsewhere.
        string sample = Path.Combine(RepoPaths.Root, "docs", "examples", "third-party-plugin");
        string source = tmp.Combine("src");
        Directory.CreateDirectory(source);
        foreach (string f in Directory.GetFiles(sample).Where(f => f.EndsWith(".cs") || f.EndsWith(".csproj") || f.EndsWith(".props") || f.EndsWith(".json")))
        {
            File.Copy(f, Path.Combine(source, Path.GetFileName(f)));
        }
        string output = tmp.Combine("plugin");
        string contracts = typeof(DluxShera.Contracts.IDluxSheraPlugin).Assembly.Location;
        var build = Process(source, "dotnet", "build", "SignGradientDescent.csproj", "-nologo", "-v", "q",
            $"-p:DluxSheraContracts={contracts}", $"-p:OutputPath={output}/");
        Assert.True(build.ExitCode == 0, build.ToString());
        Assert.False(File.Exists(Path.Combine(output, "DluxShera.Contracts.dll")), "the contracts must come from the host");

        string plugins = Dluxshera.PluginsFile(tmp.Path, $$"""    { "id": "sign-gd", "path": {{Dluxshera.Json(Path.Combine(output, "SignGradientDescent.dll"))}} }""");
        string host = typeof(DluxShera.Host.Workbench).Assembly.Location;
        var run = Process(tmp.Path, "dotnet", host, "run", Path.Combine(source, "run.json"), "--plugins", plugins, "--out", tmp.Combine("runs"), "--set", "run.id=tp");
        Assert.True(run.ExitCode == 0, run.ToString());
        var summary = RunArtifacts.LoadSummary(tmp.Combine("runs", "tp"));
        Assert.Equal("ok", summary["status"]!.GetValue<string>());
        Assert.True(summary["loss_best"]!.GetValue<double>() < 1e-6);
        var optimizer = RunArtifacts.LoadMeta(tmp.Combine("runs", "tp"))["optimizer"]!;
        Assert.Equal("sign_gd", optimizer["name"]!.GetValue<string>());
        // Its Describe() nests a dictionary: meta.json keeps it an object (it used to be a list of "[key, value]" strings).
        Assert.Equal("""{"kind":"exponential_decay","decay":0.98}""", optimizer["schedule"]!.ToJsonString());
        // The engine never appends diagnostics; the host writes them from its rows (run.json: diagnostics_every 50).
        var steps = File.ReadAllLines(tmp.Combine("runs", "tp", "diag_steps.jsonl")).Select(l => System.Text.Json.Nodes.JsonNode.Parse(l)!["step"]!.GetValue<int>());
        Assert.Equal(Enumerable.Range(0, 9).Select(k => 50 * k), steps);
    }

    private static Dluxshera.Result Process(string workingDirectory, string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = workingDirectory };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        string stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return new Dluxshera.Result(p.ExitCode, stdout.Result, stderr);
    }
}
