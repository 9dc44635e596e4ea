using System.Text.Json.Nodes;
using DluxShera.Artifacts;

namespace DluxShera.Host.Experiments;

/// <summary>
/// <c>dluxshera experiment status &lt;dir&gt;</c>: every point of the plan (or every run directory, for
/// experiments made by single runs) with its state — ok, failed, running (a live process holds it),
/// pending — counted, and the points that are not ok listed with their message. Reads only; safe while
/// shards run.
/// </summary>
public static class StatusCommand
{
    /// <summary>Prints the status.</summary>
    /// <param name="experimentDirectory">The experiment directory.</param>
    /// <param name="json">Machine-readable output.</param>
    /// <param name="o">Output.</param>
    public static int Execute(string experimentDirectory, bool json, TextWriter o)
    {
        var layout = new ExperimentLayout(Path.GetFullPath(experimentDirectory));
        var rows = Points(layout).Select(id => (Id: id, State: RunState.OfPoint(layout, id))).ToList();
        var counts = rows.GroupBy(r => r.State.Status).ToDictionary(g => g.Key, g => g.Count());
        if (json)
        {
            var doc = new JsonObject
            {
                ["experiment"] = layout.Directory,
                ["points"] = rows.Count,
                ["counts"] = new JsonObject(counts.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))),
                ["runs"] = new JsonArray(rows.Select(r => (JsonNode)new JsonObject
                {
                    ["run_id"] = r.Id,
                    ["status"] = r.State.Status,
                    ["message"] = r.State.Message,
                    ["loss_best"] = r.State.Summary?["loss_best"]?.DeepClone(),
                }).ToArray()),
            };
            o.WriteLine(doc.ToJsonString(JsonNumbers.Indented));
            return ExitCodes.Ok;
        }
        o.WriteLine($"experiment {layout.Directory}");
        o.WriteLine($"{rows.Count} points: " + string.Join(", ", new[] { "ok", "failed", "running", "pending", "unreadable" }
            .Select(s => $"{counts.GetValueOrDefault(s)} {s}")));
        foreach (var (id, state) in rows.Where(r => r.State.Status != "ok"))
        {
            o.WriteLine($"  {id,-28} {state.Status,-10} {state.Message}");
        }
        return ExitCodes.Ok;
    }

    /// <summary>The run ids of an experiment: the plan's points in order, then any other run directories.</summary>
    /// <param name="layout">The experiment.</param>
    public static IReadOnlyList<string> Points(ExperimentLayout layout)
    {
        if (!File.Exists(layout.Manifest) && !Directory.Exists(layout.Runs))
        {
            throw new BadInputException($"{layout.Directory}: not an experiment directory (no manifest.json, no runs/).");
        }
        var ids = new List<string>();
        if (File.Exists(layout.Manifest))
        {
            try
            {
                if (JsonNode.Parse(File.ReadAllText(layout.Manifest))?["points"] is JsonArray points)
                {
                    ids.AddRange(points.Select(p => p?["run_id"]?.GetValue<string>()).OfType<string>());
                }
            }
            catch (System.Text.Json.JsonException e)
            {
                throw new BadInputException($"{layout.Manifest}: not valid JSON ({e.Message}).", e);
            }
        }
        if (Directory.Exists(layout.Runs))
        {
            var planned = ids.ToHashSet();
            ids.AddRange(Directory.GetDirectories(layout.Runs).Select(Path.GetFileName).OfType<string>()
                .Where(id => !planned.Contains(id)).Order(StringComparer.Ordinal));
        }
        return ids;
    }
}
