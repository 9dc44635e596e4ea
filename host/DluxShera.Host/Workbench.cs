using DluxShera.Host.Components;
using DluxShera.Host.Plugins;
using DluxShera.Host.Runs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DluxShera.Host;

/// <summary>
/// Builds the Generic Host: logging to stderr, the plugins of plugins.json registered into DI, and the
/// host's own services (catalog, run pipeline). Disposing it disposes plugin services (e.g. GPU contexts).
/// </summary>
public static class Workbench
{
    /// <summary>Creates the host.</summary>
    /// <param name="pluginsOption">The <c>--plugins</c> value, or null to search.</param>
    /// <param name="verbose">Log information messages too.</param>
    /// <param name="extraPlugins"><c>--plugin</c> values: plugin assemblies loaded on top of the plugins file.</param>
    /// <exception cref="BadInputException">plugins.json or a required plugin is bad.</exception>
    public static IHost Build(string? pluginsOption, bool verbose, IReadOnlyList<string>? extraPlugins = null)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            DisableDefaults = true,
            ContentRootPath = Directory.GetCurrentDirectory(),
        });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.SetMinimumLevel(verbose ? LogLevel.Information : LogLevel.Warning);

        using var bootstrapLogs = LoggerFactory.Create(l => l.AddSimpleConsole(o => o.SingleLine = true)
            .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace)
            .SetMinimumLevel(verbose ? LogLevel.Information : LogLevel.Warning));
        string pluginsFile = PluginsFile.Locate(pluginsOption);
        var entries = PluginSources.Load(pluginsFile, extraPlugins ?? []);
        var loader = new PluginLoader(bootstrapLogs.CreateLogger("dluxshera.plugins"));
        loader.LoadAll(pluginsFile, entries, builder.Services);

        var registry = new PluginRegistry(pluginsFile, loader.Loaded, loader.Skipped);
        builder.Services.AddSingleton(registry);
        builder.Services.AddSingleton(sp => new ComponentCatalog(registry.Loaded, sp));
        builder.Services.AddSingleton<RunPipeline>();
        return builder.Build();
    }
}
