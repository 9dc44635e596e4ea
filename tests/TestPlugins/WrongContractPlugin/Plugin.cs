using DluxShera.Contracts;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

// Declares contract 2.0.0, as a plugin compiled against a future major version would.
[assembly: DluxSheraPlugin(typeof(WrongContractPlugin.Plugin), "2.0.0")]

namespace WrongContractPlugin;

public sealed class Plugin : IDluxSheraPlugin
{
    public string Id => "test.wrong-contract";
    public string Version => "1.0.0";
    public string Description => "built for another contract major version";
    public void Register(IServiceCollection services, IConfiguration options) { }
}
