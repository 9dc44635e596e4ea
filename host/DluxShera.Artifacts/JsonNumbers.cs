using System.Text.Json;
using System.Text.Json.Nodes;

namespace DluxShera.Artifacts;

/// <summary>JSON helpers shared by the writers and readers.</summary>
public static class JsonNumbers
{
    /// <summary>Indented, invariant JSON for files people read.</summary>
    public static JsonSerializerOptions Indented { get; } = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>A JSON number, or null for NaN and ±∞ (JSON has no literal for them; Python reads null as None).</summary>
    /// <param name="value">The value.</param>
    public static JsonNode? Number(double value) => double.IsFinite(value) ? JsonValue.Create(value) : null;

    /// <summary>Reads a number that may be null (non-finite when written) as NaN.</summary>
    /// <param name="node">The node.</param>
    public static double ReadDouble(JsonNode? node) => node is null ? double.NaN : node.GetValue<double>();

    /// <summary>Converts plain .NET values (dictionaries, lists, numbers, strings) to JSON nodes.</summary>
    /// <param name="value">The value.</param>
    public static JsonNode? ToNode(object? value) => value switch
    {
        null => null,
        JsonNode n => n.DeepClone(),
        double d => Number(d),
        float f => Number(f),
        bool b => JsonValue.Create(b),
        string s => JsonValue.Create(s),
        int i => JsonValue.Create(i),
        long l => JsonValue.Create(l),
        ulong u => JsonValue.Create(u),
        Enum e => JsonValue.Create(e.ToString()),
        IReadOnlyDictionary<string, object?> dict => ToObject(dict),
        double[] arr => new JsonArray(arr.Select(Number).ToArray()),
        int[] arr => new JsonArray(arr.Select(x => (JsonNode?)JsonValue.Create(x)).ToArray()),
        System.Collections.IEnumerable seq => new JsonArray(seq.Cast<object?>().Select(ToNode).ToArray()),
        _ => JsonValue.Create(value.ToString()),
    };

    /// <summary>A JSON object from a dictionary.</summary>
    /// <param name="dict">The dictionary.</param>
    public static JsonObject ToObject(IReadOnlyDictionary<string, object?> dict)
    {
        var obj = new JsonObject();
        foreach (var (k, v) in dict) obj[k] = ToNode(v);
        return obj;
    }
}
