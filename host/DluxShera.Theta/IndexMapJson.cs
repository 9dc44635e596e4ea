using System.Text.Json.Nodes;
using DluxShera.Contracts;

namespace DluxShera.Theta;

/// <summary>An IndexMap as meta.json stores it (<c>theta.index_map</c>, <c>theta.primitive_index_map</c>), both ways.</summary>
public static class IndexMapJson
{
    /// <summary>To JSON: layout_hash and entries (name, start, stop, shape, block, label, and lower/upper when declared).</summary>
    /// <param name="map">The map.</param>
    public static JsonObject ToJson(IndexMap map) => new()
    {
        ["layout_hash"] = map.LayoutHash,
        ["entries"] = new JsonArray(map.Entries.Select(e =>
        {
            var o = new JsonObject
            {
                ["name"] = e.Name,
                ["start"] = e.Start,
                ["stop"] = e.Stop,
                ["shape"] = new JsonArray(e.Shape.Select(s => (JsonNode)s).ToArray()),
                ["block"] = e.Block,
                ["label"] = e.Label,
            };
            if (e.LowerBound is { } lo) o["lower"] = lo;
            if (e.UpperBound is { } hi) o["upper"] = hi;
            return (JsonNode)o;
        }).ToArray()),
    };

    /// <summary>From JSON.</summary>
    /// <param name="node">The stored object.</param>
    /// <param name="where">Where it came from, for messages.</param>
    /// <exception cref="ThetaMapException">Missing or malformed entries.</exception>
    public static IndexMap FromJson(JsonNode? node, string where)
    {
        if (node?["entries"] is not JsonArray entries) throw new ThetaMapException($"{where}: no IndexMap entries.");
        try
        {
            return new IndexMap(entries.Select(e => new IndexMapEntry(
                e!["name"]!.GetValue<string>(), e["start"]!.GetValue<int>(), e["stop"]!.GetValue<int>(),
                e["shape"]!.AsArray().Select(s => s!.GetValue<int>()).ToArray(), e["block"]?.GetValue<string>(), e["label"]?.GetValue<string>())
            {
                LowerBound = e["lower"]?.GetValue<double>(),
                UpperBound = e["upper"]?.GetValue<double>(),
            }));
        }
        catch (Exception ex) when (ex is NullReferenceException or InvalidOperationException or FormatException or ArgumentException)
        {
            throw new ThetaMapException($"{where}: malformed IndexMap: {ex.Message}");
        }
    }
}
