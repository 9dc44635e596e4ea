using System.Text.Json.Nodes;
using DluxShera.Artifacts;
using DluxShera.Host.Cli;
using Xunit;

namespace DluxShera.Tests;

/// <summary>Hostile input and rule-breaking plugins: one line, the right exit code, nothing lost (issue 10).</summary>
public class HardeningTests
{
    private static string HostilePlugins(TempDirectory tmp) =>
        Dluxshera.PluginsFile(tmp.Path, $$"""    { "id": "hostile", "path": {{Dluxshera.Json(RepoPaths.TestPlugin("HostilePlugin"))}} }""");

    private static string Spec(TempDirectory tmp, string objectiveOptions, string engineMode, string id = "h", string extraRun = "")
    {
        string spec = tmp.Combine($"{id}.json");
        File.WriteAllText(spec, $$"""
            {
              "run": { "id": "{{id}}", "figures": false {{extraRun}} },
              "objective": { "name": "hostile", "options": { {{objectiveOptions}} } },
              "optimizer": { "name": "hostile", "options": { "mode": "{{engineMode}}" } }
            }
            """);
        return spec;
    }

    private static void AssertOneLine(Dluxshera.Result r)
    {
        Assert.DoesNotContain("   at ", r.Stderr);
        Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Theory]
    [InlineData("run")]
    [InlineData("simulate")]
    [InlineData("plot")]
    [InlineData("inspect")]
    [InlineData("aggregate")]
    [InlineData("list")]
    public void An_unexpected_error_in_any_command_is_one_line_with_a_crash_log_and_exit_70(string command)
    {
        using var tmp = RepoPaths.Temp();
        string[] args = command switch
        {
            "run" => ["run", "spec.json"],
            "simulate" => ["simulate", "spec.json"],
            "plot" => ["plot", tmp.Path],
            "inspect" => ["inspect", tmp.Path],
            "aggregate" => ["experiment", "aggregate", tmp.Path],
            _ => ["plugins", "list"],
        };
        CommandLine.InjectedFault.Value = (command, new InvalidCastException("injected defect"));
        try
        {
            var r = Dluxshera.Invoke(args);
            Assert.True(r.ExitCode == 70, r.ToString());
            AssertOneLine(r);
            Assert.Contains("internal error (InvalidCastException: injected defect)", r.Stderr);
            string log = r.Stderr.Split("details in ")[1].Split(" — ")[0].Trim();
            try
            {
                string text = File.ReadAllText(log);
                Assert.Contains("System.InvalidCastException: injected defect", text);
                Assert.Contains("   at ", text);
                Assert.Contains($"command     dluxshera {string.Join(' ', args.Take(2))}", text);
            }
            finally
            {
                File.Delete(log);
            }
        }
        finally
        {
            CommandLine.InjectedFault.Value = null;
        }
    }

    [Fact]
    public void A_component_factory_defect_is_exit_70_not_a_stack_trace()
    {
        using var tmp = RepoPaths.Temp();
        var r = Dluxshera.Invoke("run", Spec(tmp, "\"factory_throws\": true", "honest"), "--out", tmp.Path, "--plugins", HostilePlugins(tmp));
        Assert.True(r.ExitCode == 70, r.ToString());
        AssertOneLine(r);
        Assert.Contains("NullReferenceException: factory defect", r.Stderr);
        File.Delete(r.Stderr.Split("details in ")[1].Split(" — ")[0].Trim());
    }

