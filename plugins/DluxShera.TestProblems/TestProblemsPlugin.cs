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
        services.AddObjective<NonFiniteAfterOptions>("nan_after", "a bowl that turns NaN after N evaluations (failure-path checks)",
            (_, o) => new NonFiniteAfter(o));
    }
}
