using System.Text.Json.Nodes;
using DluxShera.Contracts;
using DluxShera.Curvature;
using DluxShera.Optimizers;
using Xunit;

namespace DluxShera.Tests;

/// <summary>
/// The optimizers plugin's registrations (the names run specs use, docs/optimizers.md's table) and the options
/// validation of its first-order and preconditioned engines: each problem names its key, at the boundary.
/// </summary>
public class OptimizerOptionsAndRegistrationTests
{
    // As a run spec gives it: parsed JSON.
    private static JsonObject Json(string text) => JsonNode.Parse(text)!.AsObject();

    private static readonly string[] Engines = ["gd", "momentum", "adam", "rmsprop", "preconditioned_gd", "lbfgs", "gauss_newton", "levenberg_marquardt"];

    [Fact]
    public void The_plugin_registers_every_documented_engine_under_its_name_with_a_description()
    {
        var plugin = new OptimizersPlugin();
        var components = PluginComponents.Fresh(plugin, new CurvaturePlugin());
        var optimizers = components.Descriptors.Where(d => d.Kind == ComponentKinds.Optimizer).ToList();
        Assert.Equal(Engines.Order(), optimizers.Select(d => d.Name).Order());
        foreach (var d in optimizers)
        {
            Assert.False(string.IsNullOrWhiteSpace(d.Description), $"{d.Name} has no description for plugins list");
            var engine = components.Optimizer(d.Name, "{}");
            Assert.Equal(d.Name, engine.Name);
            Assert.Equal(d.Name, engine.Describe()["name"]);
            Assert.Contains(d.Name, plugin.Description);
        }
        Assert.Matches("^[a-z][a-z0-9._-]*$", plugin.Id);
        Assert.True(Version.TryParse(plugin.Version, out _), $"version '{plugin.Version}'");
    }

    /// <summary>Records where each component's options sit in the run spec (the path bad-option messages name).</summary>
    private sealed class PathRecorder(IComponentResolver inner) : IComponentResolver
    {
        public List<(string Name, string Path)> Created { get; } = [];
        public bool Has(string kind, string name) => inner.Has(kind, name);

        public T Create<T>(string kind, ComponentReference reference, string optionsPath) where T : class
        {
            Created.Add((reference.Name, optionsPath));
            return inner.Create<T>(kind, reference, optionsPath);
        }
    }

    [Fact]
    public void Preconditioned_gd_creates_its_estimators_under_the_option_paths_a_spec_uses()
    {
        var components = PluginComponents.Fresh(new OptimizersPlugin(), new CurvaturePlugin());
        var descriptor = components.Descriptors.Single(d => d.Kind == ComponentKinds.Optimizer && d.Name == "preconditioned_gd");
        var recorder = new PathRecorder(components);
        var options = new PreconditionedGdOptions { Curvature = new() { Name = "gn_diag" }, BlendWith = new() { Name = "ema_grad2" } };
        descriptor.Factory(new ComponentContext { Services = new ServiceProviderStub(), Components = recorder, RunSeed = 1, OptionsPath = "optimizer.options" }, options);
        Assert.Equal([("gn_diag", "optimizer.options.curvature"), ("ema_grad2", "optimizer.options.blend_with")], recorder.Created);
    }

    private sealed class ServiceProviderStub : IServiceProvider
    {
        public object? GetService(Type serviceType) => null;
    }

    [Fact]
    public void Levenberg_marquardt_and_gauss_newton_are_the_damped_and_the_line_searched_engine()
    {
        var components = PluginComponents.Fresh(new OptimizersPlugin());
        Assert.Equal("trust_region", ((IReadOnlyDictionary<string, object?>)components.Optimizer("levenberg_marquardt", "{}").Describe()["schedule"]!)["kind"]);
        Assert.Equal("line_search", ((IReadOnlyDictionary<string, object?>)components.Optimizer("gauss_newton", "{}").Describe()["schedule"]!)["kind"]);
    }

