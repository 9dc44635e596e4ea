using DluxShera.Contracts;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

[assembly: DluxSheraPlugin(typeof(DluxShera.Curvature.CurvaturePlugin))]

namespace DluxShera.Curvature;

/// <summary>Curvature estimators for preconditioning, eigenmodes and mass matrices.</summary>
public sealed class CurvaturePlugin : IDluxSheraPlugin
{
    /// <inheritdoc/>
    public string Id => "dluxshera.curvature";

    /// <inheritdoc/>
    public string Version => "0.1.0";

    /// <inheritdoc/>
    public string Description => "Curvature estimators: hutchinson, ema_grad2, empirical_fisher, gn_diag, fisher_dense";

    /// <inheritdoc/>
    public void Register(IServiceCollection services, IConfiguration options)
    {
        services.AddCurvatureEstimator<HutchinsonOptions>("hutchinson", "diag(H) from Rademacher probes; exact HVPs or central differences",
            (ctx, o) => new HutchinsonDiagonal(o, o.Seed ?? ctx.DeriveSeed("curvature:hutchinson")));
        services.AddCurvatureEstimator<EmaGrad2Options>("ema_grad2", "EMA of squared gradients, updated every step by the optimizer",
            (_, o) => new EmaGradientSquares(o));
        services.AddCurvatureEstimator<EmpiricalFisherOptions>("empirical_fisher", "Σ per-observation gradient squares (needs per-observation terms)",
            (_, o) => new EmpiricalFisherDiagonal(o));
        services.AddCurvatureEstimator<GuardrailOptions>("gn_diag", "diag(JᵀWJ) from JVP columns or VJP rows (needs residuals)",
            (_, o) => new GaussNewtonDiagonal(o));
        services.AddCurvatureEstimator<GuardrailOptions>("fisher_dense", "dense JᵀWJ, or the Hessian from D Hessian-vector products",
            (_, o) => new DenseFisher(o));
    }
}
