using System.Globalization;
using ScottPlot;

namespace DluxShera.Figures;

/// <summary>One parameter across an ensemble of runs, as the ensemble figures need it (NaN where unknown).</summary>
/// <param name="Name">The parameter.</param>
/// <param name="Best">Best values, in plan (epoch) order.</param>
/// <param name="Truth">Truth values.</param>
/// <param name="Sigma">1σ values.</param>
public sealed record EnsembleParameter(string Name, double[] Best, double[] Truth, double[] Sigma);

/// <summary>
/// The ensemble figures of <c>experiment aggregate</c>, as SVG (embeddable in the HTML report): pulls per
/// parameter against the N(0, 1) band, the pooled pull histogram with the N(0, 1) density, |best − truth|
/// against σ (log–log, with the |error| = σ line), and, for time series, each parameter against epoch with
/// 1σ error bars (truth dashed when known).
/// </summary>
public static class EnsembleFigures
{
    /// <summary>Pulls (best − truth)/σ of every run, one column per parameter, with mean ± scatter and the ±1 lines.</summary>
    /// <param name="parameters">The parameters.</param>
    /// <param name="file">The SVG to write.</param>
    public static void PullsByParameter(IReadOnlyList<EnsembleParameter> parameters, string file)
    {
        FigureRenderer.UseShippedFont();
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        for (int j = 0; j < parameters.Count; j++)
        {
            var pulls = Pulls(parameters[j]);
            if (pulls.Length == 0) continue;
            // A small deterministic horizontal spread keeps coincident points visible.
            var xs = pulls.Select((_, i) => j + 0.25 * ((i % 7) / 6.0 - 0.5)).ToArray();
            var points = plot.Add.ScatterPoints(xs, pulls, palette.GetColor(0).WithAlpha(0.5));
            points.MarkerSize = 4;
            double mean = pulls.Average();
            double std = pulls.Length > 1 ? Math.Sqrt(pulls.Sum(v => (v - mean) * (v - mean)) / (pulls.Length - 1)) : 0;
            var bar = plot.Add.ErrorBar([j + 0.3], [mean], [std]);
            bar.Color = palette.GetColor(3);
            bar.LineWidth = 2;
            var centre = plot.Add.ScatterPoints(new[] { j + 0.3 }, new[] { mean }, palette.GetColor(3));
            centre.MarkerSize = 7;
        }
        foreach (double y in new[] { -1.0, 0.0, 1.0 })
        {
            var line = plot.Add.HorizontalLine(y);
            line.LinePattern = y == 0 ? LinePattern.Solid : LinePattern.Dashed;
            line.Color = Colors.Black.WithAlpha(0.5);
            line.LineWidth = 1;
        }
        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, parameters.Count).Select(i => (double)i).ToArray(), parameters.Select(p => p.Name).ToArray());
        plot.Axes.Bottom.TickLabelStyle.Rotation = -40;
        plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.UpperRight;
        plot.Axes.Bottom.MinimumSize = 120;
        plot.Title("pulls (best − truth)/σ: runs, mean ± scatter (red), N(0, 1) ±1 dashed", size: 13);
        plot.YLabel("pull");
        Save(plot, file, Math.Max(640, 60 * parameters.Count + 160), 480);
    }

    /// <summary>The pooled pull histogram (density) with the N(0, 1) density.</summary>
    /// <param name="parameters">The parameters.</param>
    /// <param name="summary">A line of statistics for the title.</param>
    /// <param name="file">The SVG to write.</param>
    public static void PooledPullHistogram(IReadOnlyList<EnsembleParameter> parameters, string summary, string file)
    {
        FigureRenderer.UseShippedFont();
        var pulls = parameters.SelectMany(Pulls).ToArray();
        var plot = new Plot();
        double lo = Math.Min(-4, Math.Floor(pulls.DefaultIfEmpty(0).Min())), hi = Math.Max(4, Math.Ceiling(pulls.DefaultIfEmpty(0).Max()));
        int bins = Math.Clamp((int)Math.Round(Math.Sqrt(pulls.Length) * 1.5), 8, 40);
        double width = (hi - lo) / bins;
        var counts = new double[bins];
        foreach (double v in pulls) counts[Math.Clamp((int)((v - lo) / width), 0, bins - 1)]++;
        var centres = Enumerable.Range(0, bins).Select(i => lo + (i + 0.5) * width).ToArray();
        var density = counts.Select(c => pulls.Length > 0 ? c / (pulls.Length * width) : 0).ToArray();
        var bars = plot.Add.Bars(centres, density);
        foreach (var b in bars.Bars)
        {
            b.Size = width * 0.95;
            b.FillColor = new ScottPlot.Palettes.Category10().GetColor(0).WithAlpha(0.6);
            b.LineWidth = 0;
        }
        var xs = Enumerable.Range(0, 201).Select(i => lo + (hi - lo) * i / 200.0).ToArray();
        var normal = plot.Add.ScatterLine(xs, xs.Select(x => Math.Exp(-0.5 * x * x) / Math.Sqrt(2 * Math.PI)).ToArray(), Colors.Black);
        normal.LineWidth = 2;
        normal.LegendText = "N(0, 1)";
        bars.LegendText = $"pulls, all parameters (n = {pulls.Length})";
        plot.ShowLegend(Edge.Right);
        plot.Title($"pooled pulls against N(0, 1)\n{summary}", size: 13);
        plot.XLabel("pull (best − truth)/σ");
        plot.YLabel("density");
        plot.Axes.Margins(bottom: 0);
        Save(plot, file, 760, 440);
    }

    /// <summary>|best − truth| against σ, log–log, one colour per parameter, with the line |error| = σ.</summary>
    /// <param name="parameters">The parameters.</param>
    /// <param name="file">The SVG to write.</param>
    public static void ErrorVersusSigma(IReadOnlyList<EnsembleParameter> parameters, string file)
    {
        FigureRenderer.UseShippedFont();
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category20();
        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        for (int j = 0; j < parameters.Count; j++)
        {
            var p = parameters[j];
            var pairs = Enumerable.Range(0, p.Best.Length)
                .Select(i => (Sigma: p.Sigma[i], Error: Math.Abs(p.Best[i] - p.Truth[i])))
                .Where(x => x.Sigma > 0 && x.Error > 0 && double.IsFinite(x.Sigma) && double.IsFinite(x.Error)).ToArray();
            if (pairs.Length == 0) continue;
            var xs = pairs.Select(x => Math.Log10(x.Sigma)).ToArray();
            var ys = pairs.Select(x => Math.Log10(x.Error)).ToArray();
            var points = plot.Add.ScatterPoints(xs, ys, palette.GetColor(j % 20));
            points.MarkerSize = 5;
            points.LegendText = p.Name;
            min = Math.Min(min, Math.Min(xs.Min(), ys.Min()));
            max = Math.Max(max, Math.Max(xs.Max(), ys.Max()));
        }
        if (double.IsFinite(min))
        {
            var diagonal = plot.Add.ScatterLine(new[] { min, max }, new[] { min, max }, Colors.Black);
            diagonal.LinePattern = LinePattern.Dashed;
            diagonal.LegendText = "|error| = σ";
        }
        foreach (var axis in new ScottPlot.IAxis[] { plot.Axes.Left, plot.Axes.Bottom })
        {
            axis.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
            {
                IntegerTicksOnly = true,
                LabelFormatter = v => Math.Pow(10, v).ToString("0E+0", CultureInfo.InvariantCulture),
            };
        }
        plot.ShowLegend(Edge.Right);
        plot.Title("|best − truth| against the Fisher/Hessian σ (each run, each parameter)", size: 13);
        plot.XLabel("σ (inverse Hessian)");
        plot.YLabel("|best − truth|");
        Save(plot, file, 900, 520);
    }

    /// <summary>A time series: one parameter against epoch, 1σ error bars, truth dashed.</summary>
    /// <param name="parameter">The parameter.</param>
    /// <param name="epochLabels">Epoch names, in order.</param>
    /// <param name="file">The SVG to write.</param>
    public static void ParameterVersusEpoch(EnsembleParameter parameter, IReadOnlyList<string> epochLabels, string file)
    {
        FigureRenderer.UseShippedFont();
        var plot = new Plot();
        var xs = Enumerable.Range(0, parameter.Best.Length).Select(i => (double)i).ToArray();
        var bars = plot.Add.ErrorBar(xs, parameter.Best, parameter.Sigma.Select(s => double.IsFinite(s) ? s : 0).ToArray());
        bars.LineWidth = 1.5f;
        var points = plot.Add.Scatter(xs, parameter.Best);
        points.LegendText = "best ± 1σ";
        points.MarkerSize = 6;
        if (parameter.Truth.All(double.IsFinite))
        {
            var truth = plot.Add.ScatterLine(xs, parameter.Truth, Colors.Black);
            truth.LinePattern = LinePattern.Dashed;
            truth.LegendText = "truth";
        }
        plot.Axes.Bottom.SetTicks(xs, epochLabels.Take(xs.Length).ToArray());
        plot.ShowLegend(Edge.Right);
        plot.Title($"{parameter.Name} against epoch", size: 13);
        plot.XLabel("epoch");
        plot.YLabel(parameter.Name);
        Save(plot, file, 720, 420);
    }

    private static double[] Pulls(EnsembleParameter p) =>
        Enumerable.Range(0, p.Best.Length).Select(i => (p.Best[i] - p.Truth[i]) / p.Sigma[i]).Where(double.IsFinite).ToArray();

    private static void Save(Plot plot, string file, int width, int height)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
        FigureFile.Save(file, temp => plot.SaveSvg(temp, width, height));
    }
}
