using System.Text.Json.Nodes;
using DluxShera.Contracts;
using DluxShera.Figures;

namespace DluxShera.Host.Sampling;

/// <summary>
/// Reads a sampling run's samples.npz and meta.json into the posterior figures' input, choosing the parameters to plot:
/// <c>run.posterior_parameters</c> (names or IndexMap blocks), else the <c>astrometry</c> block, else the first six.
/// </summary>
public static class PosteriorFigureInput
{
    /// <summary>The most parameters a trace/rank/marginal grid shows.</summary>
    public const int MaxChosen = 8;

    /// <summary>The draws to plot, or null when the run has no samples.</summary>
    /// <param name="reader">The run.</param>
    /// <param name="meta">Its meta.json.</param>
    public static PosteriorDraws? Load(IRunReader reader, JsonObject meta)
    {
        if (reader.LoadArrays(DluxShera.Artifacts.RunLayout.Samples) is not { } samples) return null;
        // Reparameterised runs also store the draws decoded to primitive values: plot those, with primitive names.
        bool decoded = samples.ContainsKey("primitive");
        var theta = decoded ? samples["primitive"] : samples["theta"];
        int chains = theta.Shape[0], draws = theta.Shape[1], d = theta.Shape[2];
        var entries = meta["theta"]?[decoded ? "primitive_index_map" : "index_map"]?["entries"]?.AsArray() ?? [];
        var names = new List<string>();
        var blocks = new List<string>();
        foreach (var e in entries)
        {
            int start = e!["start"]!.GetValue<int>(), stop = e["stop"]!.GetValue<int>();
            string name = e["name"]!.GetValue<string>(), block = e["block"]?.GetValue<string>() ?? "";
            for (int i = start; i < stop; i++)
            {
                names.Add(stop - start == 1 ? name : $"{name}[{i - start}]");
                blocks.Add(block);
            }
        }
        if (names.Count != d) names = Enumerable.Range(0, d).Select(i => $"theta[{i}]").ToList();
        double[]? truth = meta["theta"]?["truth"] is JsonArray t && t.Count == d ? t.Select(v => v?.GetValue<double>() ?? double.NaN).ToArray() : null;
        var chosen = Choose(meta["run"]?["spec"]?["run"]?["posterior_parameters"] as JsonArray, names, blocks);
        var energy = samples.TryGetValue("energy", out var en) ? en.ToDoubles() : null;
        return new PosteriorDraws(theta.ToDoubles(), chains, draws, names, chosen, truth, energy);
    }

    private static List<int> Choose(JsonArray? requested, List<string> names, List<string> blocks)
    {
        var chosen = new List<int>();
        if (requested is not null)
        {
            foreach (string want in requested.Select(n => n!.GetValue<string>()))
            {
                for (int i = 0; i < names.Count; i++)
                {
                    if (names[i] == want || blocks[i] == want || names[i].StartsWith(want + "[", StringComparison.Ordinal)) chosen.Add(i);
                }
            }
        }
        if (chosen.Count == 0) chosen = Enumerable.Range(0, names.Count).Where(i => blocks[i] == "astrometry").ToList();
        if (chosen.Count == 0) chosen = Enumerable.Range(0, Math.Min(6, names.Count)).ToList();
        return chosen.Distinct().Take(MaxChosen).ToList();
    }
}