    [Theory]
    [InlineData("wrong_length", "optimizer:hostile returned best θ of length 3; expected D = 2")]
    [InlineData("null", "optimizer:hostile returned no result (null)")]
    [InlineData("step_order", "optimizer:hostile recorded step 1 after step 2")]
    public void An_engine_result_that_breaks_the_contract_is_a_failed_run_naming_the_engine(string mode, string message)
    {
        using var tmp = RepoPaths.Temp();
        var r = Dluxshera.Invoke("run", Spec(tmp, "", mode), "--out", tmp.Path, "--plugins", HostilePlugins(tmp), "--quiet");
        Assert.True(r.ExitCode == 1, r.ToString());
        string dir = tmp.Combine("h");
        var summary = RunArtifacts.LoadSummary(dir);
        Assert.Equal("failed", summary["status"]!.GetValue<string>());
        Assert.Equal("error", summary["stop_reason"]!.GetValue<string>());
        Assert.StartsWith(message, summary["message"]!.GetValue<string>());
        // The rows the engine streamed are kept, and the best point is the host's own observation.
        Assert.Equal(6, RunArtifacts.LoadTrace(dir).Steps);
        Assert.Equal(2, RunArtifacts.LoadCheckpoint(dir, "best")!.Theta.Length);
    }

    [Fact]
    public void An_engine_that_records_a_nan_loss_and_reports_ok_fails_the_run()
    {
        using var tmp = RepoPaths.Temp();
        var r = Dluxshera.Invoke("run", Spec(tmp, "", "nan_ok"), "--out", tmp.Path, "--plugins", HostilePlugins(tmp), "--quiet");
        Assert.True(r.ExitCode == 1, r.ToString());
        var summary = RunArtifacts.LoadSummary(tmp.Combine("h"));
        Assert.Equal("failed", summary["status"]!.GetValue<string>());
        Assert.Equal("non_finite_loss", summary["stop_reason"]!.GetValue<string>());
        Assert.Contains("non-finite loss at step 2", summary["message"]!.GetValue<string>());
    }

    [Fact]
    public void An_objective_exception_names_the_objective_not_the_engine()
    {
        using var tmp = RepoPaths.Temp();
        var r = Dluxshera.Invoke("run", Spec(tmp, "\"throw_after\": 3", "honest"), "--out", tmp.Path, "--plugins", HostilePlugins(tmp), "--quiet");
        Assert.True(r.ExitCode == 1, r.ToString());
        var summary = RunArtifacts.LoadSummary(tmp.Combine("h"));
        string message = summary["message"]!.GetValue<string>();
        Assert.StartsWith("objective:hostile threw NullReferenceException", message);
        Assert.Equal(3, RunArtifacts.LoadTrace(tmp.Combine("h")).Steps);
        File.Delete(message.Split("details in ")[1].TrimEnd(')'));
    }

    [Fact]
    public void A_nan_starting_point_is_bad_input_naming_the_parameter()
    {
        using var tmp = RepoPaths.Temp();
        var r = Dluxshera.Invoke("run", Spec(tmp, "\"start_nan\": true, \"dimension\": 3, \"parameter_name\": \"offset\"", "honest"), "--out", tmp.Path, "--plugins", HostilePlugins(tmp));
        Assert.True(r.ExitCode == 2, r.ToString());
        AssertOneLine(r);
        Assert.Contains("objective:hostile: the starting point has NaN at θ index 2 (offset[2])", r.Stderr);
        Assert.False(Directory.Exists(tmp.Combine("h")));
    }

    [Fact]
    public void Plot_and_run_sanitise_parameter_names_with_path_separators_the_same_way()
    {
        using var tmp = RepoPaths.Temp();
        string plugins = HostilePlugins(tmp);
        string spec = Spec(tmp, "\"parameter_name\": \"a/b\"", "honest");
        File.WriteAllText(spec, File.ReadAllText(spec).Replace("\"figures\": false", "\"figures\": true"));
        var r = Dluxshera.Invoke("run", spec, "--out", tmp.Path, "--plugins", plugins, "--quiet");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.DoesNotContain("warning", r.Stderr);
        var plot = Dluxshera.Invoke("plot", tmp.Combine("h"), "--plugins", plugins);
        Assert.True(plot.ExitCode == 0, plot.ToString());
        var signals = DluxShera.Numpy.NpzFile.Load(tmp.Combine("h", "signals.npz"));
        Assert.Contains("a_b", signals.Keys);
    }

