using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace DluxShera.Host.Experiments;

/// <summary>One value put at one spec path for one point.</summary>
/// <param name="Path">Where.</param>
/// <param name="Value">What (objects are deep-merged into what is there).</param>
public sealed record Assignment(SpecPath Path, JsonNode? Value);

/// <summary>A data file a point reads, identified by content.</summary>
/// <param name="Path">Absolute path.</param>
/// <param name="Sha256">Hex SHA-256 of the bytes.</param>
/// <param name="Bytes">Size.</param>
public sealed record DatasetFile(string Path, string Sha256, long Bytes);

/// <summary>One run of an experiment.</summary>
/// <param name="Index">Position in the plan (0-based).</param>
/// <param name="RunId">Deterministic run id.</param>
/// <param name="Assignments">What differs from the base spec (after the experiment's common <c>set</c>).</param>
/// <param name="Datasets">Files it reads, with content hashes.</param>
/// <param name="WarmStartFrom">Time series: the run id of the previous epoch, whose best θ (and curvature) start this one.</param>
public sealed record ExperimentPoint(int Index, string RunId, IReadOnlyList<Assignment> Assignments, IReadOnlyList<DatasetFile> Datasets, string? WarmStartFrom);

/// <summary>
/// An experiment spec (docs/experiments.md): a base run spec plus either sweep axes (grid and zip over spec
/// paths, seed lists, data files) or a time series of epochs warm-started from each other. Parsed into the
/// ordered list of points; every error of the file is reported at once.
/// </summary>
public sealed class ExperimentSpec
{
    private static readonly JsonDocumentOptions Lenient = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    /// <summary>The experiment name (its directory under the output root).</summary>
    public required string Name { get; init; }

    /// <summary>Free text.</summary>
    public string? Description { get; init; }

    /// <summary>The experiment spec file (absolute).</summary>
    public required string SpecFile { get; init; }

    /// <summary>The base run spec, with the experiment's common <c>set</c> applied.</summary>
    public required JsonObject BaseSpec { get; init; }

    /// <summary>Where the base came from: a path, or "inline".</summary>
    public required string BaseSource { get; init; }

    /// <summary>SHA-256 of the base spec as read (before the common <c>set</c>).</summary>
    public required string BaseSpecSha256 { get; init; }

    /// <summary><c>sweep</c> or <c>time_series</c>.</summary>
    public required string Kind { get; init; }

    /// <summary>The axes or epochs as the manifest records them.</summary>
    public required JsonNode Axes { get; init; }

    /// <summary>The points in plan order.</summary>
    public required IReadOnlyList<ExperimentPoint> Points { get; init; }

    /// <summary>Time series: start each epoch from the previous epoch's best θ.</summary>
    public bool WarmStartTheta { get; init; }

    /// <summary>Time series: start each epoch's preconditioner from the previous epoch's curvature.npz.</summary>
    public bool WarmStartCurvature { get; init; }

    /// <summary>Per-run signals and figures (off by default inside experiments; signals.npz is kept either way).</summary>
    public bool Figures { get; set; }

    /// <summary>Default output root (the experiment directory is <c>&lt;out&gt;/&lt;name&gt;</c>).</summary>
    public string Out { get; init; } = "experiments";

