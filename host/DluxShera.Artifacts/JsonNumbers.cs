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

    /// <summary>Converts plain .NET values (numbers, strings, dictionaries, lists, tuples, records) to JSON nodes,
    /// keeping their structure (<see cref="ValueJson"/>).</summary>
    /// <param name="value">The value.</param>
    /// <param name="path">Its name, for the message when it cannot be written.</param>
    /// <exception cref="UnserialisableValueException">The value has no faithful JSON form.</exception>
    public static JsonNode? ToNode(object? value, string path = "value") => ValueJson.ToNode(value, path);

    /// <summary>A JSON object from a dictionary (<see cref="ValueJson.ToObject"/>).</summary>
    /// <param name="dict">The dictionary.</param>
    /// <exception cref="UnserialisableValueException">An entry has no faithful JSON form; the message names its key.</exception>
    public static JsonObject ToObject(IReadOnlyDictionary<string, object?> dict) => ValueJson.ToObject(dict);
}
