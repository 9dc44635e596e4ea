using System.Reflection;
using System.Text.Json.Nodes;
using DluxShera.Contracts;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

[assembly: DluxSheraPlugin(typeof(DluxShera.Shera.SheraPlugin))]

namespace DluxShera.Shera;

/// <summary>The SHERA binary-astrometry telescope model (CPU).</summary>
public sealed class SheraPlugin : IDluxSheraPlugin
{
    /// <inheritdoc/>
    public string Id => "dluxshera.shera";

    /// <inheritdoc/>
    public string Version => "0.1.0";

    /// <inheritdoc/>
    public string Description => "SHERA two- and three-plane optics with exact gradients, presets and seeded simulated data (CPU, or CUDA through ILGPU)";

    /// <inheritdoc/>
    public void Register(IServiceCollection services, IConfiguration options)
    {
        var presets = LoadPresets();
        services.AddComponent<IObjective, SheraOptions>(ComponentKinds.Objective, "shera",
            "SHERA detector-image likelihood (two- or three-plane), Gaussian or Poisson, with priors; presets testbed/flight × 2p/3p × test/production",
            (context, o) =>
            {
                var logger = (context.Services.GetService(typeof(ILoggerFactory)) as ILoggerFactory)?.CreateLogger("DluxShera.Shera");
                return new SheraObjective(o, line => logger?.LogWarning("{Line}", line));
            }, presets);
    }

    /// <summary>The presets shipped as JSON resources, by name (e.g. <c>testbed-2p-test</c>).</summary>
    public static Dictionary<string, JsonObject> LoadPresets()
    {
        var assembly = typeof(SheraPlugin).Assembly;
        const string prefix = "DluxShera.Shera.Presets.";
        var presets = new Dictionary<string, JsonObject>();
        foreach (string name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(prefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            presets[name[prefix.Length..^".json".Length]] = (JsonObject)JsonNode.Parse(stream)!;
        }
        return presets;
    }
}
