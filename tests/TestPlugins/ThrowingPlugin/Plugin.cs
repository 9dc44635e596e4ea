using System.Globalization;
using DluxShera.Contracts;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

[assembly: DluxSheraPlugin(typeof(ThrowingPlugin.Plugin))]

namespace ThrowingPlugin;

/// <summary>
/// A plugin that needs its "options" from plugins.json: Register throws without "device" (the loader's
/// failure path) and otherwise registers one objective whose description echoes every option it read,
/// a string, a number and a nested key, so a test can see exactly what reached the plugin.
/// </summary>
public sealed class Plugin : IDluxSheraPlugin
{
    public string Id => "test.throwing";
    public string Version => "1.0.0";
    public string Description => "Register throws unless option 'device' is set";

    public void Register(IServiceCollection services, IConfiguration options)
    {
        string device = options["device"] ?? throw new InvalidOperationException("option 'device' is required");
        string threads = options["threads"] ?? "1";
        string limit = options["limits:max_dimension"] ?? "none";
        string echo = string.Create(CultureInfo.InvariantCulture, $"device={device} threads={threads} max_dimension={limit}");
        services.AddObjective<ProbeOptions>("options_probe", echo, (_, _) => throw new InvalidOperationException("options_probe is for plugins list only"));
    }
}

public sealed class ProbeOptions
{
}
