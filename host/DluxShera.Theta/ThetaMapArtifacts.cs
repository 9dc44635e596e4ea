using System.Text;
using System.Text.Json.Nodes;
using DluxShera.Contracts;

namespace DluxShera.Theta;

/// <summary>Rebuilds a run's θ map from meta.json and theta_map.npz alone (plot, warm starts, any later tool).</summary>
public static class ThetaMapArtifacts
{
    /// <summary>The file name in a run directory.</summary>
    public const string FileName = "theta_map.npz";

    /// <summary>The objective's layout recorded in meta.json (<c>primitive_index_map</c>, or <c>index_map</c> for primitive runs).</summary>
    /// <param name="meta">meta.json.</param>
    /// <param name="where">For messages.</param>
    public static IndexMap PrimitiveIndexMap(JsonObject meta, string where) =>
        IndexMapJson.FromJson(meta["theta"]?["primitive_index_map"] ?? meta["theta"]?["index_map"], $"{where}: theta.primitive_index_map");

    /// <summary>
    /// The chain of a run. <paramref name="arrays"/> is theta_map.npz's content, or null when the file is absent
    /// (then meta must say <c>primitive</c>). The stored bytes are hashed and compared with <c>meta.theta.theta_map_hash</c>.
    /// </summary>
    /// <param name="meta">meta.json.</param>
    /// <param name="arrays">theta_map.npz, or null.</param>
    /// <param name="where">The run directory, for messages.</param>
    /// <exception cref="ThetaMapException">A missing file, a hash mismatch, an unknown stage kind.</exception>
    public static ThetaMapChain Load(JsonObject meta, IReadOnlyDictionary<string, NdArray>? arrays, string where)
    {
        var primitive = PrimitiveIndexMap(meta, $"{where}/meta.json");
        string space = meta["theta"]?["theta_space"]?.GetValue<string>() ?? "primitive";
        string? recorded = meta["theta"]?["theta_map_hash"]?.GetValue<string>();
        if (arrays is null)
        {
            if (space != "primitive") throw new ThetaMapException($"{where}: meta.json says theta_space '{space}' but {FileName} is missing; z cannot be decoded.");
            return new ThetaMapChain(primitive, []);
        }
        if (!arrays.TryGetValue(ThetaMapChain.MetadataEntry, out var docArray) || docArray.Data is not byte[] docBytes)
        {
            throw new ThetaMapException($"{where}/{FileName}: entry '{ThetaMapChain.MetadataEntry}' (uint8 JSON) is missing.");
        }
        var document = JsonNode.Parse(Encoding.UTF8.GetString(docBytes)) as JsonObject ?? throw new ThetaMapException($"{where}/{FileName}: '{ThetaMapChain.MetadataEntry}' is not a JSON object.");
        var stagesJson = document["stages"]?.AsArray() ?? throw new ThetaMapException($"{where}/{FileName}: no stages.");
        NdArray Array(string name) => arrays.TryGetValue(name, out var a) ? a : throw new ThetaMapException($"{where}/{FileName}: array '{name}' is missing.");
        var listed = stagesJson.SelectMany(s => s!["arrays"]!.AsArray().Select(n => n!.GetValue<string>())).ToList();
        string hash = ThetaMapChain.ComputeHash(docBytes, listed.Select(n => (n, Array(n))));
        if (recorded is not null && recorded != hash)
        {
            throw new ThetaMapException($"{where}/{FileName}: its hash is '{hash}' but meta.json's theta.theta_map_hash is '{recorded}'; the file does not belong to this run or was changed.");
        }

        var stages = new List<IDifferentiableThetaMap>();
        var layout = primitive;
        for (int i = 0; i < stagesJson.Count; i++)
        {
            string kind = stagesJson[i]!["kind"]!.GetValue<string>();
            IDifferentiableThetaMap stage = kind switch
            {
                "eigen" => EigenThetaMap.FromArrays(Array($"s{i}_V").ToDoubles(), Array($"s{i}_scale").ToDoubles(), Array($"s{i}_theta_ref").ToDoubles(),
                    Array($"s{i}_eigenvalues_raw").ToDoubles(), Array($"s{i}_eigenvalues").ToDoubles(),
                    Array($"s{i}_kept").ToDoubles().Select(v => (int)v).ToArray(), stagesJson[i]!["whiten"]!.GetValue<bool>()),
                "bijector" => BijectorThetaMap.FromTable(layout, Array($"s{i}_bijector").ToDoubles().Select(v => (long)v).ToArray(),
                    Array($"s{i}_lower").ToDoubles(), Array($"s{i}_upper").ToDoubles()),
                _ => throw new ThetaMapException($"{where}/{FileName}: stage {i} has unknown kind '{kind}' (expected eigen or bijector)."),
            };
            stages.Add(stage);
            layout = stage.ThetaIndexMap;
        }
        return new ThetaMapChain(primitive, stages, docBytes);
    }
}
