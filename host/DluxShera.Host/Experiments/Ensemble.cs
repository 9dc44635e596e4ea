using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using DluxShera.Artifacts;
using DluxShera.Figures;
using DluxShera.Numpy;

namespace DluxShera.Host.Experiments;

/// <summary>One fitted parameter across the ok runs of an experiment (from each summary.json's <c>parameters</c>).</summary>
/// <param name="Name">The parameter (IndexMap name, with [i] for vector entries).</param>
/// <param name="RunIds">The runs, in plan order.</param>
/// <param name="Best">Best values.</param>
/// <param name="Truth">Truth (NaN when the objective does not know it).</param>
/// <param name="Sigma">1σ from the inverse Hessian (NaN without <c>run.uncertainty</c>).</param>
public sealed record ParameterSeries(string Name, List<string> RunIds, List<double> Best, List<double> Truth, List<double> Sigma)
{
    /// <summary>best − truth.</summary>
    public IEnumerable<double> Errors => Best.Zip(Truth, (b, t) => b - t);

    /// <summary>(best − truth)/σ.</summary>
    public IEnumerable<double> Pulls => Best.Select((b, i) => (b - Truth[i]) / Sigma[i]);
}

/// <summary>
/// The ensemble answer of an experiment, written by <c>experiment aggregate</c> beside table.csv: for each
/// parameter the error distribution and the pulls (best − truth)/σ against N(0, 1) (mean, scatter, KS and χ²
/// tests) in <c>ensemble.csv</c>/<c>ensemble.json</c>, and the figures in <c>figures/</c>: pulls per parameter,
/// pooled pull histogram with the N(0, 1) density, |error| against σ, and, for time series, each parameter
/// against epoch with 1σ error bars.
/// </summary>
public static class Ensemble
{
    /// <summary>Collects the parameters of the ok runs, in plan order.</summary>
    /// <param name="layout">The experiment.</param>
    public static (List<ParameterSeries> Parameters, int RunsUsed, List<string> RunsSkipped) Collect(ExperimentLayout layout)
    {
        var byName = new Dictionary<string, ParameterSeries>();
        var order = new List<string>();
        var skipped = new List<string>();
        int used = 0;
        foreach (string id in StatusCommand.Points(layout))
        {
            var state = RunState.OfPoint(layout, id);
            if (state.Status != "ok" || state.Summary?["parameters"] is not JsonArray parameters)
            {
                skipped.Add(id);
                continue;
            }
            used++;
            foreach (var p in parameters.OfType<JsonObject>())
            {
                string name = p["name"]?.GetValue<string>() ?? "?";
                if (!byName.TryGetValue(name, out var series))
                {
                    series = new ParameterSeries(name, [], [], [], []);
                    byName[name] = series;
                    order.Add(name);
                }
                series.RunIds.Add(id);
                series.Best.Add(JsonNumbers.ReadDouble(p["best"]));
                series.Truth.Add(JsonNumbers.ReadDouble(p["truth"]));
                series.Sigma.Add(JsonNumbers.ReadDouble(p["sigma"]));
            }
        }
        return (order.Select(n => byName[n]).ToList(), used, skipped);
    }