    [Fact]
    public void Out_under_a_regular_file_is_bad_input_naming_the_path_for_run_and_simulate()
    {
        using var tmp = RepoPaths.Temp();
        string file = tmp.Combine("plain.txt");
        File.WriteAllText(file, "x");
        string bad = Path.Combine(file, "runs");
        var run = Dluxshera.Invoke("run", RepoPaths.Example("rosenbrock-gd.json"), "--out", bad, "--plugins", RepoPaths.PluginsJson);
        Assert.True(run.ExitCode == 2, run.ToString());
        AssertOneLine(run);
        Assert.Contains($"--out {bad}: cannot write there", run.Stderr);
        var sim = Dluxshera.Invoke("simulate", RepoPaths.Example("quickstart.json"), "--out", bad, "--plugins", RepoPaths.PluginsJson);
        Assert.True(sim.ExitCode == 2, sim.ToString());
        AssertOneLine(sim);
        Assert.Contains($"simulate --out {bad}: cannot write there", sim.Stderr);
    }

    [Theory]
    [InlineData("~")]
    [InlineData("-rf")]
    [InlineData(".hidden")]
    [InlineData("a b")]
    public void Run_ids_outside_the_stated_rule_are_refused_with_the_rule(string id)
    {
        using var tmp = RepoPaths.Temp();
        var r = Dluxshera.Invoke("run", RepoPaths.Example("rosenbrock-gd.json"), "--out", tmp.Path, "--plugins", RepoPaths.PluginsJson, "--set", $"run.id={id}");
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Contains(RunIds.Rule, r.Stderr);
        Assert.Empty(Directory.GetFileSystemEntries(tmp.Path));
    }

    [Fact]
    public void Simulate_refuses_to_overwrite_data_without_overwrite()
    {
        using var tmp = RepoPaths.Temp();
        string[] args = ["simulate", RepoPaths.Example("quickstart.json"), "--out", tmp.Path, "--plugins", RepoPaths.PluginsJson];
        Assert.Equal(0, Dluxshera.Invoke(args).ExitCode);
        var again = Dluxshera.Invoke(args);
        Assert.True(again.ExitCode == 2, again.ToString());
        Assert.Contains("data.npz already exists; pass --overwrite", again.Stderr);
        Assert.Equal(0, Dluxshera.Invoke([.. args, "--overwrite"]).ExitCode);
    }

    [Fact]
    public void Spec_errors_of_several_components_are_reported_at_once()
    {
        using var tmp = RepoPaths.Temp();
        var r = Dluxshera.Invoke("run", RepoPaths.Example("rosenbrock-gd.json"), "--out", tmp.Path, "--plugins", RepoPaths.PluginsJson,
            "--set", "objective.options.dimension=0", "--set", "optimizer.options.no_such_key=1");
        Assert.True(r.ExitCode == 2, r.ToString());
        AssertOneLine(r);
        Assert.Contains("2 problems", r.Stderr);
        Assert.Contains("objective.options.dimension", r.Stderr);
        Assert.Contains("no_such_key", r.Stderr);
    }

    [Fact]
    public void Problems_in_the_spec_s_own_keys_and_in_every_component_are_reported_together()
    {
        using var tmp = RepoPaths.Temp();
        var r = Dluxshera.Invoke("run", RepoPaths.Example("rosenbrock-gd.json"), "--out", tmp.Path, "--plugins", RepoPaths.PluginsJson,
            "--set", "run.figures=maybe", "--set", "theta_map=7", "--set", "objective.options.dimension=0", "--set", "optimizer.options.no_such_key=1");
        Assert.True(r.ExitCode == 2, r.ToString());
        AssertOneLine(r);
        Assert.Contains($"{RepoPaths.Example("rosenbrock-gd.json")}: 4 problems: (1) ", r.Stderr);
        Assert.Contains("run.figures: expected true or false, got the string \"maybe\". (from --set run.figures=maybe)", r.Stderr);
        Assert.Contains("theta_map: expected an object, got the number 7. (from --set theta_map=7)", r.Stderr);
        Assert.Contains("objective.options.dimension: must be at least 2, got 0. (from --set objective.options.dimension=0)", r.Stderr);
        Assert.Contains("optimizer.options.no_such_key: unknown key", r.Stderr);
        Assert.Empty(Directory.GetFileSystemEntries(tmp.Path));
    }