    /// <summary>Reads and checks an experiment spec.</summary>
    /// <param name="file">The file.</param>
    /// <exception cref="BadInputException">Every problem found, one per line.</exception>
    public static ExperimentSpec Load(string file)
    {
        if (!File.Exists(file)) throw new BadInputException($"{file}: experiment spec not found.");
        string full = Path.GetFullPath(file);
        string dir = Path.GetDirectoryName(full)!;
        JsonObject root = ParseObject(full, "an experiment spec");
        var errors = new List<string>();
        string[] known = ["experiment", "description", "base", "set", "sweep", "time_series", "figures", "out"];
        foreach (var (key, _) in root)
        {
            if (!known.Contains(key)) errors.Add($"unknown key '{key}' (known: {string.Join(", ", known)})");
        }
        string? name = root["experiment"] is JsonValue nv && nv.TryGetValue<string>(out var n) ? n : null;
        if (name is null) errors.Add("'experiment' (the experiment's name, a directory name) is required");
        else if (Artifacts.RunIds.Problem(name) is { } problem) errors.Add($"experiment '{name}' is not a usable directory name: {problem}");

        JsonObject? baseSpec = null;
        string baseSource = "inline";
        switch (root["base"])
        {
            case JsonObject inline:
                baseSpec = (JsonObject)inline.DeepClone();
                break;
            case JsonValue bv when bv.TryGetValue<string>(out var basePath):
                string resolved = Path.GetFullPath(Path.Combine(dir, basePath));
                baseSource = resolved;
                if (!File.Exists(resolved)) errors.Add($"base: run spec '{basePath}' not found (looked at {resolved}; paths are relative to the experiment spec)");
                else baseSpec = ParseObject(resolved, "a run spec");
                break;
            default:
                errors.Add("'base' is required: a run spec file (relative to this file) or an inline run spec object");
                break;
        }
        string baseHash = baseSpec is null ? "" : Sha256(baseSpec.ToJsonString());

        var common = ReadSetBlock(root["set"], dir, "set", errors, []);
        if (baseSpec is not null)
        {
            foreach (var a in common) Apply(baseSpec, a, errors);
        }

        bool hasSweep = root["sweep"] is not null, hasSeries = root["time_series"] is not null;
        if (hasSweep && hasSeries) errors.Add("give either 'sweep' or 'time_series', not both");
        bool figures = false;
        if (root["figures"] is { } figuresNode)
        {
            if (figuresNode is JsonValue fv && fv.TryGetValue<bool>(out bool f)) figures = f;
            else errors.Add("figures: expected true or false");
        }
        string outRoot = root["out"] is JsonValue ov && ov.TryGetValue<string>(out var o) ? o : "experiments";

        IReadOnlyList<ExperimentPoint> points = [];
        JsonNode axes = new JsonArray();
        bool warmTheta = false, warmCurvature = false;
        string kind = hasSeries ? "time_series" : "sweep";
        if (hasSeries)
        {
            (points, axes, warmTheta, warmCurvature) = TimeSeries.Read(root["time_series"], dir, errors);
        }
        else
        {
            (points, axes) = Sweep.Read(root["sweep"], dir, errors);
        }
        if (baseSpec is not null)
        {
            foreach (var p in points)
            {
                var probe = (JsonObject)baseSpec.DeepClone();
                foreach (var a in p.Assignments) Apply(probe, a, errors);
            }
        }
        if (errors.Count > 0)
        {
            throw new BadInputException($"{file}: {errors.Count} problem{(errors.Count == 1 ? "" : "s")}:\n  " + string.Join("\n  ", errors.Distinct()));
        }
        return new ExperimentSpec
        {
            Name = name!,
            Description = root["description"]?.GetValue<string>(),
            SpecFile = full,
            BaseSpec = baseSpec!,
            BaseSource = baseSource,
            BaseSpecSha256 = baseHash,
            Kind = kind,
            Axes = axes,
            Points = points,
            WarmStartTheta = warmTheta,
            WarmStartCurvature = warmCurvature,
            Figures = figures,
            Out = outRoot,
        };
    }

    /// <summary>Applies an assignment: objects are deep-merged into existing objects, anything else replaces.</summary>
    /// <param name="spec">The run spec.</param>
    /// <param name="a">The assignment.</param>
    /// <param name="errors">Collected problems.</param>
    public static void Apply(JsonObject spec, Assignment a, List<string> errors)
    {
        try
        {
            if (a.Value is JsonObject incoming && Lookup(spec, a.Path) is JsonObject existing)
            {
                Merge(existing, incoming);
            }
            else
            {
                a.Path.Set(spec, a.Value);
            }
        }
        catch (BadInputException e)
        {
            errors.Add(e.Message);
        }
    }

