using System.Text.Json.Nodes;
using DluxShera.Artifacts;

namespace DluxShera.Host.Runs;

/// <summary>
/// A component's <c>Describe()</c> block as meta.json records it, checked at run start: every value must have a
/// faithful JSON form (<see cref="ValueJson"/>), and the keys the host reads from an engine's block must have
/// the documented types (docs/plugin-authoring.md, "What Describe() returns"), so that a plugin defect stops
/// the run before it starts, naming the component and the key, instead of landing in meta.json as a string.
/// </summary>
public static class ComponentDescription
{
    /// <summary>The keys the host reads from an optimizer's or sampler's block, with the JSON kinds each may have.</summary>
    public static readonly IReadOnlyList<(string Key, string Expected, Func<JsonNode?, bool> Valid)> EngineKeys =
    [
        ("name", "a string", n => n is JsonValue v && v.TryGetValue<string>(out _)),
        ("num_steps", "a non-negative integer (or null when unbounded)", n => n is null || (n is JsonValue v && v.TryGetValue<long>(out long steps) && steps >= 0)),
        ("base_lr", "a number (or null when the engine has no global rate)", n => n is null || (n is JsonValue v && v.TryGetValue<double>(out _))),
        ("schedule", "an object such as {\"kind\": \"cosine\", \"config\": {...}} (or null)", n => n is null or JsonObject),
    ];

    /// <summary>The JSON block of an objective (or any component whose keys the host does not read).</summary>
    /// <param name="componentKey">E.g. <c>objective:shera</c>, for messages.</param>
    /// <param name="described">What Describe() returned.</param>
    /// <exception cref="BadInputException">A value has no faithful JSON form.</exception>
    public static JsonObject Of(string componentKey, IReadOnlyDictionary<string, object?> described)
    {
        try
        {
            return ValueJson.ToObject(described);
        }
        catch (UnserialisableValueException e)
        {
            throw new BadInputException($"{componentKey}: Describe() key '{e.Path}': {e.Reason}. This is a defect of the plugin that registers '{componentKey}' (docs/plugin-authoring.md, \"What Describe() returns\").", e);
        }
    }

    /// <summary>The JSON block of an optimizer or sampler: <see cref="Of"/>, then the keys in <see cref="EngineKeys"/>
    /// checked; a missing <c>name</c> is filled with the registered name.</summary>
    /// <param name="componentKey">E.g. <c>optimizer:adam</c>.</param>
    /// <param name="registeredName">The name the engine is registered under.</param>
    /// <param name="described">What Describe() returned.</param>
    /// <exception cref="BadInputException">A value has no faithful JSON form, or a key the host reads has the wrong kind.</exception>
    public static JsonObject OfEngine(string componentKey, string registeredName, IReadOnlyDictionary<string, object?> described)
    {
        var block = Of(componentKey, described);
        if (!block.ContainsKey("name")) block["name"] = registeredName;
        foreach (var (key, expected, valid) in EngineKeys)
        {
            if (block.TryGetPropertyValue(key, out var node) && !valid(node))
            {
                throw new BadInputException($"{componentKey}: Describe() key '{key}' is {node?.ToJsonString() ?? "null"}; expected {expected}. This is a defect of the plugin that registers '{componentKey}' (docs/plugin-authoring.md, \"What Describe() returns\").");
            }
        }
        return block;
    }
}
