using DluxShera.Contracts;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

[assembly: DluxSheraPlugin(typeof(ThrowingPlugin.Plugin))]

namespace ThrowingPlugin;

public sealed class Plugin : IDluxSheraPlugin
{
    public string Id => "test.throwing";
    public string Version => "1.0.0";
    public string Description => "Register throws";
    public void Register(IServiceCollection services, IConfiguration options) =>
        throw new InvalidOperationException("option 'device' is required");
}
