using System.Reflection;
using System.Runtime.Loader;
using System.Text.Json.Nodes;
using DluxShera.Contracts;
using DluxShera.Host.Plugins;
using Xunit;

namespace DluxShera.Tests;

public class PluginLoadingTests
{
    [Fact]
    public void Plugins_list_json_shows_every_shipped_plugin_and_its_components()
    {
        var r = Dluxshera.Invoke("plugins", "list", "--json", "--plugins", RepoPaths.PluginsJson);
        Assert.True(r.ExitCode == 0, r.ToString());
        var doc = JsonNode.Parse(r.Stdout)!;
        var plugins = doc["plugins"]!.AsArray();
        var ids = plugins.Select(p => p!["id"]!.GetValue<string>()).ToList();
        Assert.Contains("dluxshera.optimizers", ids);
        Assert.Contains("dluxshera.testproblems", ids);
        Assert.Contains("dluxshera.store.filesystem", ids);
        var keys = plugins.SelectMany(p => p!["components"]!.AsArray().Select(c => c!["key"]!.GetValue<string>())).ToList();
        Assert.Contains("optimizer:gd", keys);
        Assert.Contains("objective:rosenbrock", keys);
        Assert.Contains("store:filesystem", keys);
        Assert.All(plugins, p => Assert.Equal(ContractVersion.Text, p!["contract_version"]!.GetValue<string>()));
        Assert.All(plugins, p => Assert.True(File.Exists(p!["path"]!.GetValue<string>())));
    }

    [Fact]
    public void Missing_required_plugin_exits_2_naming_the_file_and_the_fix()
    {
        using var tmp = RepoPaths.Temp();
        string file = Dluxshera.PluginsFile(tmp.Path, """    { "id": "ghost", "path": "nowhere/Ghost.dll" }""");
        var r = Dluxshera.Invoke("plugins", "list", "--plugins", file);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("plugin 'ghost' (nowhere/Ghost.dll in " + file + ")", r.Stderr);
        Assert.Contains("assembly not found", r.Stderr);
        Assert.Contains("\"required\": false", r.Stderr);
    }

    [Fact]
    public void Missing_plugins_file_exits_2_naming_it()
    {
        var r = Dluxshera.Invoke("plugins", "list", "--plugins", "/nonexistent/plugins.json");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("/nonexistent/plugins.json: plugins file not found", r.Stderr);
    }

    [Fact]
    public void Wrong_contract_major_is_refused_with_both_versions()
    {
        using var tmp = RepoPaths.Temp();
        string file = Dluxshera.PluginsFile(tmp.Path, $$"""    { "id": "future", "path": {{Dluxshera.Json(RepoPaths.TestPlugin("WrongContractPlugin"))}} }""");
        var r = Dluxshera.Invoke("plugins", "list", "--plugins", file);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("plugin 'future'", r.Stderr);
        Assert.Contains("built for contract version 2.0.0", r.Stderr);
        Assert.Contains($"this host carries contract {ContractVersion.Text}", r.Stderr);
        Assert.Contains("Rebuild the plugin", r.Stderr);
    }

    [Fact]
    public void Duplicate_component_names_both_plugins()
    {
        using var tmp = RepoPaths.Temp();
        string file = Dluxshera.PluginsFile(tmp.Path, $$"""    { "id": "dup", "path": {{Dluxshera.Json(RepoPaths.TestPlugin("DuplicatePlugin"))}} }""");
        var r = Dluxshera.Invoke("plugins", "list", "--plugins", file);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("component 'optimizer:gd' is registered twice", r.Stderr);
        Assert.Contains("'dluxshera.optimizers'", r.Stderr);
        Assert.Contains("'test.duplicate'", r.Stderr);
    }

    [Fact]
    public void Throwing_register_exits_2_with_the_exception_message()
    {
        using var tmp = RepoPaths.Temp();
        string file = Dluxshera.PluginsFile(tmp.Path, $$"""    { "id": "thrower", "path": {{Dluxshera.Json(RepoPaths.TestPlugin("ThrowingPlugin"))}} }""");
        var r = Dluxshera.Invoke("plugins", "list", "--plugins", file);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("plugin 'thrower'", r.Stderr);
        Assert.Contains("Register threw InvalidOperationException: option 'device' is required", r.Stderr);
    }

