using DluxShera.Contracts;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

[assembly: DluxSheraPlugin(typeof(DluxShera.Optimizers.OptimizersPlugin))]

namespace DluxShera.Optimizers;

/// <summary>Optimizer engines built from Optax-style gradient transformations.</summary>
public sealed class OptimizersPlugin : IDluxSheraPlugin
{
    /// <inheritdoc/>
    public string Id => "dluxshera.optimizers";

    /// <inheritdoc/>
    public string Version => "0.1.0";

    /// <inheritdoc/>
    public string Description => "First-order optimizer engines (gd, momentum, adam, rmsprop)";

    /// <inheritdoc/>
    public void Register(IServiceCollection services, IConfiguration options)
    {
        services.AddOptimizer<GradientDescentOptions>("gd", "plain gradient descent, one global learning rate",
            (_, o) => new FirstOrderEngine("gd", o.NumSteps, o.LearningRate, new Identity()));
        services.AddOptimizer<MomentumOptions>("momentum", "heavy-ball or Nesterov momentum (Optax sgd)",
            (_, o) => new FirstOrderEngine("momentum", o.NumSteps, o.LearningRate, new Trace(o.Momentum, o.Nesterov)));
        services.AddOptimizer<AdamOptions>("adam", "Adam (Optax scale_by_adam)",
            (_, o) => new FirstOrderEngine("adam", o.NumSteps, o.LearningRate, new ScaleByAdam(o.B1, o.B2, o.Eps, o.EpsRoot)));
        services.AddOptimizer<RmsPropOptions>("rmsprop", "RMSProp (Optax scale_by_rms)",
            (_, o) => new FirstOrderEngine("rmsprop", o.NumSteps, o.LearningRate, new ScaleByRms(o.Decay, o.Eps, o.InitialScale)));
    }
}
