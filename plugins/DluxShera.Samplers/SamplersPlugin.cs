using DluxShera.Contracts;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

[assembly: DluxSheraPlugin(typeof(DluxShera.Samplers.SamplersPlugin))]

namespace DluxShera.Samplers;

/// <summary>Hamiltonian Monte Carlo samplers: multinomial NUTS and static HMC, with Stan's windowed adaptation.</summary>
public sealed class SamplersPlugin : IDluxSheraPlugin
{
    /// <inheritdoc/>
    public string Id => "dluxshera.samplers";

    /// <inheritdoc/>
    public string Version => "0.1.0";

    /// <inheritdoc/>
    public string Description => "Samplers: nuts (multinomial NUTS as in Stan), hmc (static HMC, jittered step)";

    /// <inheritdoc/>
    public void Register(IServiceCollection services, IConfiguration options)
    {
        services.AddSampler<NutsOptions>("nuts", "multinomial NUTS (Stan): max tree depth, divergences, dual averaging, windowed diag/dense metric",
            (_, o) => new HamiltonianSampler("nuts", o, (integrator, d) => new NutsKernel(integrator, d, o.MaxTreeDepth)));
        services.AddSampler<HmcOptions>("hmc", "static HMC: fixed integration time, jittered step size, windowed diag/dense metric",
            (_, o) => new HamiltonianSampler("hmc", o, (integrator, d) => new StaticHmcKernel(integrator, d, o.IntegrationTime, o.StepSizeJitter, o.MaxNumSteps)));
    }
}
