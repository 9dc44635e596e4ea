using System.Text;
using System.Text.Json.Nodes;
using DluxShera.Artifacts;
using DluxShera.Contracts;
using DluxShera.Host.Runs;
using DluxShera.Numpy;
using Xunit;

namespace DluxShera.Tests;

/// <summary>Recipe options in run.signals, plot redrawing the recorded recipe, figures/ replaced whole (issue 11 items 5, 6).</summary>
public class SignalRecipeChoiceTests
{
    private static string RunRosenbrock(TempDirectory tmp, string id, params string[] sets)
    {
        var r = Dluxshera.Invoke(["run", RepoPaths.Example("rosenbrock-gd.json"), "--quiet", "--out", tmp.Path, "--plugins", RepoPaths.PluginsJson,
            "--set", $"run.id={id}", "--set", "optimizer.options.num_steps=5", .. sets]);
        Assert.True(r.ExitCode == 0, r.ToString());
        return tmp.Combine(id);
    }

    private static string[] Figures(string run) =>
        Directory.GetFiles(Path.Combine(run, RunLayout.Figures)).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;

    private static JsonObject SignalsMetadata(string run) =>
        (JsonObject)JsonNode.Parse(Encoding.UTF8.GetString((byte[])NpzFile.Load(Path.Combine(run, RunLayout.Signals))[SignalProducer.MetadataEntry].Data))!;

    [Fact]
    public void Run_signals_takes_a_recipe_with_options_and_records_it()
    {
        using var tmp = RepoPaths.Temp();
        string run = RunRosenbrock(tmp, "opts", "--set", """run.signals={"name": "generic", "options": {"parameters": [], "top_n": 2}}""");
        var record = RunArtifacts.LoadMeta(run)["signals"]!;
        Assert.Equal("generic", record["recipe"]!.GetValue<string>());
        Assert.Equal(2, record["options"]!["top_n"]!.GetValue<int>());
        Assert.Equal(8, record["options"]!["hybrid_above"]!.GetValue<int>());
        Assert.Equal(2, SignalsMetadata(run)["options"]!["top_n"]!.GetValue<int>());
        // "parameters": [] leaves out the IndexMap entry x: no value or residual panel.
        Assert.DoesNotContain(Figures(run), f => f.Contains("_x", StringComparison.Ordinal));
        Assert.DoesNotContain(SignalsMetadata(run)["signals"]!.AsArray(), s => s!["name"]!.GetValue<string>() == "x");
    }

    [Fact]
    public void Plot_without_recipe_redraws_the_recorded_recipe_and_leaves_no_stale_figures()
    {
        using var tmp = RepoPaths.Temp();
        string run = RunRosenbrock(tmp, "plot", "--set", """run.signals={"name": "generic", "options": {"parameters": []}}""");
        string[] recorded = Figures(run);

        var again = Dluxshera.Invoke("plot", run, "--plugins", RepoPaths.PluginsJson);
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Equal(recorded, Figures(run));

        var all = Dluxshera.Invoke("plot", run, "--plugins", RepoPaths.PluginsJson, "--recipe", "generic");
        Assert.True(all.ExitCode == 0, all.ToString());
        Assert.Contains(Figures(run), f => f.EndsWith("_x.png", StringComparison.Ordinal));
        Assert.Equal("generic", RunArtifacts.LoadMeta(run)["signals"]!["recipe"]!.GetValue<string>());

        var fewer = Dluxshera.Invoke("plot", run, "--plugins", RepoPaths.PluginsJson, "--recipe", """{"name": "generic", "options": {"parameters": []}}""");
        Assert.True(fewer.ExitCode == 0, fewer.ToString());
        Assert.Equal(recorded, Figures(run));
        Assert.Empty(Directory.GetDirectories(run, ".figures*"));
        Assert.True(RunArtifacts.LoadSummary(run)["has_figures"]!.GetValue<bool>());
    }

    [Fact]
    public void A_string_still_names_the_recipe_and_bad_recipe_options_name_the_key()
    {
        using var tmp = RepoPaths.Temp();
        string run = RunRosenbrock(tmp, "plain", "--set", "run.signals=generic");
        Assert.Equal("generic", RunArtifacts.LoadMeta(run)["signals"]!["recipe"]!.GetValue<string>());

        var unknown = Dluxshera.Invoke("plot", run, "--plugins", RepoPaths.PluginsJson, "--recipe", """{"name": "generic", "options": {"parameters": ["y"]}}""");
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("'y' not in this run's IndexMap; entries: x", unknown.Stderr);
        var badKey = Dluxshera.Invoke("plot", run, "--plugins", RepoPaths.PluginsJson, "--recipe", """{"name": "generic", "options": {"top": 2}}""");
        Assert.Equal(2, badKey.ExitCode);
        Assert.Contains("run.signals.options.top: unknown key", badKey.Stderr);
        var badSpec = Dluxshera.Invoke("run", RepoPaths.Example("rosenbrock-gd.json"), "--plugins", RepoPaths.PluginsJson, "--out", tmp.Path, "--set", "run.signals=[1]");
        Assert.Equal(2, badSpec.ExitCode);
        Assert.Contains("run.signals: expected a component name or an object", badSpec.Stderr);
    }

    private sealed class MinimalImage : IImageObjective
    {
        public string Name => "minimal_image";

        public IndexMap IndexMap { get; } = IndexMap.SingleVector(1);

        public int ImageWidth => 1;

        public int ImageHeight => 1;

        public void GetInitialTheta(Span<double> theta) => theta.Clear();

        public double Evaluate(ReadOnlySpan<double> theta, Span<double> gradient) => 0;

        public IReadOnlyDictionary<string, object?> Describe() => new Dictionary<string, object?>();

        public void Images(ReadOnlySpan<double> theta, Span<double> data, Span<double> model, Span<double> variance)
        {
        }
    }

    [Fact]
    public void An_image_objective_that_names_no_unit_keeps_photons()
    {
        IImageObjective objective = new MinimalImage();
        Assert.Equal("photons", objective.ImageUnit);
    }
}
