using System.Globalization;
using System.Text.Json.Nodes;
using DluxShera.Artifacts;
using DluxShera.Host.Runs;
using DluxShera.Numpy;

namespace DluxShera.Host.Experiments;

/// <summary>
/// Turns an <see cref="ExperimentSpec"/> into an experiment directory: manifest.json (axes, points, dataset
/// hashes, base spec hash, workbench build) and one effective run spec per point. Safe to call from many
/// shards at once: every file it writes has deterministic content and is renamed into place atomically, and
/// an existing manifest from a different plan is refused instead of being mixed with.
/// </summary>
public static class ExperimentPlan
{
    /// <summary>Creates or checks the experiment directory and writes the point specs.</summary>
    /// <param name="spec">The experiment.</param>
    /// <param name="layout">Where.</param>
    /// <exception cref="BadInputException">The directory holds another plan, or a point spec does not bind.</exception>
    public static void Prepare(ExperimentSpec spec, ExperimentLayout layout)
    {
        Directory.CreateDirectory(layout.Runs);
        Directory.CreateDirectory(layout.Specs);
        Directory.CreateDirectory(layout.Logs);
        var plan = PlanJson(spec);
        string planHash = ExperimentSpec.Sha256(plan.ToJsonString());
        WriteOrCheckManifest(spec, layout, plan, planHash);

        var errors = new List<string>();
        foreach (var point in spec.Points)
        {
            string file = layout.SpecFile(point.RunId);
            string text = PointSpec(spec, layout, point).ToJsonString(JsonNumbers.Indented) + "\n";
            if (!File.Exists(file) || File.ReadAllText(file) != text) AtomicFile.WriteText(file, text);
            try
            {
                RunSpecLoader.Load(file, []);
            }
            catch (BadInputException e)
            {
                errors.Add(e.Message);
            }
        }
        if (errors.Count > 0)
        {
            throw new BadInputException($"{spec.SpecFile}: the run specs of {errors.Count} point(s) do not bind:\n  " + string.Join("\n  ", errors.Distinct().Take(20)));
        }
    }

    /// <summary>The effective run spec of one point: base, point assignments, and the run block the experiment owns.</summary>
    /// <param name="spec">The experiment.</param>
    /// <param name="layout">Where.</param>
    /// <param name="point">The point.</param>
    public static JsonObject PointSpec(ExperimentSpec spec, ExperimentLayout layout, ExperimentPoint point)
    {
        var json = (JsonObject)spec.BaseSpec.DeepClone();
        var errors = new List<string>();
        foreach (var a in point.Assignments) ExperimentSpec.Apply(json, a, errors);
        if (errors.Count > 0) throw new BadInputException($"{spec.SpecFile}: point {point.RunId}: {string.Join("; ", errors)}");
        if (json["run"] is not JsonObject run)
        {
            run = new JsonObject();
            json["run"] = run;
        }
        run["id"] = point.RunId;
        run["experiment"] = spec.Name;
        run["experiment_root"] = Path.GetDirectoryName(Path.GetFullPath(layout.Directory));
        run["experiment_settings"] = null;
        run["figures"] = spec.Figures;
        run["overwrite"] = false;
        if (point.WarmStartFrom is { } previous)
        {
            string previousRun = Path.GetFullPath(layout.RunDirectory(previous));
            if (spec.WarmStartTheta) run["init_from"] = previousRun;
            if (spec.WarmStartCurvature) new SpecPath(["optimizer", "options", "init_from"]).Set(json, JsonValue.Create(previousRun));
        }
        return json;
    }

    // What defines the experiment's results; shards and resumptions must agree on it.
    private static JsonObject PlanJson(ExperimentSpec spec) => new()
    {
        ["name"] = spec.Name,
        ["kind"] = spec.Kind,
        ["base_spec"] = spec.BaseSpec.DeepClone(),
        ["axes"] = spec.Axes.DeepClone(),
        ["warm_start"] = spec.Kind == "time_series" ? new JsonObject { ["theta"] = spec.WarmStartTheta, ["curvature"] = spec.WarmStartCurvature } : null,
        ["points"] = new JsonArray(spec.Points.Select(p => (JsonNode)new JsonObject
        {
            ["index"] = p.Index,
            ["run_id"] = p.RunId,
            ["set"] = new JsonArray(p.Assignments.Select(a => (JsonNode)new JsonObject { ["path"] = a.Path.ToJson(), ["value"] = a.Value?.DeepClone() }).ToArray()),
            ["datasets"] = new JsonArray(p.Datasets.Select(d => (JsonNode)new JsonObject { ["path"] = d.Path, ["sha256"] = d.Sha256, ["bytes"] = d.Bytes }).ToArray()),
            ["warm_start_from"] = p.WarmStartFrom,
        }).ToArray()),
    };

    private static void WriteOrCheckManifest(ExperimentSpec spec, ExperimentLayout layout, JsonObject plan, string planHash)
    {
        if (File.Exists(layout.Manifest))
        {
            JsonNode? existing;
            try
            {
                existing = JsonNode.Parse(File.ReadAllText(layout.Manifest));
            }
            catch (System.Text.Json.JsonException e)
            {
                throw new BadInputException($"{layout.Manifest}: not valid JSON ({e.Message}); remove it or choose another --out.", e);
            }
            string? found = existing?["plan_sha256"]?.GetValue<string>();
            if (found == planHash) return;
            throw new BadInputException(found is null
                ? $"{layout.Manifest}: this experiment directory was made by single runs (run.experiment), not by 'experiment run'; choose another --out or experiment name."
                : $"{layout.Manifest}: this experiment directory holds another plan (plan_sha256 {found[..12]}…, this spec gives {planHash[..12]}…); its runs would not match. Choose another --out or experiment name, or delete the directory.");
        }
        var git = Provenance.Git(Path.GetDirectoryName(spec.SpecFile)!);
        var manifest = new JsonObject
        {
            ["experiment_schema"] = ExperimentManifest.Schema,
            ["name"] = spec.Name,
            ["description"] = spec.Description,
            ["created_at"] = DateTimeOffset.UtcNow.ToString("o", CultureInfo.InvariantCulture),
            ["kind"] = spec.Kind,
            ["spec_file"] = spec.SpecFile,
            ["base_spec_source"] = spec.BaseSource,
            ["base_spec_sha256"] = spec.BaseSpecSha256,
            ["plan_sha256"] = planHash,
            ["workbench"] = new JsonObject
            {
                ["host_version"] = typeof(ExperimentPlan).Assembly.GetName().Version?.ToString(3),
                ["contract_version"] = Contracts.ContractVersion.Text,
                ["git_commit"] = git["commit"]?.DeepClone(),
                ["git_dirty"] = git["dirty"]?.DeepClone(),
            },
            ["point_count"] = spec.Points.Count,
            ["figures"] = spec.Figures,
        };
        foreach (var (key, value) in plan)
        {
            if (!manifest.ContainsKey(key)) manifest[key] = value?.DeepClone();
        }
        string temp = DluxShera.Numpy.StaleTemporaries.TemporaryPath(layout.Manifest); // removed by the next reader if this process dies
        File.WriteAllText(temp, manifest.ToJsonString(JsonNumbers.Indented) + "\n");
        try
        {
            File.Move(temp, layout.Manifest, overwrite: false); // the first shard wins; the others checked the same plan hash
        }
        catch (IOException) when (File.Exists(layout.Manifest))
        {
            File.Delete(temp);
            WriteOrCheckManifest(spec, layout, plan, planHash);
        }
    }
}
