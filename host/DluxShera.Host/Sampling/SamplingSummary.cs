using System.Text.Json.Nodes;
using DluxShera.Artifacts;
using DluxShera.Contracts;
using DluxShera.Posterior;

namespace DluxShera.Host.Sampling;

/// <summary>
/// summary.json's <c>posterior</c> table (ArviZ names) and <c>sampler_stats</c> (divergences, max-tree-depth hits,
/// E-BFMI, mean acceptance and step size per chain), computed from the arrays of samples.npz alone so that any
/// sampler plugin gets them and <c>plot</c> can rebuild them.
/// </summary>
public static class SamplingSummary
{
    /// <summary>The θ names, one per index (vector entries as <c>name[i]</c>).</summary>
    /// <param name="map">The IndexMap.</param>
    public static string[] ParameterNames(IndexMap map) =>
        map.Entries.SelectMany(e => Enumerable.Range(0, e.Length).Select(i => e.Length == 1 ? e.Name : $"{e.Name}[{i}]")).ToArray();

    /// <summary>The posterior table.</summary>
    /// <param name="samples">samples.npz arrays.</param>
    /// <param name="names">θ names.</param>
    /// <param name="truth">The truth, or null (adds <c>truth</c> and <c>z_truth</c> = (mean − truth)/sd).</param>
    public static JsonArray Posterior(IReadOnlyDictionary<string, NdArray> samples, IReadOnlyList<string> names, double[]? truth)
    {
        var theta = samples["theta"];
        int chains = theta.Shape[0], draws = theta.Shape[1];
        var table = new JsonArray();
        if (chains * draws < 4) return table;
        var rows = PosteriorTable.Build(theta.ToDoubles(), chains, draws, names);
        for (int i = 0; i < rows.Count; i++)
        {
            var r = rows[i];
            var row = new JsonObject
            {
                ["name"] = r.Name,
                ["mean"] = JsonNumbers.Number(r.Mean),
                ["sd"] = JsonNumbers.Number(r.Sd),
                ["mcse_mean"] = JsonNumbers.Number(r.McseMean),
                ["mcse_sd"] = JsonNumbers.Number(r.McseSd),
                ["q5"] = JsonNumbers.Number(r.Q5),
                ["q50"] = JsonNumbers.Number(r.Q50),
                ["q95"] = JsonNumbers.Number(r.Q95),
                ["ess_bulk"] = JsonNumbers.Number(r.EssBulk),
                ["ess_tail"] = JsonNumbers.Number(r.EssTail),
                ["r_hat"] = JsonNumbers.Number(r.RHat),
            };
            if (truth is not null)
            {
                row["truth"] = JsonNumbers.Number(truth[i]);
                row["z_truth"] = JsonNumbers.Number((r.Mean - truth[i]) / r.Sd);
            }
            table.Add(row);
        }
        return table;
    }

    /// <summary>Sampler statistics per chain and in total.</summary>
    /// <param name="samples">samples.npz arrays.</param>
    /// <param name="maxTreeDepth">The sampler's maximum tree depth, or null (HMC).</param>
    public static JsonObject SamplerStats(IReadOnlyDictionary<string, NdArray> samples, int? maxTreeDepth)
    {
        var diverging = (bool[])samples["diverging"].Data;
        var depth = (long[])samples["tree_depth"].Data;
        var leapfrog = (long[])samples["n_leapfrog"].Data;
        var energy = samples["energy"].ToDoubles();
        var accept = samples["accept_stat"].ToDoubles();
        var step = samples["step_size"].ToDoubles();
        int chains = samples["energy"].Shape[0], n = samples["energy"].Shape[1];
        var divergences = new JsonArray();
        var depthHits = new JsonArray();
        var ebfmi = new JsonArray();
        var meanAccept = new JsonArray();
        var stepSizes = new JsonArray();
        long totalDivergences = 0, totalHits = 0;
        for (int c = 0; c < chains; c++)
        {
            int div = 0, hits = 0;
            double acc = 0;
            for (int t = 0; t < n; t++)
            {
                int k = c * n + t;
                if (diverging[k]) div++;
                if (maxTreeDepth is { } max && depth[k] >= max) hits++;
                acc += accept[k];
            }
            totalDivergences += div;
            totalHits += hits;
            divergences.Add(div);
            depthHits.Add(hits);
            ebfmi.Add(JsonNumbers.Number(McmcDiagnostics.EBfmi(energy.AsSpan(c * n, n))));
            meanAccept.Add(JsonNumbers.Number(n > 0 ? acc / n : double.NaN));
            stepSizes.Add(JsonNumbers.Number(n > 0 ? step[c * n] : double.NaN));
        }
        return new JsonObject
        {
            ["chains"] = chains,
            ["draws_per_chain"] = n,
            ["divergences"] = totalDivergences,
            ["divergences_per_chain"] = divergences,
            ["max_tree_depth"] = maxTreeDepth,
            ["max_tree_depth_hits"] = totalHits,
            ["max_tree_depth_hits_per_chain"] = depthHits,
            ["ebfmi_per_chain"] = ebfmi,
            ["mean_accept_stat_per_chain"] = meanAccept,
            ["step_size_per_chain"] = stepSizes,
            ["n_leapfrog_total"] = leapfrog.Sum(),
        };
    }
}
