using DluxShera.Contracts;
using DluxShera.Curvature;
using Xunit;

namespace DluxShera.Tests;

/// <summary>
/// The curvature plugin's registrations as docs/curvature.md and docs/run-spec.md state them: the five
/// <c>curvature:</c> names a run spec uses, a line for <c>plugins list</c> each, the method each records in
/// meta.json (the seed's vocabulary), and Hutchinson's seed derived from the run seed when none is given. Every test
/// registers on a fresh service collection (<see cref="PluginComponents.Fresh"/>): the shared one registers once per
/// process, under whichever mutant a mutation run has active first.
/// </summary>
public class CurvaturePluginTests
{
    // docs/curvature.md: registered name → the method recorded in meta.json.optimizer.preconditioning.
    public static TheoryData<string, string, Type> Documented() => new()
    {
        { "hutchinson", "hutchinson_hessian_diag", typeof(HutchinsonOptions) },
        { "ema_grad2", "ema_grad2", typeof(EmaGrad2Options) },
        { "empirical_fisher", "empirical_fisher", typeof(EmpiricalFisherOptions) },
        { "gn_diag", "gn_diag", typeof(GuardrailOptions) },
        { "fisher_dense", "fisher_dense", typeof(GuardrailOptions) },
    };

    [Fact]
    public void The_plugin_registers_exactly_the_five_documented_estimators_each_with_a_line_for_plugins_list()
    {
        var plugin = new CurvaturePlugin();
        var registered = PluginComponents.Fresh(plugin).Descriptors;
        Assert.All(registered, d => Assert.Equal(ComponentKinds.Curvature, d.Kind));
        Assert.Equal(Documented().Select(row => (string)row[0]).Order(), registered.Select(d => d.Name).Order());
        foreach (var d in registered)
        {
            Assert.False(string.IsNullOrWhiteSpace(d.Description), $"curvature:{d.Name} has no description for plugins list");
            Assert.Contains(d.Name, plugin.Description);
        }
        Assert.Matches("^[a-z][a-z0-9._-]*$", plugin.Id);
        Assert.True(Version.TryParse(plugin.Version, out _), $"version '{plugin.Version}'");
    }

    [Theory]
    [MemberData(nameof(Documented))]
    public void Each_name_builds_the_estimator_that_records_the_documented_method(string name, string method, Type optionsType)
    {
        var components = PluginComponents.Fresh(new CurvaturePlugin());
        Assert.Equal(optionsType, components.Descriptors.Single(d => d.Name == name).OptionsType);
        var estimator = components.Create<ICurvatureEstimator>(ComponentKinds.Curvature, new ComponentReference { Name = name }, "optimizer.options.curvature");
        Assert.Equal(method, estimator.Method);
        Assert.Equal(method, estimator.Describe()["method"]);
    }

    [Theory]
    [InlineData(1UL)]
    [InlineData(20261129UL)]
    public void Without_a_seed_hutchinson_derives_its_probe_seed_from_the_run_seed_under_its_component_key(ulong runSeed)
    {
        // docs/curvature.md: a null seed is ComponentContext.DeriveSeed(run.seed, "curvature:hutchinson"), so adding
        // another random consumer to a run never changes the probes.
        var seed = HutchinsonSeed(runSeed, new HutchinsonOptions());
        Assert.Equal(ComponentContext.DeriveSeed(runSeed, "curvature:hutchinson"), seed);
        Assert.NotEqual(HutchinsonSeed(runSeed + 1, new HutchinsonOptions()), seed);
    }

    [Fact]
    public void A_given_seed_is_used_as_it_is_whatever_the_run_seed()
    {
        Assert.Equal(7UL, HutchinsonSeed(1, new HutchinsonOptions { Seed = 7 }));
        Assert.Equal(7UL, HutchinsonSeed(99, new HutchinsonOptions { Seed = 7 }));
        Assert.Equal(0UL, HutchinsonSeed(99, new HutchinsonOptions { Seed = 0 }));
    }

    /// <summary>The probe seed the registered factory gives for these options in a run with <paramref name="runSeed"/>.</summary>
    private static ulong HutchinsonSeed(ulong runSeed, HutchinsonOptions options)
    {
        var components = PluginComponents.Fresh(new CurvaturePlugin());
        var descriptor = components.Descriptors.Single(d => d.Name == "hutchinson");
        var context = new ComponentContext { Services = new NoServices(), Components = components, RunSeed = runSeed, OptionsPath = "optimizer.options.curvature" };
        var estimator = (ICurvatureEstimator)descriptor.Factory(context, options);
        return (ulong)estimator.Describe()["seed"]!;
    }

    private sealed class NoServices : IServiceProvider
    {
        public object? GetService(Type serviceType) => null;
    }
}
