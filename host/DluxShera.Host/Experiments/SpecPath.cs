using System.Text.Json.Nodes;

namespace DluxShera.Host.Experiments;

/// <summary>
/// A location inside a run spec: <c>"objective.options.data.seed"</c>, or an array of segments when a key
/// itself holds dots (SHERA truth keys: <c>["objective", "options", "truth", "binary.separation_as"]</c>).
/// </summary>
public sealed record SpecPath(IReadOnlyList<string> Segments)
{
    /// <summary>The path as users write it (dotted; array form when a segment holds a dot).</summary>
    public JsonNode ToJson() => Segments.Any(s => s.Contains('.'))
        ? new JsonArray(Segments.Select(s => (JsonNode)s).ToArray())
        : JsonValue.Create(string.Join('.', Segments));

    /// <summary>Readable text for messages and table columns.</summary>
    public override string ToString() => string.Join('.', Segments);

    /// <summary>Reads a path from a string or an array of strings.</summary>
    /// <param name="node">The JSON value.</param>
    /// <param name="where">Where it came from, for the error message.</param>
    public static SpecPath Parse(JsonNode? node, string where)
    {
        string[] segments = node switch
        {
            JsonValue v when v.TryGetValue<string>(out var s) => s.Split('.'),
            JsonArray a when a.All(x => x is JsonValue xv && xv.TryGetValue<string>(out _)) => a.Select(x => x!.GetValue<string>()).ToArray(),
            _ => throw new BadInputException($"{where}: expected a spec path, \"a.b.c\" or [\"a\", \"b\", \"key.with.dots\"]."),
        };
        if (segments.Length == 0 || segments.Any(string.IsNullOrWhiteSpace)) throw new BadInputException($"{where}: empty segment in spec path.");
        return new SpecPath(segments);
    }

    /// <summary>Sets the value, creating intermediate objects.</summary>
    /// <param name="spec">The run spec.</param>
    /// <param name="value">The value (cloned).</param>
    public void Set(JsonObject spec, JsonNode? value)
    {
        JsonObject node = spec;
        for (int i = 0; i < Segments.Count - 1; i++)
        {
            switch (node[Segments[i]])
            {
                case JsonObject child:
                    node = child;
                    break;
                case null:
                    var created = new JsonObject();
                    node[Segments[i]] = created;
                    node = created;
                    break;
                default:
                    throw new BadInputException($"spec path '{this}': '{string.Join('.', Segments.Take(i + 1))}' is not an object in the base spec.");
            }
        }
        node[Segments[^1]] = value?.DeepClone();
    }
}
