using System.Text.Json.Nodes;
using DluxShera.Host.Components;
using DluxShera.Host.Runs;
using DluxShera.Optimizers;
using Xunit;

namespace DluxShera.Tests;

/// <summary>Precedence per key inside nested option objects (issue 11 item 3).</summary>
public class NestedOptionsTests
{
    /// <summary>A plugin author's options: the parent gives the nested object defaults its own class does not have.</summary>
    public sealed class SpotOptions
    {
        public SpotStart Start { get; set; } = new() { X0 = 16, Y0 = 16, Sigma = 2 };
    }

    public sealed class SpotStart
    {
        public double X0 { get; set; }

        public double Y0 { get; set; }

        public double Sigma { get; set; } = 1;
    }

    [Fact]
    public void A_nested_key_keeps_the_parents_defaults_for_the_other_keys()
    {
        var options = (SpotOptions)StrictJsonBinder.Bind(typeof(SpotOptions), JsonNode.Parse("""{ "start": { "x0": 14.5 } }"""), "objective.options");
        Assert.Equal(14.5, options.Start.X0);
        Assert.Equal(16, options.Start.Y0);
        Assert.Equal(2, options.Start.Sigma);
    }

    [Fact]
    public void Raw_json_options_built_in_code_with_integer_values_reach_the_plugin_as_json_numbers()
    {
        // block_lr is a raw JsonObject the plugin reads with TryGetValue<double>: an int-backed node built in C# must
        // bind as the same number a spec file would give.
        var spec = new JsonObject { ["block_lr"] = new JsonObject { ["astrometry"] = 2, ["optics"] = 0.5 } };
        var options = (PreconditionedGdOptions)StrictJsonBinder.Bind(typeof(PreconditionedGdOptions), spec, "optimizer.options");
        Assert.Equal(2.0, options.BlockLr!["astrometry"]!.GetValue<double>());
        Assert.Equal(0.5, options.BlockLr!["optics"]!.GetValue<double>());
        Assert.Equal(2, spec["block_lr"]!["astrometry"]!.GetValue<int>()); // the caller's object is left as it was
    }

    [Fact]
    public void A_shipped_nested_reference_keeps_its_default_name_when_only_options_are_given()
    {
        var options = (PreconditionedGdOptions)StrictJsonBinder.Bind(typeof(PreconditionedGdOptions),
            JsonNode.Parse("""{ "curvature": { "options": { "probes": 3 } } }"""), "optimizer.options");
        Assert.Equal("hutchinson", options.Curvature.Name);
        Assert.Equal(3, options.Curvature.Options!["probes"]!.GetValue<int>());
    }

    [Fact]
    public void Set_merges_an_object_value_key_by_key_and_null_replaces()
    {
        var spec = (JsonObject)JsonNode.Parse("""{ "objective": { "options": { "start": { "x0": 1, "y0": 2 } } } }""")!;
        RunSpecLoader.ApplyOverride(spec, """objective.options.start={"x0": 14.5}""");
        Assert.Equal("""{"x0":14.5,"y0":2}""", spec["objective"]!["options"]!["start"]!.ToJsonString());
        RunSpecLoader.ApplyOverride(spec, "objective.options.start.sigma=3");
        Assert.Equal("""{"x0":14.5,"y0":2,"sigma":3}""", spec["objective"]!["options"]!["start"]!.ToJsonString());
        RunSpecLoader.ApplyOverride(spec, "objective.options=null");
        Assert.Null(spec["objective"]!["options"]);
    }

    [Fact]
    public void Set_inside_a_nested_option_of_a_real_run_keeps_the_spec_and_default_keys()
    {
        using var tmp = RepoPaths.Temp();
        // preconditioned_gd's default curvature is {"name": "hutchinson"}; --set only its probes.
        var r = Dluxshera.Invoke("run", RepoPaths.Example("rosenbrock-gd.json"), "--quiet", "--out", tmp.Path, "--plugins", RepoPaths.PluginsJson,
            "--set", "run.id=nested", "--set", "run.figures=false", "--set", "optimizer.name=preconditioned_gd",
            "--set", "optimizer.options.num_steps=2", "--set", "optimizer.options.curvature.options.probes=3",
            "--set", "optimizer.options.stopping.patience=7");
        Assert.True(r.ExitCode == 0, r.ToString());
        var options = DluxShera.Artifacts.RunArtifacts.LoadMeta(tmp.Combine("nested"))["optimizer"]!["options"]!;
        Assert.Equal("hutchinson", options["curvature"]!["name"]!.GetValue<string>());
        Assert.Equal(3, options["curvature"]!["options"]!["probes"]!.GetValue<int>());
        Assert.Equal(7, options["stopping"]!["patience"]!.GetValue<int>());
    }
}