    [Fact]
    public void Options_in_plugins_json_reach_the_plugins_Register()
    {
        // A string, a number and a nested object, as a user writes them in plugins.json; the plugin echoes
        // what it read through IConfiguration (nested keys as "limits:max_dimension").
        using var tmp = RepoPaths.Temp();
        string file = Dluxshera.PluginsFile(tmp.Path, $$"""    { "id": "thrower", "path": {{Dluxshera.Json(RepoPaths.TestPlugin("ThrowingPlugin"))}}, "options": { "device": "cuda:1", "threads": 6, "limits": { "max_dimension": 4096 } } }""");
        var r = Dluxshera.Invoke("plugins", "list", "--json", "--plugins", file);
        Assert.True(r.ExitCode == 0, r.ToString());
        var plugin = JsonNode.Parse(r.Stdout)!["plugins"]!.AsArray().Single(p => p!["id"]!.GetValue<string>() == "test.throwing")!;
        var component = plugin["components"]!.AsArray().Single()!;
        Assert.Equal("objective:options_probe", component["key"]!.GetValue<string>());
        Assert.Equal("device=cuda:1 threads=6 max_dimension=4096", component["description"]!.GetValue<string>());
    }

    [Fact]
    public void Optional_failing_plugin_is_skipped_and_reported()
    {
        using var tmp = RepoPaths.Temp();
        string file = Dluxshera.PluginsFile(tmp.Path, $$"""    { "id": "thrower", "required": false, "path": {{Dluxshera.Json(RepoPaths.TestPlugin("ThrowingPlugin"))}} }""");
        var r = Dluxshera.Invoke("plugins", "list", "--json", "--plugins", file);
        Assert.True(r.ExitCode == 0, r.ToString());
        var doc = JsonNode.Parse(r.Stdout)!;
        var skipped = doc["skipped"]!.AsArray().Single()!;
        Assert.Equal("thrower", skipped["id"]!.GetValue<string>());
        Assert.Contains("option 'device' is required", skipped["reason"]!.GetValue<string>());
    }

    [Fact]
    public void Disabled_plugin_is_not_loaded()
    {
        using var tmp = RepoPaths.Temp();
        string file = Dluxshera.PluginsFile(tmp.Path, $$"""    { "id": "thrower", "enabled": false, "path": {{Dluxshera.Json(RepoPaths.TestPlugin("ThrowingPlugin"))}} }""");
        var r = Dluxshera.Invoke("plugins", "list", "--json", "--plugins", file);
        Assert.True(r.ExitCode == 0, r.ToString());
        var doc = JsonNode.Parse(r.Stdout)!;
        Assert.DoesNotContain("test.throwing", doc["plugins"]!.ToJsonString());
        Assert.Equal("disabled in plugins.json", doc["skipped"]![0]!["reason"]!.GetValue<string>());
    }

    [Fact]
    public void Malformed_plugins_json_is_reported_with_line_and_column()
    {
        using var tmp = RepoPaths.Temp();
        string file = tmp.Combine("plugins.json");
        File.WriteAllText(file, "{\n  \"plugins\": [\n    { \"path\": \"a.dll\" \"enabled\": true }\n  ]\n}\n");
        var r = Dluxshera.Invoke("plugins", "list", "--plugins", file);
        Assert.Equal(2, r.ExitCode);
        Assert.Matches(@":3:\d+: malformed JSON", r.Stderr);
        Assert.Contains(file, r.Stderr);
    }

    [Fact]
    public void Unknown_key_in_plugins_json_is_named()
    {
        using var tmp = RepoPaths.Temp();
        string file = tmp.Combine("plugins.json");
        File.WriteAllText(file, """{ "plugins": [ { "path": "a.dll", "requird": true } ] }""");
        var r = Dluxshera.Invoke("plugins", "list", "--plugins", file);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("plugins[0]: unknown key 'requird'; allowed: id, path, enabled, required, options", r.Stderr);
    }

    [Fact]
    public void Type_split_is_detected_when_a_plugin_sees_its_own_copy_of_the_contracts()
    {
        // A private copy of the contracts in another load context stands for what McMaster does when a
        // plugin was built against a newer "shared" assembly than the host has.
        var contracts = typeof(IDluxSheraPlugin).Assembly;
        var isolated = new AssemblyLoadContext("split", isCollectible: true);
        try
        {
            var privateCopy = isolated.LoadFromAssemblyPath(contracts.Location);
            var plugin = typeof(DluxShera.Optimizers.OptimizersPlugin).Assembly;
            var problems = SharedAssemblyCheck.FindSplits(plugin, [contracts], name => name.Name == contracts.GetName().Name ? privateCopy : Assembly.Load(name));
            var problem = Assert.Single(problems);
            Assert.Contains("DluxShera.Contracts", problem);
            Assert.Contains("got its own copy", problem);
            Assert.Empty(SharedAssemblyCheck.FindSplits(plugin, [contracts], Assembly.Load));
        }
        finally
        {
            isolated.Unload();
        }
    }
}
