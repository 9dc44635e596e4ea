using System.Text.Json.Nodes;
using DluxShera.Artifacts;
using DluxShera.Contracts;
using DluxShera.Host.Components;
using DluxShera.Numpy;

namespace DluxShera.Host.Runs;

/// <summary>
/// <c>dluxshera simulate &lt;spec&gt; [--out DIR]</c>: builds the spec's objective, which simulates its data
/// from the truth with recorded seeds, and writes <c>data.npz</c> (image, variance, noise_seed) and
/// <c>truth.json</c>. A run then fits them with <c>objective.options.data = {"source": "file", "path": …}</c>.
/// </summary>
public static class SimulateCommand
{
    /// <summary>Writes the simulated data.</summary>
    /// <param name="catalog">Registered components.</param>
    /// <param name="specFile">The run spec.</param>
    /// <param name="overrides"><c>--set</c> assignments.</param>
    /// <param name="outDirectory">Output directory.</param>
    /// <param name="overwrite">Replace existing data.npz / truth.json (refused otherwise).</param>
    /// <param name="o">Output.</param>
    public static int Execute(ComponentCatalog catalog, string specFile, IReadOnlyList<string> overrides, string outDirectory, bool overwrite, TextWriter o)
    {
        var (spec, objective) = SpecObjective.Create(catalog, specFile, overrides);
        if (objective is not ISimulatingObjective simulating || !simulating.IsSimulated)
        {
            throw new BadInputException($"{specFile}: objective '{objective.Name}' does not simulate data (it must implement ISimulatingObjective with a simulated data source).");
        }
        WritableDirectory.Require(outDirectory, "simulate --out");
        string data = Path.GetFullPath(Path.Combine(outDirectory, "data.npz"));
        string truth = Path.GetFullPath(Path.Combine(outDirectory, "truth.json"));
        if (!overwrite && new[] { data, truth }.FirstOrDefault(File.Exists) is { } existing)
        {
            throw new BadInputException($"{existing} already exists; pass --overwrite to replace it, or choose another --out.");
        }
        NpzFile.Save(data, simulating.SimulatedData);
        var description = simulating.DescribeTruth();
        description["spec_file"] = Path.GetFullPath(specFile);
        description["overrides"] = new JsonArray(overrides.Select(s => (JsonNode)s).ToArray());
        AtomicFile.WriteText(truth, description.ToJsonString(JsonNumbers.Indented) + "\n");
        o.WriteLine(data);
        o.WriteLine(truth);
        return ExitCodes.Ok;
    }
}
