using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using DluxShera.Contracts;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Primitives;

namespace DluxShera.Tests;

/// <summary>
/// Builds engines and curvature estimators the way a run spec does: by registered name with snake_case
/// JSON options, through the shipped plugins' own registrations. Tests written against this stay valid when
/// the types behind a name move between assemblies.
/// </summary>
internal sealed class PluginComponents : IComponentResolver
{
    public static PluginComponents Shipped { get; } = new(
        new DluxShera.Optimizers.OptimizersPlugin(), new DluxShera.Curvature.CurvaturePlugin(), new DluxShera.TestProblems.TestProblemsPlugin());

    private static readonly JsonSerializerOptions Binding = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    private readonly Dictionary<string, ComponentDescriptor> _descriptors;
    private readonly IServiceProvider _services;

    private PluginComponents(params IDluxSheraPlugin[] plugins)
    {
        var services = new ServiceCollection();
        foreach (var plugin in plugins) plugin.Register(services, new EmptyConfiguration());
        _services = new NoServices();
        _descriptors = services.Where(s => s.ServiceType == typeof(ComponentDescriptor))
            .Select(s => (ComponentDescriptor)s.ImplementationInstance!).ToDictionary(d => d.Key);
    }

    /// <summary>
    /// Registers the plugins now, in this test. <see cref="Shipped"/> registers once per process, so a test that is
    /// about the registrations themselves (names, descriptions) must use a fresh one.
    /// </summary>
    public static PluginComponents Fresh(params IDluxSheraPlugin[] plugins) => new(plugins);

    /// <summary>What the plugins registered.</summary>
    public IReadOnlyCollection<ComponentDescriptor> Descriptors => _descriptors.Values;

    public IOptimizerEngine Optimizer(string name, string optionsJson) =>
        Create<IOptimizerEngine>(ComponentKinds.Optimizer, new ComponentReference { Name = name, Options = JsonNode.Parse(optionsJson)!.AsObject() }, "optimizer.options");

    public IObjective Objective(string name, string optionsJson) =>
        Create<IObjective>(ComponentKinds.Objective, new ComponentReference { Name = name, Options = JsonNode.Parse(optionsJson)!.AsObject() }, "objective.options");

    public bool Has(string kind, string name) => _descriptors.ContainsKey($"{kind}:{name}");

    public T Create<T>(string kind, ComponentReference reference, string optionsPath) where T : class
    {
        var descriptor = _descriptors[$"{kind}:{reference.Name}"];
        object options = (reference.Options ?? new JsonObject()).Deserialize(descriptor.OptionsType, Binding)!;
        var context = new ComponentContext { Services = _services, Components = this, RunSeed = 1, OptionsPath = optionsPath };
        return (T)descriptor.Factory(context, options);
    }

    private sealed class NoServices : IServiceProvider
    {
        public object? GetService(Type serviceType) => null;
    }

    private sealed class EmptyConfiguration : IConfiguration
    {
        public string? this[string key] { get => null; set { } }
        public IEnumerable<IConfigurationSection> GetChildren() => [];
        public IChangeToken GetReloadToken() => NullChangeToken.Instance;
        public IConfigurationSection GetSection(string key) => throw new NotSupportedException();
    }

    private sealed class NullChangeToken : IChangeToken
    {
        public static NullChangeToken Instance { get; } = new();
        public bool HasChanged => false;
        public bool ActiveChangeCallbacks => false;
        public IDisposable RegisterChangeCallback(Action<object?> callback, object? state) => new NoOp();
        private sealed class NoOp : IDisposable { public void Dispose() { } }
    }
}
