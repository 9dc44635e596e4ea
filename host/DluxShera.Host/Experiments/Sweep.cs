using System.Globalization;
using System.Text.Json.Nodes;

namespace DluxShera.Host.Experiments;

/// <summary>
/// The <c>sweep</c> block: <c>grid</c> axes (Cartesian product, the first axis varies slowest) and <c>zip</c>
/// axes (advanced together, equal lengths); with both, every grid combination runs every zip position.
/// An axis is <c>{"path": P, "values": [...]}</c>, <c>{"path": P, "seeds": {"start": s, "count": n}}</c> or
/// <c>{"path": P, "files": ["a.npz", ...]}</c> (files are hashed into the manifest).
/// </summary>
internal static class Sweep
{
    private sealed record Axis(SpecPath Path, string Kind, List<JsonNode?> Values, List<DatasetFile?> Files);

    public static (IReadOnlyList<ExperimentPoint> Points, JsonNode Axes) Read(JsonNode? node, string dir, List<string> errors)
    {
        if (node is null) return ([new ExperimentPoint(0, RunIdFor(0, []), [], [], null)], new JsonArray());
        if (node is not JsonObject sweep)
        {
            errors.Add("sweep: expected an object with 'grid' and/or 'zip' arrays of axes");
            return ([], new JsonArray());
        }
        foreach (var (key, _) in sweep)
        {
            if (key is not "grid" and not "zip") errors.Add($"sweep: unknown key '{key}' (known: grid, zip)");
        }
        var grid = ReadAxes(sweep["grid"], "sweep.grid", dir, errors);
        var zip = ReadAxes(sweep["zip"], "sweep.zip", dir, errors);
        if (zip.Select(a => a.Values.Count).Distinct().Count() > 1)
        {
            errors.Add($"sweep.zip: all zip axes must have the same length; got {string.Join(", ", zip.Select(a => $"{a.Path}: {a.Values.Count}"))}");
            zip = [];
        }
        var axesJson = new JsonArray(grid.Select(a => Describe(a, "grid")).Concat(zip.Select(a => Describe(a, "zip"))).ToArray());

        var combos = new List<List<(Axis Axis, int Index)>> { new() };
        foreach (var axis in grid)
        {
            combos = combos.SelectMany(c => Enumerable.Range(0, axis.Values.Count).Select(i => new List<(Axis, int)>(c) { (axis, i) })).ToList();
        }
        if (zip.Count > 0)
        {
            int n = zip[0].Values.Count;
            combos = combos.SelectMany(c => Enumerable.Range(0, n).Select(i => new List<(Axis, int)>(c).Concat(zip.Select(z => (z, i))).ToList())).ToList();
        }
        var points = new List<ExperimentPoint>();
        foreach (var combo in combos)
        {
            var assignments = combo.Select(c => new Assignment(c.Axis.Path, c.Axis.Values[c.Index]?.DeepClone())).ToList();
            var files = combo.Select(c => c.Axis.Files.Count > 0 ? c.Axis.Files[c.Index] : null).OfType<DatasetFile>().ToList();
            points.Add(new ExperimentPoint(points.Count, RunIdFor(points.Count, assignments), assignments, files, null));
        }
        return (points, axesJson);
    }

    /// <summary><c>p0007-1a2b3c4d</c>: the position, then a hash of what the point sets, so a changed plan never reuses a run.</summary>
    public static string RunIdFor(int index, IReadOnlyList<Assignment> assignments)
    {
        string canonical = string.Join(";", assignments.Select(a => a.Path.ToJson().ToJsonString() + "=" + (a.Value?.ToJsonString() ?? "null")));
        return $"p{index.ToString("D4", CultureInfo.InvariantCulture)}-{ExperimentSpec.Sha256(canonical)[..8]}";
    }

    private static JsonObject Describe(Axis a, string group) => new()
    {
        ["group"] = group,
        ["path"] = a.Path.ToJson(),
        ["kind"] = a.Kind,
        ["values"] = new JsonArray(a.Values.Select(v => v?.DeepClone()).ToArray()),
    };

    private static List<Axis> ReadAxes(JsonNode? node, string where, string dir, List<string> errors)
    {
        var axes = new List<Axis>();
        if (node is null) return axes;
        if (node is not JsonArray arr)
        {
            errors.Add($"{where}: expected an array of axes");
            return axes;
        }
        for (int i = 0; i < arr.Count; i++)
        {
            string w = $"{where}[{i}]";
            if (arr[i] is not JsonObject o)
            {
                errors.Add($"{w}: expected {{\"path\": ..., \"values\" | \"seeds\" | \"files\": ...}}");
                continue;
            }
            SpecPath path;
            try
            {
                path = SpecPath.Parse(o["path"], w + ".path");
            }
            catch (BadInputException e)
            {
                errors.Add(e.Message);
                continue;
            }
            var given = new[] { "values", "seeds", "files" }.Where(o.ContainsKey).ToArray();
            foreach (var (key, _) in o)
            {
                if (key is not "path" and not "values" and not "seeds" and not "files") errors.Add($"{w}: unknown key '{key}' (known: path, values, seeds, files)");
            }
            if (given.Length != 1)
            {
                errors.Add($"{w}: give exactly one of 'values', 'seeds', 'files'");
                continue;
            }
            var axis = given[0] switch
            {
                "values" => Values(o["values"], path, w, errors),
                "seeds" => Seeds(o["seeds"], path, w, errors),
                _ => Files(o["files"], path, w, dir, errors),
            };
            if (axis is null) continue;
            if (axis.Values.Count == 0) errors.Add($"{w}: an axis needs at least one value");
            else axes.Add(axis);
        }
        return axes;
    }

    private static Axis? Values(JsonNode? node, SpecPath path, string w, List<string> errors)
    {
        if (node is JsonArray values) return new Axis(path, "values", values.Select(v => v?.DeepClone()).ToList(), []);
        errors.Add($"{w}.values: expected an array");
        return null;
    }

    private static Axis? Seeds(JsonNode? node, SpecPath path, string w, List<string> errors)
    {
        switch (node)
        {
            case JsonArray list when list.All(v => v is JsonValue x && x.TryGetValue<ulong>(out _)):
                return new Axis(path, "seeds", list.Select(v => v?.DeepClone()).ToList(), []);
            case JsonObject range when range["count"] is JsonValue c && c.TryGetValue<int>(out int count) && count > 0:
                ulong start = range["start"] is JsonValue s && s.TryGetValue<ulong>(out ulong st) ? st : 0;
                return new Axis(path, "seeds", Enumerable.Range(0, count).Select(k => (JsonNode?)JsonValue.Create(start + (ulong)k)).ToList(), []);
            default:
                errors.Add($"{w}.seeds: expected a list of non-negative integers or {{\"start\": s, \"count\": n}} with n ≥ 1");
                return null;
        }
    }

    private static Axis? Files(JsonNode? node, SpecPath path, string w, string dir, List<string> errors)
    {
        if (node is not JsonArray list)
        {
            errors.Add($"{w}.files: expected an array of file paths (relative to the experiment spec)");
            return null;
        }
        var files = list.Select((f, k) => ExperimentSpec.Dataset(f, dir, $"{w}.files[{k}]", errors)).ToList();
        if (files.Any(f => f is null)) return null;
        return new Axis(path, "files", files.Select(f => (JsonNode?)JsonValue.Create(f!.Path)).ToList(), files);
    }
}