    [Fact]
    public void A_block_of_the_wrong_type_is_one_problem_not_a_second_name_required()
    {
        using var tmp = RepoPaths.Temp();
        var r = Dluxshera.Invoke("run", RepoPaths.Example("rosenbrock-gd.json"), "--out", tmp.Path, "--plugins", RepoPaths.PluginsJson,
            "--set", "optimizer=[1]", "--set", "run.seed=-1");
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Contains("2 problems", r.Stderr);
        Assert.Contains("optimizer: expected a component name or an object", r.Stderr);
        Assert.Contains("run.seed: expected a non-negative integer, got the number -1", r.Stderr);
        Assert.DoesNotContain("optimizer.name: required", r.Stderr);
    }

    [Fact]
    public void A_set_value_in_an_error_is_echoed_as_typed_and_blamed_on_the_set()
    {
        using var tmp = RepoPaths.Temp();
        var r = Dluxshera.Invoke("run", RepoPaths.Example("rosenbrock-gd.json"), "--out", tmp.Path, "--plugins", RepoPaths.PluginsJson,
            "--set", "optimizer.options.learning_rate=\"<1e-3> é\"");
        Assert.True(r.ExitCode == 2, r.ToString());
        AssertOneLine(r);
        Assert.DoesNotContain("\\u00", r.Stderr);
        Assert.Contains("optimizer.options.learning_rate: expected a number, got the string \"<1e-3> é\". (from --set optimizer.options.learning_rate=\"<1e-3> é\")", r.Stderr);
    }

    [Fact]
    public void A_run_too_large_for_memory_is_refused_with_the_estimate_before_anything_is_allocated()
    {
        using var tmp = RepoPaths.Temp();
        // HostileObjective throws if asked for a start this large: a run that got that far had not checked memory first.
        var r = Dluxshera.Invoke("run", Spec(tmp, "\"dimension\": 2000000000", "honest"), "--out", tmp.Path, "--plugins", HostilePlugins(tmp));
        Assert.True(r.ExitCode == 2, r.ToString());
        AssertOneLine(r);
        // 15 θ-sized float64 vectors (3 of the host, 12 assumed for the engine) of D = 2e9: 240 GB ≈ 223.5 GiB.
        Assert.Contains("objective:hostile has D = 2,000,000,000 parameters; the run needs about 223.5 GiB of memory but", r.Stderr);
        Assert.Contains("Reduce the dimension or run on a machine with more memory.", r.Stderr);
        Assert.False(Directory.Exists(tmp.Combine("h")));
    }

    [Theory]
    [InlineData("same_entry_id")]
    [InlineData("same_plugin_from_two_copies")]
    public void Duplicate_plugin_ids_are_refused_naming_both(string how)
    {
        using var tmp = RepoPaths.Temp();
        string hostile = RepoPaths.TestPlugin("HostilePlugin");
        string second;
        if (how == "same_entry_id")
        {
            second = $$"""    { "id": "hostile", "path": {{Dluxshera.Json(RepoPaths.TestPlugin("ThrowingPlugin"))}} }""";
        }
        else
        {
            // A second copy of the same assembly under another entry id: the plugin's own id is then loaded twice.
            string copy = Directory.CreateDirectory(tmp.Combine("copy")).FullName;
            foreach (string f in Directory.GetFiles(Path.GetDirectoryName(hostile)!)) File.Copy(f, Path.Combine(copy, Path.GetFileName(f)));
            second = $$"""    { "id": "hostile-again", "path": {{Dluxshera.Json(Path.Combine(copy, "HostilePlugin.dll"))}} }""";
        }
        string plugins = Dluxshera.PluginsFile(tmp.Path, $$"""    { "id": "hostile", "path": {{Dluxshera.Json(hostile)}} }""", second);
        var r = Dluxshera.Invoke("plugins", "list", "--plugins", plugins);
        Assert.True(r.ExitCode == 2, r.ToString());
        AssertOneLine(r);
        Assert.Contains(plugins, r.Stderr);
        Assert.Contains(how == "same_entry_id"
            ? "plugins[7].id: 'hostile' is already the id of plugins[6]; plugin ids must be unique"
            : "plugin id 'test.hostile' is loaded twice", r.Stderr);
    }

