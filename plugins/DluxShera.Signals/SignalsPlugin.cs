using DluxShera.Contracts;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

[assembly: DluxSheraPlugin(typeof(DluxShera.Signals.SignalsPlugin))]

namespace DluxShera.Signals;

/// <summary>Signal recipes: generic (any objective) and the SHERA standard library.</summary>
public sealed class SignalsPlugin : IDluxSheraPlugin
{
    /// <inheritdoc/>
    public string Id => "dluxshera.signals";

    /// <inheritdoc/>
    public string Version => "0.1.0";

    /// <inheritdoc/>
    public string Description => "Signal recipes: generic (trace channels, IndexMap values and residuals) and shera (µas, ppm, nm residuals)";

    /// <inheritdoc/>
    public void Register(IServiceCollection services, IConfiguration options)
    {
        services.AddSignalRecipe<GenericSignalOptions>("generic", "loss, grad_norm, step_norm, base_lr, every IndexMap entry and its residual vs truth",
            (_, o) => new GenericSignalRecipe(o));
        services.AddSignalRecipe<NoOptions>("shera", "SHERA residuals: x/y/separation (µas), PA (arcsec), plate scale and raw fluxes (ppm), Zernikes (nm)",
            (_, _) => new SheraSignalRecipe());
    }

    /// <summary>The recipes take no options.</summary>
    public sealed class NoOptions;
}
