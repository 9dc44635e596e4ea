using System.Reflection;
using System.Text.Json.Nodes;
using DluxShera.Host.Plugins;
using Xunit;

namespace DluxShera.Tests;

/// <summary>System.Text.Json is shared between host and plugins (JsonObject is contract surface): a plugin that
/// carries a newer one is refused in one line that names it and says what to do (issue 11 item 2).</summary>
public class SharedAssemblyTests
{
    [Fact]
    public void A_plugin_carrying_a_newer_System_Text_Json_is_refused_naming_the_plugin_and_the_versions()
    {
        // The test plugin references the System.Text.Json 11.0.0 package, so its folder holds a System.Text.Json.dll
        // of assembly version 11.0.0.0 next to a host that shares the framework's 10.0.0.0.
        string carried = Path.Combine(Path.GetDirectoryName(RepoPaths.TestPlugin("NewerJsonPlugin"))!, "System.Text.Json.dll");
        Assert.Equal(11, AssemblyName.GetAssemblyName(carried).Version!.Major);
        Assert.Equal(10, typeof(JsonObject).Assembly.GetName().Version!.Major);

        using var tmp = RepoPaths.Temp();
        string file = Dluxshera.PluginsFile(tmp.Path, $$"""    { "id": "newer-json", "path": {{Dluxshera.Json(RepoPaths.TestPlugin("NewerJsonPlugin"))}} }""");
        var r = Dluxshera.Invoke("plugins", "list", "--plugins", file);
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("plugin 'newer-json'", r.Stderr);
        Assert.Contains("System.Text.Json 11.0.0.0", r.Stderr);
        Assert.Contains("the host shares 10.0.0.0", r.Stderr);
        Assert.Contains("10.0.x; patch-newer packages are fine", r.Stderr);
        Assert.DoesNotContain("MissingMethodException", r.Stderr);
    }

    [Fact]
    public void System_Text_Json_is_one_of_the_shared_assemblies()
    {
        Assert.Contains(PluginLoader.SharedTypes, t => t.Assembly == typeof(JsonObject).Assembly);
    }

    [Theory]
    [InlineData("10.0.0.0", false)] // every 10.0.x package (patch-newer included) carries assembly version 10.0.0.0
    [InlineData("9.0.0.0", false)]  // older: the host's copy satisfies the reference
    [InlineData("10.1.0.0", true)]
    [InlineData("11.0.0.0", true)]
    public void Only_a_private_copy_with_a_newer_assembly_version_than_the_hosts_splits(string carried, bool splits)
    {
        Assert.Equal(splits, SharedAssemblyCheck.Splits(new Version(carried), new Version("10.0.0.0")));
    }
}
