using DluxShera.Contracts;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

[assembly: DluxSheraPlugin(typeof(DuplicatePlugin.Plugin))]

namespace DuplicatePlugin;

public sealed class Plugin : IDluxSheraPlugin
{
    public string Id => "test.duplicate";
    public string Version => "1.0.0";
    public string Description => "registers optimizer:gd again";
    public void Register(IServiceCollection services, IConfiguration options) =>
        services.AddOptimizer<Options>("gd", "a second gd", (_, _) => throw new NotSupportedException());

    public sealed class Options;
}