    [Fact]
    public void A_run_that_fails_before_its_first_step_still_gets_figures_and_a_complete_manifest()
    {
        using var tmp = RepoPaths.Temp();
        string spec = Spec(tmp, "\"throw_after\": 0", "honest");
        File.WriteAllText(spec, File.ReadAllText(spec).Replace("\"figures\": false", "\"figures\": true"));
        var r = Dluxshera.Invoke("run", spec, "--out", tmp.Path, "--plugins", HostilePlugins(tmp), "--quiet");
        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.DoesNotContain("warning", r.Stderr);
        string dir = tmp.Combine("h");
        var meta = RunArtifacts.LoadMeta(dir);
        var files = meta["manifest"]!.AsArray().Select(f => f!["file"]!.GetValue<string>()).ToList();
        Assert.Contains("signals.npz", files);
        Assert.Equal(0, RunArtifacts.LoadTrace(dir).Steps);
        string message = RunArtifacts.LoadSummary(dir)["message"]!.GetValue<string>();
        File.Delete(message.Split("details in ")[1].TrimEnd(')'));
    }

    [Theory]
    [InlineData("image", "nan", "array 'image' has NaN at [3, 7] (the first bad pixel)")]
    [InlineData("variance", "zero", "array 'variance' has 0 (a variance must be positive) at [3, 7]")]
    [InlineData("variance", "negative", "array 'variance' has -1 (a variance must be positive) at [3, 7]")]
    [InlineData("image", "flat", "array 'image' has shape (4096,); expected (64, 64) for this model's detector")]
    public void A_bad_data_file_is_bad_input_naming_the_file_the_array_and_the_first_bad_pixel(string array, string fault, string message)
    {
        using var tmp = RepoPaths.Temp();
        var sim = Dluxshera.Invoke("simulate", RepoPaths.Example("shera-testbed-2p.json"), "--out", tmp.Path, "--plugins", RepoPaths.PluginsJson);
        Assert.True(sim.ExitCode == 0, sim.ToString());
        string data = tmp.Combine("data.npz");
        var arrays = DluxShera.Numpy.NpzFile.Load(data);
        var a = arrays[array];
        int n = a.Shape[1];
        var values = a.ToDoubles();
        values[3 * n + 7] = fault switch { "nan" => double.NaN, "zero" => 0.0, "negative" => -1.0, _ => values[3 * n + 7] };
        arrays[array] = fault == "flat" ? DluxShera.Contracts.NdArray.Vector(values) : new DluxShera.Contracts.NdArray(values, a.Shape);
        DluxShera.Numpy.NpzFile.Save(data, arrays);
        var r = Dluxshera.Invoke("run", RepoPaths.Example("shera-testbed-2p.json"), "--out", tmp.Path, "--plugins", RepoPaths.PluginsJson,
            "--set", $"objective.options.data={{\"source\":\"file\",\"path\":{Dluxshera.Json(data)}}}");
        Assert.True(r.ExitCode == 2, r.ToString());
        AssertOneLine(r);
        Assert.Contains($"{data}: {message}", r.Stderr);
    }
}
