using DluxShera.Contracts;
using DluxShera.Sdk;
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
    public string Description => "Optimizer engines: gd, momentum, adam, rmsprop, preconditioned_gd, lbfgs, gauss_newton, levenberg_marquardt";

    /// <inheritdoc/>
    public void Register(IServiceCollection services, IConfiguration options)
    {
        services.AddOptimizer<GradientDescentOptions>("gd", "plain gradient descent, one global learning rate",
            (_, o) => new FirstOrderEngine("gd", o, new ScaleByLearningRate()));
        services.AddOptimizer<MomentumOptions>("momentum", "heavy-ball or Nesterov momentum (Optax sgd)",
            (_, o) => new FirstOrderEngine("momentum", o, new Chain(new Trace(o.Momentum, o.Nesterov), new ScaleByLearningRate())));
        services.AddOptimizer<AdamOptions>("adam", "Adam (Optax scale_by_adam)",
            (_, o) => new FirstOrderEngine("adam", o, new Chain(new ScaleByAdam(o.B1, o.B2, o.Eps, o.EpsRoot), new ScaleByLearningRate())));
        services.AddOptimizer<RmsPropOptions>("rmsprop", "RMSProp (Optax scale_by_rms)",
            (_, o) => new FirstOrderEngine("rmsprop", o, new Chain(new ScaleByRms(o.Decay, o.Eps, o.InitialScale), new ScaleByLearningRate())));
        services.AddOptimizer<PreconditionedGdOptions>("preconditioned_gd", "θ ← θ − clip(lr·precond(curvature)) ⊙ g, curvature from any estimator",
            (ctx, o) => new FirstOrderEngine("preconditioned_gd", o, new CurvaturePreconditioner(o,
                ctx.Components.Create<ICurvatureEstimator>(ComponentKinds.Curvature, o.Curvature, ctx.OptionsPath + ".curvature"),
                o.BlendWith is { } b ? ctx.Components.Create<ICurvatureEstimator>(ComponentKinds.Curvature, b, ctx.OptionsPath + ".blend_with") : null)));
        services.AddOptimizer<LbfgsOptions>("lbfgs", "L-BFGS with a strong-Wolfe line search (scipy L-BFGS-B defaults)",
            (_, o) => new Lbfgs(o));
        services.AddOptimizer<ResidualLeastSquaresOptions>("gauss_newton", "Gauss–Newton with backtracking, for objectives exposing residuals",
            (_, o) => new ResidualLeastSquares(false, o));
        services.AddOptimizer<ResidualLeastSquaresOptions>("levenberg_marquardt", "Levenberg–Marquardt (Marquardt scaling, Nielsen damping), for residual objectives",
            (_, o) => new ResidualLeastSquares(true, o));
    }
}
