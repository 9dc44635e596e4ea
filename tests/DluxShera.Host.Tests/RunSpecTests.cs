using System.Text.Json.Nodes;
using DluxShera.Artifacts;
using Xunit;

namespace DluxShera.Tests;

public class RunSpecTests
{
    private static string WriteSpec(TempDirectory tmp, string json)
    {
        string path = tmp.Combine("spec.json");
        File.WriteAllText(path, json);
        return path;
    }

    [Fact]
    public void Precedence_is_set_over_spec_over_preset_over_defaults()
    {
        using var tmp = RepoPaths.Temp();
        // Preset ill_conditioned: dimension 20, condition 1e6. Spec: dimension 5. --set: dimension 7.
        // Defaults: start 1.0 (untouched by preset, spec and --set).
        string spec = WriteSpec(tmp, """
            {
              "run": { "id": "precedence" },
              "objective": { "name": "quadratic", "preset": "ill_conditioned", "options": { "dimension": 5 } },
              "optimizer": { "name": "gd", "options": { "num_steps": 3, "learning_rate": 1e-7 } }
            }
            """);
        var r = Dluxshera.Invoke("run", spec, "--quiet", "--out", tmp.Path, "--plugins", RepoPaths.PluginsJson,
            "--set", "objective.options.dimension=7");
        Assert.True(r.ExitCode == 0, r.ToString());
        var meta = RunArtifacts.LoadMeta(tmp.Combine("precedence"));
        var options = meta["objective"]!["options"]!;
        Assert.Equal(7, options["dimension"]!.GetValue<int>());
        Assert.Equal(1e6, options["condition"]!.GetValue<double>());
        Assert.Equal(1.0, options["start"]!.GetValue<double>());
        Assert.Equal(7, meta["theta"]!["dim"]!.GetValue<int>());
        Assert.Equal("objective.options.dimension=7", meta["run"]!["overrides"]![0]!.GetValue<string>());
    }

    [Fact]
    public void Set_with_a_wrong_type_names_the_path_and_the_expected_type()
    {
        var r = Dluxshera.Invoke("run", RepoPaths.Example("rosenbrock-gd.json"), "--plugins", RepoPaths.PluginsJson,
            "--set", "optimizer.options.num_steps=many", "--set", "optimizer.options.learning_rate=true");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("optimizer.options.num_steps: expected an integer, got the string \"many\"", r.Stderr);
        Assert.Contains("optimizer.options.learning_rate: expected a number, got true", r.Stderr);
    }

    [Fact]
    public void Set_with_a_fractional_integer_is_refused()
    {
        var r = Dluxshera.Invoke("run", RepoPaths.Example("rosenbrock-gd.json"), "--plugins", RepoPaths.PluginsJson,
            "--set", "optimizer.options.num_steps=2.5");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("optimizer.options.num_steps: expected an integer, got the number 2.5", r.Stderr);
    }

    [Fact]
    public void Unknown_option_key_lists_the_allowed_keys()
    {
        var r = Dluxshera.Invoke("run", RepoPaths.Example("rosenbrock-gd.json"), "--plugins", RepoPaths.PluginsJson,
            "--set", "optimizer.options.learning_rat=0.1");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("optimizer.options.learning_rat: unknown key; allowed keys here: learning_rate, num_steps", r.Stderr);
    }

    [Fact]
    public void Unknown_top_level_key_is_named_with_the_spec_file()
    {
        using var tmp = RepoPaths.Temp();
        string spec = WriteSpec(tmp, """{ "objective": { "name": "rosenbrock" }, "optimizer": { "name": "gd" }, "optimiser": {} }""");
        var r = Dluxshera.Invoke("run", spec, "--plugins", RepoPaths.PluginsJson);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(spec, r.Stderr);
        Assert.Contains("optimiser: unknown key; allowed keys here: description, run, objective, optimizer, theta_map, store", r.Stderr);
    }

    [Fact]
    public void Unknown_component_lists_the_registered_ones()
    {
        var r = Dluxshera.Invoke("run", RepoPaths.Example("rosenbrock-gd.json"), "--plugins", RepoPaths.PluginsJson, "--set", "optimizer.name=bfgs");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("optimizer.name: no optimizer named 'bfgs' is registered; registered: adam, gauss_newton, gd, lbfgs, levenberg_marquardt, momentum, preconditioned_gd, rmsprop", r.Stderr);
    }

    [Fact]
    public void Unknown_preset_lists_the_presets()
    {
        var r = Dluxshera.Invoke("run", RepoPaths.Example("rosenbrock-gd.json"), "--plugins", RepoPaths.PluginsJson,
            "--set", "objective.name=quadratic", "--set", "objective.options={}", "--set", "objective.preset=huge");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("objective.preset: objective:quadratic has no preset 'huge'; presets: extreme, ill_conditioned, well_conditioned", r.Stderr);
    }

    [Fact]
    public void Validation_failures_name_the_key()
    {
        var r = Dluxshera.Invoke("run", RepoPaths.Example("rosenbrock-gd.json"), "--plugins", RepoPaths.PluginsJson, "--set", "optimizer.options.learning_rate=-1");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("optimizer.options.learning_rate: must be a positive finite number, got -1", r.Stderr);
    }

    [Fact]
    public void Malformed_spec_reports_line_and_column()
    {
        using var tmp = RepoPaths.Temp();
        string spec = WriteSpec(tmp, "{\n  \"objective\": { \"name\": \"rosenbrock\" \n  \"optimizer\": {}\n}");
        var r = Dluxshera.Invoke("run", spec, "--plugins", RepoPaths.PluginsJson);
        Assert.Equal(2, r.ExitCode);
        Assert.Matches(@"spec\.json:3:\d+: malformed JSON", r.Stderr);
    }

    [Fact]
    public void Set_without_equals_is_a_usage_error()
    {
        var r = Dluxshera.Invoke("run", RepoPaths.Example("rosenbrock-gd.json"), "--plugins", RepoPaths.PluginsJson, "--set", "optimizer.options.learning_rate");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("expected key.path=value", r.Stderr);
    }
}

public class CommandLineTests
{
    [Fact]
    public void Unknown_command_exits_2()
    {
        var r = Dluxshera.Invoke("frobnicate");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("frobnicate", r.Stderr);
    }

    [Fact]
    public void Run_without_a_spec_exits_2()
    {
        var r = Dluxshera.Invoke("run");
        Assert.Equal(2, r.ExitCode);
    }

    [Fact]
    public void Missing_spec_file_exits_2_naming_it()
    {
        var r = Dluxshera.Invoke("run", "/nope/spec.json", "--plugins", RepoPaths.PluginsJson);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("/nope/spec.json: run spec not found", r.Stderr);
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("run", "--help")]
    [InlineData("plugins", "list", "--help")]
    [InlineData("inspect", "--help")]
    public void Help_is_available_everywhere(params string[] args)
    {
        var r = Dluxshera.Invoke(args);
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("Usage:", r.Stdout);
    }

    [Fact]
    public void Inspect_of_a_missing_artifact_exits_2_naming_the_file()
    {
        using var tmp = RepoPaths.Temp();
        Directory.CreateDirectory(tmp.Combine("r"));
        var r = Dluxshera.Invoke("inspect", tmp.Combine("r"));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(Path.Combine(tmp.Path, "r", "meta.json") + ": file not found", r.Stderr);
    }
}
