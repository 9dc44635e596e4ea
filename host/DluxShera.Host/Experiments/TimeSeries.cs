using System.Globalization;
using System.Text.Json.Nodes;

namespace DluxShera.Host.Experiments;

/// <summary>
/// The <c>time_series</c> block: ordered <c>epochs</c>, each <c>{"name": ..., "set": {...}}</c> (its
/// <c>set</c> as in the experiment's top level, with <c>{"path": P, "file": F}</c> items for data files),
/// and <c>warm_start</c>: <c>{"theta": true, "curvature": false}</c> — each epoch after the first starts from
/// the previous epoch's best checkpoint (<c>run.init_from</c>) and, with curvature, its curvature.npz
/// (<c>optimizer.options.init_from</c>, for optimizers that take one, e.g. preconditioned_gd).
/// </summary>
internal static class TimeSeries
{
    public static (IReadOnlyList<ExperimentPoint> Points, JsonNode Epochs, bool WarmTheta, bool WarmCurvature) Read(JsonNode? node, string dir, List<string> errors)
    {
        if (node is not JsonObject series || series["epochs"] is not JsonArray epochs || epochs.Count == 0)
        {
            errors.Add("time_series: expected {\"epochs\": [{\"name\": ..., \"set\": {...}}, ...], \"warm_start\": {\"theta\": true, \"curvature\": false}} with at least one epoch");
            return ([], new JsonArray(), false, false);
        }
        foreach (var (key, _) in series)
        {
            if (key is not "epochs" and not "warm_start") errors.Add($"time_series: unknown key '{key}' (known: epochs, warm_start)");
        }
        bool warmTheta = true, warmCurvature = false;
        if (series["warm_start"] is JsonObject warm)
        {
            foreach (var (key, value) in warm)
            {
                bool flag = value is JsonValue v && v.TryGetValue<bool>(out bool b) ? b : Bad(errors, $"time_series.warm_start.{key}: expected true or false");
                if (key == "theta") warmTheta = flag;
                else if (key == "curvature") warmCurvature = flag;
                else errors.Add($"time_series.warm_start: unknown key '{key}' (known: theta, curvature)");
            }
        }
        else if (series["warm_start"] is not null)
        {
            errors.Add("time_series.warm_start: expected {\"theta\": bool, \"curvature\": bool}");
        }

        var points = new List<ExperimentPoint>();
        var described = new JsonArray();
        var names = new HashSet<string>();
        for (int i = 0; i < epochs.Count; i++)
        {
            string w = $"time_series.epochs[{i}]";
            if (epochs[i] is not JsonObject epoch)
            {
                errors.Add($"{w}: expected {{\"name\": ..., \"set\": ...}}");
                continue;
            }
            foreach (var (key, _) in epoch)
            {
                if (key is not "name" and not "set") errors.Add($"{w}: unknown key '{key}' (known: name, set)");
            }
            string? name = epoch["name"] is JsonValue nv && nv.TryGetValue<string>(out var n) ? n : null;
            if (name is not null && (Artifacts.RunIds.Problem(name) is not null || name.Any(c => !char.IsAsciiLetterOrDigit(c) && c is not '.' and not '_' and not '-')))
            {
                errors.Add($"{w}.name: '{name}' must use letters, digits, '.', '_' and '-' only (it becomes part of the run id)");
                name = null;
            }
            if (name is not null && !names.Add(name)) errors.Add($"{w}.name: '{name}' is used by an earlier epoch");
            var datasets = new List<DatasetFile>();
            var assignments = ExperimentSpec.ReadSetBlock(epoch["set"], dir, w + ".set", errors, datasets);
            string runId = $"e{i.ToString("D3", CultureInfo.InvariantCulture)}" + (name is null ? "" : "-" + name);
            points.Add(new ExperimentPoint(i, runId, assignments, datasets, i > 0 && (warmTheta || warmCurvature) ? points[^1].RunId : null));
            described.Add(new JsonObject
            {
                ["name"] = name,
                ["set"] = new JsonArray(assignments.Select(a => (JsonNode)new JsonObject { ["path"] = a.Path.ToJson(), ["value"] = a.Value?.DeepClone() }).ToArray()),
            });
        }
        return (points, described, warmTheta, warmCurvature);
    }

    private static bool Bad(List<string> errors, string message)
    {
        errors.Add(message);
        return false;
    }
}
