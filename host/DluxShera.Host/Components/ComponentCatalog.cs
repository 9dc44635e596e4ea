using System.Text.Json.Nodes;
using DluxShera.Contracts;
using DluxShera.Host.Plugins;

namespace DluxShera.Host.Components;

/// <summary>A component created for a run, with the options it was bound with (for meta.json).</summary>
/// <typeparam name="T">The contract interface.</typeparam>
/// <param name="Component">The component.</param>
/// <param name="Descriptor">Its registration.</param>
/// <param name="EffectiveOptions">Defaults, preset and spec merged, as bound.</param>
/// <param name="Plugin">The plugin that registered it.</param>
public sealed record CreatedComponent<T>(T Component, ComponentDescriptor Descriptor, JsonObject EffectiveOptions, LoadedPlugin Plugin);

/// <summary>Every registered <c>kind:name</c>, and the one place components are created from options.</summary>
public sealed class ComponentCatalog : IComponentResolver
{
    private readonly Dictionary<string, (ComponentDescriptor Descriptor, LoadedPlugin Plugin)> _byKey = new(StringComparer.Ordinal);
    private readonly IServiceProvider _services;

    /// <summary>Builds the catalog from the loaded plugins.</summary>
    /// <param name="plugins">Loaded plugins (duplicates were already refused).</param>
    /// <param name="services">The host's services.</param>
    public ComponentCatalog(IEnumerable<LoadedPlugin> plugins, IServiceProvider services)
    {
        _services = services;
        foreach (var plugin in plugins)
        {
            foreach (var c in plugin.Components) _byKey[c.Key] = (c, plugin);
        }
    }

    /// <summary>The run's master seed, handed to factories.</summary>
    public ulong RunSeed { get; set; }

    /// <summary>Registered names of a kind, sorted.</summary>
    /// <param name="kind">The kind.</param>
    public IReadOnlyList<string> NamesOf(string kind) =>
        _byKey.Values.Where(v => v.Descriptor.Kind == kind).Select(v => v.Descriptor.Name).Order(StringComparer.Ordinal).ToList();

    /// <summary>A registered preset's options, or null.</summary>
    /// <param name="kind">The kind.</param>
    /// <param name="name">The component name.</param>
    /// <param name="preset">The preset name.</param>
    public JsonObject? PresetOf(string kind, string name, string preset) =>
        _byKey.TryGetValue($"{kind}:{name}", out var found) && found.Descriptor.Presets.TryGetValue(preset, out var options) ? options : null;

    /// <inheritdoc/>
    public bool Has(string kind, string name) => _byKey.ContainsKey($"{kind}:{name}");

    /// <inheritdoc/>
    public T Create<T>(string kind, ComponentReference reference, string optionsPath) where T : class =>
        CreateWithOptions<T>(kind, reference, optionsPath).Component;

    /// <summary>Creates a component and returns it with its effective options and plugin.</summary>
    /// <typeparam name="T">The contract interface of the kind.</typeparam>
    /// <param name="kind">The kind.</param>
    /// <param name="reference">Name, preset and options.</param>
    /// <param name="path">The JSON path of <paramref name="reference"/> in the spec, e.g. <c>optimizer</c>.</param>
    /// <exception cref="ComponentOptionsException">Unknown name or preset, bad options.</exception>
    public CreatedComponent<T> CreateWithOptions<T>(string kind, ComponentReference reference, string path) where T : class
    {
        if (string.IsNullOrEmpty(reference.Name))
        {
            throw new ComponentOptionsException($"{path}.name: required; registered {kind} components: {Listing(kind)}.");
        }
        if (!_byKey.TryGetValue($"{kind}:{reference.Name}", out var found))
        {
            throw new ComponentOptionsException($"{path}.name: no {kind} named '{reference.Name}' is registered; registered: {Listing(kind)} (see `dluxshera plugins list`).");
        }
        var (descriptor, plugin) = found;
        var merged = new JsonObject();
        if (reference.Preset is { } preset)
        {
            if (!descriptor.Presets.TryGetValue(preset, out var presetOptions))
            {
                string known = descriptor.Presets.Count == 0 ? "(it has none)" : string.Join(", ", descriptor.Presets.Keys.Order());
                throw new ComponentOptionsException($"{path}.preset: {descriptor.Key} has no preset '{preset}'; presets: {known}.");
            }
            merged = StrictJsonBinder.Merge(merged, presetOptions);
        }
        merged = StrictJsonBinder.Merge(merged, reference.Options);
        object options = StrictJsonBinder.Bind(descriptor.OptionsType, merged, $"{path}.options");
        var context = new ComponentContext
        {
            Services = _services,
            Components = this,
            RunSeed = RunSeed,
            OptionsPath = $"{path}.options",
        };
        object component;
        try
        {
            component = descriptor.Factory(context, options);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException or NotSupportedException or ArtifactException)
        {
            throw new ComponentOptionsException($"{path}: {descriptor.Key} (plugin '{plugin.Plugin.Id}') refused its options: {e.Message}");
        }
        if (component is not T typed)
        {
            throw new PluginLoadException($"plugin '{plugin.Plugin.Id}' registered {descriptor.Key}, but its factory returned {component.GetType().FullName}, which does not implement {typeof(T).Name}.");
        }
        return new CreatedComponent<T>(typed, descriptor, StrictJsonBinder.ToJson(options), plugin);
    }

    private string Listing(string kind)
    {
        var names = NamesOf(kind);
        return names.Count == 0 ? "(none; is the plugin that provides it enabled in plugins.json?)" : string.Join(", ", names);
    }
}