    [Theory]
    [InlineData(-0.1, true)]
    [InlineData(1.0, true)]
    [InlineData(1.5, true)]
    [InlineData(0.0, false)]
    [InlineData(0.999, false)]
    public void Momentum_must_lie_in_zero_to_one(double momentum, bool refused)
    {
        var problems = new MomentumOptions { Momentum = momentum }.Validate().ToList();
        if (!refused)
        {
            Assert.Empty(problems);
            return;
        }
        Assert.Equal(("momentum", $"must be in [0, 1), got {momentum}"), Assert.Single(problems));
    }

    [Fact]
    public void Momentum_options_keep_the_shared_first_order_checks()
    {
        var problems = new MomentumOptions { Momentum = 2, LearningRate = -1 }.Validate().Select(p => p.Key).ToList();
        Assert.Equal(["learning_rate", "momentum"], problems);
    }

    public static TheoryData<string, Action<PreconditionedGdOptions>> RefusedPreconditionerOptions() => new()
    {
        { "eps", o => o.Eps = -1e-12 },
        { "eps", o => o.Eps = double.NaN },
        { "curvature_floor", o => o.CurvatureFloor = -1e-300 },
        { "curvature_floor", o => o.CurvatureFloor = double.NaN },
        { "lr_max", o => { o.LrMin = 0.5; o.LrMax = 0.5; } },
        { "lr_max", o => { o.LrMin = 0.5; o.LrMax = 0.25; } },
        { "refresh_every", o => o.RefreshEvery = -1 },
        { "save_every", o => o.SaveEvery = 0 },
        { "curvature_ema", o => o.CurvatureEma = -0.01 },
        { "curvature_ema", o => o.CurvatureEma = 1.0 },
        { "blend_alpha", o => o.BlendAlpha = -0.01 },
        { "blend_alpha", o => o.BlendAlpha = 1.01 },
        { "block_lr.astrometry", o => o.BlockLr = Json("""{"astrometry": 0.0}""") },
        { "block_lr.astrometry", o => o.BlockLr = Json("""{"astrometry": -1e-3}""") },
        { "block_lr.astrometry", o => o.BlockLr = Json("""{"astrometry": "fast"}""") },
        { "block_lr.astrometry", o => o.BlockLr = Json("""{"astrometry": {}}""") },
        { "learning_rate", o => o.LearningRate = 0 },
    };

    [Theory]
    [MemberData(nameof(RefusedPreconditionerOptions))]
    public void Preconditioner_options_are_refused_by_key(string key, Action<PreconditionedGdOptions> set)
    {
        var o = new PreconditionedGdOptions();
        set(o);
        var (k, message) = Assert.Single(o.Validate());
        Assert.Equal(key, k);
        Assert.Equal(key switch
        {
            "eps" or "curvature_floor" or "refresh_every" => "must be ≥ 0",
            "lr_max" => "must exceed lr_min",
            "save_every" => "must be ≥ 1",
            "curvature_ema" => "must be in [0, 1)",
            "blend_alpha" => "must be in [0, 1]",
            "learning_rate" => $"must be a positive finite number, got 0",
            _ => "must be a positive number",
        }, message);
    }

    public static TheoryData<Action<PreconditionedGdOptions>> AcceptedPreconditionerOptions() => new()
    {
        o => { o.Eps = 0; o.CurvatureFloor = 0; o.RefreshEvery = 0; o.SaveEvery = 1; },
        o => { o.CurvatureEma = 0; o.BlendAlpha = 0; },
        o => { o.CurvatureEma = 0.999; o.BlendAlpha = 1; },
        o => { o.LrMin = 0.5; o.LrMax = 0.5000001; },
        o => o.BlockLr = Json("""{"astrometry": 1e-3, "optics": 2}"""),
    };

    [Theory]
    [MemberData(nameof(AcceptedPreconditionerOptions))]
    public void Preconditioner_options_at_the_edge_of_their_range_are_accepted(Action<PreconditionedGdOptions> set)
    {
        var o = new PreconditionedGdOptions();
        set(o);
        Assert.Empty(o.Validate());
    }

    [Fact]
    public void The_default_curvature_estimator_is_hutchinson()
    {
        Assert.Equal("hutchinson", new PreconditionedGdOptions().Curvature.Name);
    }
}
