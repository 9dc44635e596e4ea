using System.Globalization;
using System.Text.Json.Nodes;
using DluxShera.Artifacts;

namespace DluxShera.Host.Experiments;

/// <summary><c>experiments/&lt;name&gt;/manifest.json</c>: created by the first run of an experiment.</summary>
public static class ExperimentManifest
{
    /// <summary>The experiment schema identifier.</summary>
    public const string Schema = "dluxshera-experiment-v0";

    /// <summary>Creates the experiment directory and its manifest unless they exist (safe when runs start in parallel).</summary>
    /// <param name="experimentDirectory">The experiment directory.</param>
    /// <param name="name">The experiment name.</param>
    /// <param name="description">The spec's description.</param>
    /// <param name="settings">Sweep/time-series settings and dataset identifiers from the spec, or null.</param>
    public static void Ensure(string experimentDirectory, string name, string? description, JsonObject? settings)
    {
        Directory.CreateDirectory(Path.Combine(experimentDirectory, "runs"));
        string path = Path.Combine(experimentDirectory, "manifest.json");
        if (File.Exists(path)) return;
        var manifest = new JsonObject
        {
            ["experiment_schema"] = Schema,
            ["name"] = name,
            ["created_at"] = RunIds.Timestamp(DateTimeOffset.UtcNow),
            ["description"] = description,
            ["settings"] = settings?.DeepClone() ?? new JsonObject(),
        };
        string temp = DluxShera.Numpy.StaleTemporaries.TemporaryPath(path); // removed by the next reader if this process dies
        File.WriteAllText(temp, manifest.ToJsonString(JsonNumbers.Indented) + "\n");
        try
        {
            File.Move(temp, path, overwrite: false); // the first run wins; later runs keep its manifest
        }
        catch (IOException) when (File.Exists(path))
        {
            File.Delete(temp);
        }
    }
}