    private static JsonNode? Lookup(JsonObject spec, SpecPath path)
    {
        JsonNode? node = spec;
        foreach (string s in path.Segments)
        {
            node = node is JsonObject o ? o[s] : null;
            if (node is null) return null;
        }
        return node;
    }

    private static void Merge(JsonObject target, JsonObject incoming)
    {
        foreach (var (key, value) in incoming)
        {
            if (value is JsonObject child && target[key] is JsonObject existing) Merge(existing, child);
            else target[key] = value?.DeepClone();
        }
    }

    /// <summary>A <c>set</c> block: <c>{"dotted.path": value, ...}</c>, or <c>[{"path": ..., "value": ...}]</c> when keys hold dots.</summary>
    internal static List<Assignment> ReadSetBlock(JsonNode? node, string dir, string where, List<string> errors, List<DatasetFile> datasets)
    {
        var result = new List<Assignment>();
        switch (node)
        {
            case null:
                break;
            case JsonObject o:
                foreach (var (key, value) in o) result.Add(new Assignment(SpecPath.Parse(JsonValue.Create(key), $"{where}.{key}"), value?.DeepClone()));
                break;
            case JsonArray arr:
                for (int i = 0; i < arr.Count; i++)
                {
                    if (arr[i] is not JsonObject item || item["path"] is null || !item.ContainsKey("value") && item["file"] is null)
                    {
                        errors.Add($"{where}[{i}]: expected {{\"path\": ..., \"value\": ...}} or {{\"path\": ..., \"file\": ...}}");
                        continue;
                    }
                    try
                    {
                        var path = SpecPath.Parse(item["path"], $"{where}[{i}].path");
                        if (item["file"] is { } f)
                        {
                            var data = Dataset(f, dir, $"{where}[{i}].file", errors);
                            if (data is not null)
                            {
                                datasets.Add(data);
                                result.Add(new Assignment(path, JsonValue.Create(data.Path)));
                            }
                        }
                        else
                        {
                            result.Add(new Assignment(path, item["value"]?.DeepClone()));
                        }
                    }
                    catch (BadInputException e)
                    {
                        errors.Add(e.Message);
                    }
                }
                break;
            default:
                errors.Add($"{where}: expected an object of path → value or an array of {{path, value}}");
                break;
        }
        return result;
    }

    /// <summary>Resolves a data file (relative to the experiment spec) and hashes it.</summary>
    internal static DatasetFile? Dataset(JsonNode? node, string dir, string where, List<string> errors)
    {
        if (node is not JsonValue v || !v.TryGetValue<string>(out var rel))
        {
            errors.Add($"{where}: expected a file path");
            return null;
        }
        string full = Path.GetFullPath(Path.Combine(dir, rel));
        if (!File.Exists(full))
        {
            errors.Add($"{where}: data file '{rel}' not found (looked at {full})");
            return null;
        }
        using var s = File.OpenRead(full);
        return new DatasetFile(full, Convert.ToHexStringLower(SHA256.HashData(s)), s.Length);
    }

    private static JsonObject ParseObject(string path, string what)
    {
        try
        {
            return JsonNode.Parse(File.ReadAllText(path), documentOptions: Lenient) as JsonObject
                ?? throw new BadInputException($"{path}: {what} must be a JSON object.");
        }
        catch (JsonException e)
        {
            throw new BadInputException($"{path}:{e.LineNumber + 1}:{e.BytePositionInLine + 1}: malformed JSON: {e.Message.Split(" Path:")[0]}", e);
        }
    }

    /// <summary>Hex SHA-256 of UTF-8 text.</summary>
    /// <param name="text">The text.</param>
    public static string Sha256(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
