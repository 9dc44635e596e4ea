using System.Text.Json.Nodes;
using Xunit;

namespace DluxShera.Tests;

/// <summary><c>--plugin PATH</c> and the <c>plugins.d/</c> folder beside plugins.json.</summary>
public class PluginSourcesTests
{
    private static string Shipped(string name) => Path.Combine(RepoPaths.Root, "build", "plugins", name, name + ".dll");

    private static string MinimalPluginsFile(string dir)
    {
        string path = Path.Combine(dir, "plugins.json");
        File.WriteAllText(path, $$"""{ "plugins": [ { "id": "store", "path": {{Dluxshera.Json(Shipped("DluxShera.Artifacts.Filesystem"))}} } ] }""");
        return path;
    }

    private static JsonArray ListedPlugins(Dluxshera.Result r) => JsonNode.Parse(r.Stdout)!["plugins"]!.AsArray();

    [Fact]
    public void Plugin_option_loads_extra_assemblies_on_top_of_the_plugins_file()
    {
        using var tmp = RepoPaths.Temp();
        string file = MinimalPluginsFile(tmp.Path);
        var r = Dluxshera.Invoke("plugins", "list", "--json", "--plugins", file,
            "--plugin", Shipped("DluxShera.TestProblems"), "--plugin", Shipped("DluxShera.Optimizers"));
        Assert.True(r.ExitCode == 0, r.ToString());
        var plugins = ListedPlugins(r);
        Assert.Equal(["dluxshera.store.filesystem", "dluxshera.testproblems", "dluxshera.optimizers"], plugins.Select(p => p!["id"]!.GetValue<string>()));
        Assert.Equal([file, "--plugin", "--plugin"], plugins.Select(p => p!["source"]!.GetValue<string>()));
    }

    [Fact]
    public void Json_files_in_plugins_d_are_merged_in_file_name_order()
    {
        using var tmp = RepoPaths.Temp();
        string file = MinimalPluginsFile(tmp.Path);
        string dropIns = Directory.CreateDirectory(tmp.Combine("plugins.d")).FullName;
        File.WriteAllText(Path.Combine(dropIns, "20-optimizers.json"), $$"""{ "plugins": [ { "id": "optimizers", "path": {{Dluxshera.Json(Shipped("DluxShera.Optimizers"))}} } ] }""");
        File.WriteAllText(Path.Combine(dropIns, "10-problems.json"), $$"""{ "plugins": [ { "id": "problems", "path": {{Dluxshera.Json(Shipped("DluxShera.TestProblems"))}} } ] }""");
        File.WriteAllText(Path.Combine(dropIns, "notes.txt"), "not a plugins file");
        var r = Dluxshera.Invoke("plugins", "list", "--json", "--plugins", file);
        Assert.True(r.ExitCode == 0, r.ToString());
        var plugins = ListedPlugins(r);
        Assert.Equal(["dluxshera.store.filesystem", "dluxshera.testproblems", "dluxshera.optimizers"], plugins.Select(p => p!["id"]!.GetValue<string>()));
        Assert.EndsWith("10-problems.json", plugins[1]!["source"]!.GetValue<string>());

        // The merged set runs: a drop-in engine on a drop-in objective.
        string spec = tmp.Combine("spec.json");
        File.WriteAllText(spec, """{ "objective": { "name": "quadratic", "preset": "well_conditioned" }, "optimizer": { "name": "gd", "options": { "num_steps": 3, "learning_rate": 0.01 } } }""");
        var run = Dluxshera.Invoke("run", spec, "--plugins", file, "--out", tmp.Combine("runs"), "--quiet");
        Assert.True(run.ExitCode == 0, run.ToString());
    }

    [Fact]
    public void A_drop_in_reusing_an_id_is_refused_naming_both_files()
    {
        using var tmp = RepoPaths.Temp();
        string file = MinimalPluginsFile(tmp.Path);
        string dropIn = Path.Combine(Directory.CreateDirectory(tmp.Combine("plugins.d")).FullName, "extra.json");
        File.WriteAllText(dropIn, $$"""{ "plugins": [ { "id": "store", "path": {{Dluxshera.Json(Shipped("DluxShera.TestProblems"))}} } ] }""");
        var r = Dluxshera.Invoke("plugins", "list", "--plugins", file);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains($"{dropIn}: plugin id 'store'", r.Stderr);
        Assert.Contains($"already used by {file}", r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr);
    }

    [Fact]
    public void A_plugin_option_naming_a_listed_assembly_or_no_file_is_refused()
    {
        using var tmp = RepoPaths.Temp();
        string file = MinimalPluginsFile(tmp.Path);
        var twice = Dluxshera.Invoke("plugins", "list", "--plugins", file, "--plugin", Shipped("DluxShera.Artifacts.Filesystem"));
        Assert.Equal(2, twice.ExitCode);
        Assert.Contains("already loads as 'store'", twice.Stderr);

        var missing = Dluxshera.Invoke("plugins", "list", "--plugins", file, "--plugin", tmp.Combine("Nope.dll"));
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("--plugin " + tmp.Combine("Nope.dll") + ": no such file", missing.Stderr);
    }

    // Experiment points are new workbenches (worker threads, child processes, Slurm tasks): each must load the
    // --plugin assemblies too, or every point of a sweep over a drop-in objective fails with "no objective".
    [Theory]
    [InlineData("threads")]
    [InlineData("processes")]
    public void Experiment_points_load_the_plugin_option_assemblies_too(string isolation)
    {
        using var tmp = RepoPaths.Temp();
        string file = MinimalPluginsFile(tmp.Path);
        string spec = tmp.Combine("sweep.json");
        File.WriteAllText(spec, """
            {
              "experiment": "dropin",
              "base": { "objective": { "name": "quadratic", "preset": "well_conditioned" }, "optimizer": { "name": "gd", "options": { "num_steps": 3 } } },
              "sweep": { "grid": [ { "path": "optimizer.options.learning_rate", "values": [0.01, 0.02] } ] }
            }
            """);
        string[] extra = ["--plugin", Shipped("DluxShera.TestProblems"), "--plugin", Shipped("DluxShera.Optimizers")];
        var run = Dluxshera.Invoke(["--plugins", file, .. extra, "experiment", "run", spec, "--out", tmp.Path, "--workers", "1", "--isolation", isolation]);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(2, Directory.GetFiles(tmp.Combine("dropin", "runs"), "summary.json", SearchOption.AllDirectories).Length);

        var submit = Dluxshera.Invoke(["--plugins", file, .. extra, "experiment", "submit", spec, "--slurm", "--dry-run", "--out", tmp.Combine("exp")]);
        Assert.True(submit.ExitCode == 0, submit.ToString());
        string exec = submit.Stdout.Split('\n').Single(l => l.StartsWith("exec ", StringComparison.Ordinal));
        Assert.Contains($"--plugin {Shipped("DluxShera.TestProblems")} --plugin {Shipped("DluxShera.Optimizers")} experiment run", exec);
    }
}
