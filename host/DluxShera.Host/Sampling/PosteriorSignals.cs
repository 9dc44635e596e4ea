using System.Text.Json.Nodes;
using DluxShera.Artifacts;
using DluxShera.Contracts;
using DluxShera.Host.Components;
using DluxShera.Posterior;

namespace DluxShera.Host.Sampling;

/// <summary>
/// The ensemble signals of a sampling run: the run's signal recipe applied to every post-warm-up draw (all chains
/// pooled as one "trace"), so each signal — e.g. <c>binary.separation_error_uas</c> — gets a posterior. Writes
/// <c>posterior_signals.npz</c> (each signal shaped (chains, draws[, K])) and returns the summary table
/// (mean, sd, q5, q50, q95 per signal component).
/// </summary>
public static class PosteriorSignals
{
    /// <summary>The signals file.</summary>
    public const string File = "posterior_signals.npz";

    /// <summary>Vector signals with more components than this get no per-component summary rows (the file still has them).</summary>
    public const int MaxComponents = 16;

    /// <summary>Builds the posterior signals.</summary>
    /// <param name="catalog">The recipes.</param>
    /// <param name="recipe">The recipe (name and options), or null to choose it as <c>plot</c> does (shera for SHERA runs, else generic).</param>
    /// <param name="meta">The run's meta.json.</param>
    /// <param name="samples">samples.npz arrays.</param>
    /// <param name="artifacts">Where posterior_signals.npz goes.</param>
    /// <param name="decoder">Decodes θ-space draws to primitive values.</param>
    /// <param name="truth">The true primitive parameters, or null.</param>
    public static JsonArray Build(ComponentCatalog catalog, ComponentReference? recipe, JsonObject meta, IReadOnlyDictionary<string, NdArray> samples, IRunArtifacts artifacts,
        IThetaDecoder decoder, double[]? truth)
    {
        var theta = samples["theta"];
        int chains = theta.Shape[0], draws = theta.Shape[1], d = theta.Shape[2], total = chains * draws;
        var trace = new TraceData
        {
            Loss = samples["log_prob"].ToDoubles().Select(v => -v).ToArray(),
            Theta = theta.ToDoubles(),
            Dimension = d,
        };
        string objective = meta["objective"]?["name"]?.GetValue<string>() ?? "";
        var chosen = recipe ?? new ComponentReference
        {
            Name = objective.StartsWith("shera.", StringComparison.Ordinal) && catalog.Has(ComponentKinds.Signals, "shera") ? "shera" : "generic",
        };
        var set = catalog.Create<ISignalRecipe>(ComponentKinds.Signals, chosen, "run.signals").Build(new SignalContext { Trace = trace, Meta = meta, Decoder = decoder, Truth = truth });

        var table = new JsonArray();
        var arrays = new Dictionary<string, NdArray>();
        foreach (var signal in set.Signals.Where(s => s.Shape.Length >= 1 && s.Shape[0] == total && s.Name != "loss"))
        {
            int k = signal.Shape.Length > 1 ? signal.Shape[1] : 1;
            arrays[signal.Name] = k == 1 ? new NdArray(signal.Values, chains, draws) : new NdArray(signal.Values, chains, draws, k);
            if (k > MaxComponents) continue;
            for (int c = 0; c < k; c++)
            {
                var values = new double[total];
                for (int t = 0; t < total; t++) values[t] = signal.Values[t * k + c];
                if (values.Any(v => !double.IsFinite(v))) continue;
                var sorted = (double[])values.Clone();
                Array.Sort(sorted);
                table.Add(new JsonObject
                {
                    ["name"] = k == 1 ? signal.Name : $"{signal.Name}[{c}]",
                    ["unit"] = signal.Unit,
                    ["mean"] = JsonNumbers.Number(values.Average()),
                    ["sd"] = JsonNumbers.Number(total > 1 ? McmcDiagnostics.StandardDeviation(values) : double.NaN),
                    ["q5"] = JsonNumbers.Number(McmcDiagnostics.SortedQuantile(sorted, 0.05)),
                    ["q50"] = JsonNumbers.Number(McmcDiagnostics.SortedQuantile(sorted, 0.5)),
                    ["q95"] = JsonNumbers.Number(McmcDiagnostics.SortedQuantile(sorted, 0.95)),
                });
            }
        }
        if (arrays.Count > 0) artifacts.WriteArrays(File, arrays);
        return table;
    }
}
