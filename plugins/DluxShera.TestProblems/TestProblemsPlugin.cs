using System.Text.Json.Nodes;
using DluxShera.Contracts;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

[assembly: DluxSheraPlugin(typeof(DluxShera.TestProblems.TestProblemsPlugin))]

namespace DluxShera.TestProblems;

/// <summary>Analytic test problems with known minima.</summary>
public sealed class TestProblemsPlugin : IDluxSheraPlugin
{
    /// <inheritdoc/>
    public string Id => "dluxshera.testproblems";

    /// <inheritdoc/>
    public string Version => "0.1.0";

    /// <inheritdoc/>
    public string Description => "Analytic test problems with known minima (Rosenbrock, ill-conditioned quadratics, failure traps)";

    /// <inheritdoc/>
    public void Register(IServiceCollection services, IConfiguration options)
    {
        services.AddObjective<RosenbrockOptions>("rosenbrock", "chained Rosenbrock, minimum 0 at (1, …, 1); exact HVPs",
            (_, o) => new Rosenbrock(o));
        services.AddObjective<QuadraticOptions>("quadratic", "diagonal quadratic of condition κ, minimum 0 at 0; HVPs and residuals",
            (_, o) => new DiagonalQuadratic(o),
            new Dictionary<string, JsonObject>
            {
                ["well_conditioned"] = new() { ["dimension"] = 10, ["condition"] = 10.0 },
                ["ill_conditioned"] = new() { ["dimension"] = 20, ["condition"] = 1e6 },
                ["extreme"] = new() { ["dimension"] = 20, ["condition"] = 1e8 },
            });
        services.AddObjective<MghOptions>("mgh", "Moré–Garbow–Hillstrom problems 1–18 (standard starts, known minima; residuals, JVP/VJP)",
            (_, o) => MoreGarbowHillstrom.Create(o.Problem));
        services.AddObjective<NoisyLinearOptions>("noisy_linear_ls", "seeded noisy linear least squares; residuals, per-observation terms, HVPs",
            (_, o) => new NoisyLinearLeastSquares(o));
        services.AddObjective<NonFiniteAfterOptions>("nan_after", "a bowl that turns NaN after N evaluations (failure-path checks)",
            (_, o) => new NonFiniteAfter(o));
    }
}

/// <summary>Options of <c>objective:mgh</c>.</summary>
public sealed class MghOptions : IValidatableOptions
{
    /// <summary>Problem number 1–18 (Moré, Garbow &amp; Hillstrom 1981).</summary>
    public int Problem { get; set; } = 1;

    /// <inheritdoc/>
    public IEnumerable<(string Key, string Message)> Validate()
    {
        if (Problem is < 1 or > 18) yield return ("problem", $"must be 1–18, got {Problem}");
    }
}
