using System.Text.Json.Nodes;
using DluxShera.Contracts;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

[assembly: DluxSheraPlugin(typeof(NewerJsonPlugin.Plugin))]

namespace NewerJsonPlugin;

/// <summary>Registers a component with a JSON preset: with its own System.Text.Json 11 the JsonObject it builds is
/// not the host's type, so without the loader's check Register fails with MissingMethodException.</summary>
public sealed class Plugin : IDluxSheraPlugin
{
    public string Id => "test.newer-json";
    public string Version => "1.0.0";
    public string Description => "A plugin that carries System.Text.Json 11";

    public void Register(IServiceCollection services, IConfiguration options) =>
        services.AddOptimizer<Options>("newer_json", "never runs", (_, _) => throw new InvalidOperationException("not for running"),
            presets: new Dictionary<string, JsonObject> { ["fast"] = new() { ["steps"] = 1 } });
}

public sealed class Options
{
    public int Steps { get; set; }
}
