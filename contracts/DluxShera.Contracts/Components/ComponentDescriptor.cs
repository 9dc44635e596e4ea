using System.Text.Json.Nodes;

namespace DluxShera.Contracts;

/// <summary>
/// Describes one component a plugin offers: its <c>kind:name</c> key, its options type and a factory.
/// Plugins add descriptors through the <c>Add…</c> methods of <see cref="ComponentRegistration"/>;
/// the host collects them after each plugin's <see cref="IDluxSheraPlugin.Register"/>.
/// </summary>
public sealed class ComponentDescriptor
{
    /// <summary>The kind, one of <see cref="ComponentKinds.All"/>.</summary>
    public required string Kind { get; init; }

    /// <summary>The registered name, e.g. <c>adam</c>. Lower case, digits, '_' and '-'.</summary>
    public required string Name { get; init; }

    /// <summary>One line for <c>plugins list</c>.</summary>
    public string Description { get; init; } = "";

    /// <summary>The options class bound from the run spec (public settable properties, snake_case keys).</summary>
    public required Type OptionsType { get; init; }

    /// <summary>Named presets: option objects applied over the defaults and under the run spec.</summary>
    public IReadOnlyDictionary<string, JsonObject> Presets { get; init; } = new Dictionary<string, JsonObject>();

    /// <summary>Creates the component from bound, validated options.</summary>
    public required Func<ComponentContext, object, object> Factory { get; init; }

    /// <summary>The key <c>kind:name</c>.</summary>
    public string Key => $"{Kind}:{Name}";
}