    /// <summary>Writes ensemble.csv, ensemble.json and the figures; returns the files written.</summary>
    /// <param name="layout">The experiment.</param>
    /// <param name="kind"><c>sweep</c> or <c>time_series</c>.</param>
    public static IReadOnlyList<string> Write(ExperimentLayout layout, string kind)
    {
        var (parameters, used, skipped) = Collect(layout);
        var files = new List<string>();
        if (parameters.Count == 0) return files;
        var rows = new JsonArray();
        var csv = new StringBuilder("parameter,n,error_mean,error_std,sigma_median,rms_error_over_median_sigma,pull_n,pull_mean,pull_mean_se,pull_std,pull_std_se,ks_statistic,ks_pvalue,pull_std_pvalue\n");
        foreach (var p in parameters)
        {
            var errors = p.Errors.Where(double.IsFinite).ToArray();
            var sigmas = p.Sigma.Where(double.IsFinite).Order().ToArray();
            double errorMean = errors.Length > 0 ? errors.Average() : double.NaN;
            double errorStd = errors.Length > 1 ? Math.Sqrt(errors.Sum(e => (e - errorMean) * (e - errorMean)) / (errors.Length - 1)) : double.NaN;
            double sigmaMedian = sigmas.Length > 0 ? (sigmas[(sigmas.Length - 1) / 2] + sigmas[sigmas.Length / 2]) / 2 : double.NaN;
            double rms = errors.Length > 0 ? Math.Sqrt(errors.Average(e => e * e)) / sigmaMedian : double.NaN;
            var pulls = PullStatistics.Of(p.Pulls);
            rows.Add(new JsonObject
            {
                ["name"] = p.Name,
                ["n"] = p.Best.Count,
                ["error_mean"] = JsonNumbers.Number(errorMean),
                ["error_std"] = JsonNumbers.Number(errorStd),
                ["sigma_median"] = JsonNumbers.Number(sigmaMedian),
                ["rms_error_over_median_sigma"] = JsonNumbers.Number(rms),
                ["pull"] = PullJson(pulls),
            });
            csv.AppendLine(string.Join(",", new[]
            {
                Quote(p.Name), p.Best.Count.ToString(CultureInfo.InvariantCulture), F(errorMean), F(errorStd), F(sigmaMedian), F(rms),
                pulls?.Count.ToString(CultureInfo.InvariantCulture) ?? "0", F(pulls?.Mean), F(pulls?.MeanStandardError), F(pulls?.Std),
                F(pulls?.StdStandardError), F(pulls?.KsStatistic), F(pulls?.KsPValue), F(pulls?.StdPValue),
            }));
        }
        var pooled = PullStatistics.Of(parameters.SelectMany(p => p.Pulls));
        var doc = new JsonObject
        {
            ["kind"] = kind,
            ["runs_used"] = used,
            ["runs_skipped"] = new JsonArray(skipped.Select(s => (JsonNode)s).ToArray()),
            ["pull_definition"] = "(best - truth) / sigma, sigma = 1-sigma from the inverse Hessian of the loss at the best point",
            ["pooled_pull"] = PullJson(pooled),
            ["parameters"] = rows,
        };
        string json = Path.Combine(layout.Directory, "ensemble.json");
        AtomicFile.WriteText(json, doc.ToJsonString(JsonNumbers.Indented) + "\n");
        string csvFile = Path.Combine(layout.Directory, "ensemble.csv");
        AtomicFile.WriteText(csvFile, csv.ToString());
        files.Add(csvFile);
        files.Add(json);
        files.AddRange(RenderFigures(parameters, pooled, kind, Path.Combine(layout.Directory, "figures")));
        return files;
    }

    private static List<string> RenderFigures(List<ParameterSeries> parameters, PullStatistics? pooled, string kind, string directory)
    {
        var data = parameters.Select(p => new EnsembleParameter(p.Name, [.. p.Best], [.. p.Truth], [.. p.Sigma])).ToList();
        // Figures of an earlier aggregate killed while drawing leave temporaries: they go before new ones are drawn.
        DluxShera.Numpy.StaleTemporaries.RemoveIn(directory);
        var files = new List<string>();
        bool hasPulls = pooled is not null;
        if (hasPulls)
        {
            string byParameter = Path.Combine(directory, "ensemble_pulls_by_parameter.svg");
            EnsembleFigures.PullsByParameter(data, byParameter);
            string pooledFile = Path.Combine(directory, "ensemble_pulls_pooled.svg");
            EnsembleFigures.PooledPullHistogram(data, string.Create(CultureInfo.InvariantCulture,
                $"mean {pooled!.Mean:F3} ± {pooled.MeanStandardError:F3}, scatter {pooled.Std:F3} ± {pooled.StdStandardError:F3}, KS p = {pooled.KsPValue:F3}"), pooledFile);
            string versus = Path.Combine(directory, "ensemble_error_vs_sigma.svg");
            EnsembleFigures.ErrorVersusSigma(data, versus);
            files.AddRange([byParameter, pooledFile, versus]);
        }
        if (kind == "time_series")
        {
            foreach (var (p, i) in data.Select((p, i) => (p, i)))
            {
                string file = Path.Combine(directory, $"timeseries_{i:00}_{Slug(p.Name)}.svg");
                EnsembleFigures.ParameterVersusEpoch(p, parameters[i].RunIds, file);
                files.Add(file);
            }
        }
        return files;
    }

    private static string Slug(string name) => new(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' ? c : '_').ToArray());

    private static JsonObject? PullJson(PullStatistics? s) => s is null ? null : new JsonObject
    {
        ["n"] = s.Count,
        ["mean"] = JsonNumbers.Number(s.Mean),
        ["mean_se"] = JsonNumbers.Number(s.MeanStandardError),
        ["std"] = JsonNumbers.Number(s.Std),
        ["std_se"] = JsonNumbers.Number(s.StdStandardError),
        ["ks_statistic"] = JsonNumbers.Number(s.KsStatistic),
        ["ks_pvalue"] = JsonNumbers.Number(s.KsPValue),
        ["std_pvalue"] = JsonNumbers.Number(s.StdPValue),
    };

    private static string F(double? v) => v is { } x && double.IsFinite(x) ? x.ToString("R", CultureInfo.InvariantCulture) : "";

    private static string Quote(string s) => s.IndexOfAny([',', '"', '\n']) >= 0 ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;
}
