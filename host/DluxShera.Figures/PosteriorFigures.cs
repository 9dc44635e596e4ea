using System.Globalization;
using DluxShera.Posterior;
using ScottPlot;

namespace DluxShera.Figures;

/// <summary>Posterior draws to plot: θ (chains, draws, D) with names, the chosen indices, the truth and the energies.</summary>
/// <param name="Theta">θ draws, (chains, draws, D) row-major.</param>
/// <param name="Chains">Chains.</param>
/// <param name="Draws">Draws per chain.</param>
/// <param name="Names">The D parameter names.</param>
/// <param name="Chosen">Indices to plot (a handful).</param>
/// <param name="Truth">The truth (length D), or null.</param>
/// <param name="Energy">Energies (chains, draws) row-major, or null.</param>
public sealed record PosteriorDraws(double[] Theta, int Chains, int Draws, IReadOnlyList<string> Names, IReadOnlyList<int> Chosen, double[]? Truth, double[]? Energy);

/// <summary>
/// The figures MCMC users check first: trace per chain, rank plots (uniform when chains agree), marginals with the truth
/// line, a corner plot of the chosen parameters, and the energy / energy-transition histograms with E-BFMI per chain.
/// Written as PNG grids into the run's figures directory.
/// </summary>
public static class PosteriorFigures
{
    private const int PanelWidth = 480, PanelHeight = 320;

    /// <summary>Renders posterior_trace.png, posterior_rank.png, posterior_marginals.png, posterior_corner.png and posterior_energy.png.</summary>
    /// <param name="draws">The draws.</param>
    /// <param name="directory">The figures directory.</param>
    /// <returns>The files written.</returns>
    public static IReadOnlyList<string> Render(PosteriorDraws draws, string directory)
    {
        _ = FigureRenderer.FontsLoaded.Value;
        Directory.CreateDirectory(directory);
        var files = new List<string>();
        if (draws.Chains * draws.Draws < 2 || draws.Chosen.Count == 0) return files;
        files.Add(Grid(directory, "posterior_trace.png", draws.Chosen.Select(i => TracePlot(draws, i)).ToList(), 1, PanelWidth * 2));
        files.Add(Grid(directory, "posterior_rank.png", draws.Chosen.Select(i => RankPlot(draws, i)).ToList(), Math.Min(3, draws.Chosen.Count), PanelWidth));
        files.Add(Grid(directory, "posterior_marginals.png", draws.Chosen.Select(i => MarginalPlot(draws, i)).ToList(), Math.Min(3, draws.Chosen.Count), PanelWidth));
        files.Add(Corner(draws, directory));
        if (draws.Energy is not null) files.Add(EnergyPlot(draws, directory));
        return files;
    }

    private static double[] Column(PosteriorDraws d, int index) => PosteriorTable.Column(d.Theta, d.Chains, d.Draws, d.Names.Count, index);

    private static Plot TracePlot(PosteriorDraws d, int index)
    {
        var plot = new Plot();
        var x = Column(d, index);
        var steps = Enumerable.Range(0, d.Draws).Select(t => (double)t).ToArray();
        for (int c = 0; c < d.Chains; c++)
        {
            var line = plot.Add.Scatter(steps, x.AsSpan(c * d.Draws, d.Draws).ToArray());
            line.MarkerSize = 0;
            line.LineWidth = 1;
            line.LegendText = $"chain {c}";
        }
        if (d.Truth is not null) plot.Add.HorizontalLine(d.Truth[index], 1.5f, Colors.Black, LinePattern.Dashed);
        plot.Title($"{d.Names[index]}: trace per chain", size: 12);
        plot.XLabel("draw");
        if (d.Chains <= 8) plot.ShowLegend(Alignment.UpperRight);
        return plot;
    }

    // Histograms of each chain's share of the pooled ranks: flat when the chains sample the same distribution.
    private static Plot RankPlot(PosteriorDraws d, int index)
    {
        var plot = new Plot();
        var ranks = McmcDiagnostics.AverageRanks(Column(d, index));
        int bins = Math.Clamp(d.Draws / 20, 5, 20), total = ranks.Length;
        for (int c = 0; c < d.Chains; c++)
        {
            var counts = new double[bins];
            for (int t = 0; t < d.Draws; t++) counts[Math.Min(bins - 1, (int)((ranks[c * d.Draws + t] - 1) / total * bins))]++;
            var (xs, ys) = Steps(Enumerable.Range(0, bins + 1).Select(b => (double)b * total / bins).ToArray(), counts);
            var line = plot.Add.Scatter(xs, ys);
            line.MarkerSize = 0;
            line.LegendText = $"chain {c}";
        }
        plot.Add.HorizontalLine((double)d.Draws / bins, 1, Colors.Gray, LinePattern.Dotted);
        plot.Title($"{d.Names[index]}: rank plot", size: 12);
        plot.XLabel("pooled rank");
        plot.YLabel("draws per bin");
        return plot;
    }

    private static Plot MarginalPlot(PosteriorDraws d, int index)
    {
        var plot = new Plot();
        var x = Column(d, index);
        var (edges, counts) = Histogram(x, 40);
        var (xs, ys) = Steps(edges, counts);
        var line = plot.Add.Scatter(xs, ys);
        line.MarkerSize = 0;
        line.LineWidth = 1.5f;
        double mean = x.Average(), sd = McmcDiagnostics.StandardDeviation(x);
        string title = $"{d.Names[index]}: {F(mean)} ± {F(sd)}";
        if (d.Truth is not null)
        {
            plot.Add.VerticalLine(d.Truth[index], 2, Colors.Red, LinePattern.Dashed);
            title += $", truth {F(d.Truth[index])} ({F((mean - d.Truth[index]) / sd)}σ)";
        }
        plot.Title(title, size: 11);
        plot.YLabel("draws");
        return plot;
    }

    private static string Corner(PosteriorDraws d, string directory)
    {
        int k = Math.Min(d.Chosen.Count, 6);
        var plots = new List<Plot>();
        var columns = d.Chosen.Take(k).Select(i => Column(d, i)).ToArray();
        int stride = Math.Max(1, columns[0].Length / 2000); // at most ~2000 points per panel
        for (int r = 0; r < k; r++)
        {
            for (int c = 0; c < k; c++)
            {
                var plot = new Plot();
                int ir = d.Chosen[r], ic = d.Chosen[c];
                if (c == r)
                {
                    var (edges, counts) = Histogram(columns[r], 30);
                    var (xs, ys) = Steps(edges, counts);
                    plot.Add.Scatter(xs, ys).MarkerSize = 0;
                    if (d.Truth is not null) plot.Add.VerticalLine(d.Truth[ir], 1.5f, Colors.Red, LinePattern.Dashed);
                    plot.Title(Short(d.Names[ir]), size: 11);
                }
                else if (c < r)
                {
                    var xs = columns[c].Where((_, t) => t % stride == 0).ToArray();
                    var ys = columns[r].Where((_, t) => t % stride == 0).ToArray();
                    var points = plot.Add.Scatter(xs, ys);
                    points.LineWidth = 0;
                    points.MarkerSize = 2;
                    if (d.Truth is not null)
                    {
                        plot.Add.VerticalLine(d.Truth[ic], 1, Colors.Red, LinePattern.Dashed);
                        plot.Add.HorizontalLine(d.Truth[ir], 1, Colors.Red, LinePattern.Dashed);
                    }
                    plot.XLabel(Short(d.Names[ic]), size: 10);
                    plot.YLabel(Short(d.Names[ir]), size: 10);
                }
                else
                {
                    plot.Layout.Frameless();
                    plot.HideGrid();
                    plot.Axes.Frameless();
                }
                plots.Add(plot);
            }
        }
        return Grid(directory, "posterior_corner.png", plots, k, 320, 300);
    }

    private static string EnergyPlot(PosteriorDraws d, string directory)
    {
        var energy = d.Energy!;
        var centred = new List<double>();
        var transitions = new List<double>();
        var bfmi = new List<string>();
        for (int c = 0; c < d.Chains; c++)
        {
            var e = energy.AsSpan(c * d.Draws, d.Draws);
            double mean = 0;
            foreach (double v in e) mean += v;
            mean /= e.Length;
            foreach (double v in e) centred.Add(v - mean);
            for (int t = 1; t < e.Length; t++) transitions.Add(e[t] - e[t - 1]);
            bfmi.Add(F(McmcDiagnostics.EBfmi(e)));
        }
        var plot = new Plot();
        var all = centred.Concat(transitions).ToArray();
        double lo = all.Min(), hi = all.Max();
        foreach (var (values, label) in new[] { (centred, "energy − mean (marginal)"), (transitions, "ΔE between draws (transition)") })
        {
            var (edges, counts) = Histogram(values.ToArray(), 40, lo, hi);
            var (xs, ys) = Steps(edges, counts.Select(v => v / values.Count).ToArray());
            var line = plot.Add.Scatter(xs, ys);
            line.MarkerSize = 0;
            line.LineWidth = 1.5f;
            line.LegendText = label;
        }
        plot.ShowLegend(Alignment.UpperRight);
        plot.Title($"energy: E-BFMI per chain {string.Join(", ", bfmi)} (below 0.3: poor exploration)", size: 12);
        plot.YLabel("fraction of draws");
        string file = Path.Combine(directory, "posterior_energy.png");
        FigureFile.Save(file, temp => plot.SavePng(temp, 720, 420));
        return file;
    }

    private static string Grid(string directory, string name, IReadOnlyList<Plot> plots, int columns, int width, int height = PanelHeight)
    {
        var pngs = plots.Select(p => p.GetImageBytes(width, height, ImageFormat.Png)).ToList();
        string file = Path.Combine(directory, name);
        FigureRenderer.ComposeGrid(pngs, file, columns, width, height);
        return file;
    }

    private static (double[] Edges, double[] Counts) Histogram(double[] values, int bins, double? min = null, double? max = null)
    {
        double lo = min ?? values.Min(), hi = max ?? values.Max();
        if (!(hi > lo))
        {
            lo -= 0.5;
            hi += 0.5;
        }
        var counts = new double[bins];
        foreach (double v in values) counts[Math.Clamp((int)((v - lo) / (hi - lo) * bins), 0, bins - 1)]++;
        return (Enumerable.Range(0, bins + 1).Select(b => lo + (hi - lo) * b / bins).ToArray(), counts);
    }

    // A histogram outline: (e₀, 0), (e₀, c₀), (e₁, c₀), (e₁, c₁), …, (e_B, 0).
    private static (double[] X, double[] Y) Steps(double[] edges, double[] counts)
    {
        var xs = new List<double> { edges[0] };
        var ys = new List<double> { 0 };
        for (int b = 0; b < counts.Length; b++)
        {
            xs.Add(edges[b]); ys.Add(counts[b]);
            xs.Add(edges[b + 1]); ys.Add(counts[b]);
        }
        xs.Add(edges[^1]);
        ys.Add(0);
        return (xs.ToArray(), ys.ToArray());
    }

    private static string Short(string name) => name.Contains('.') ? name[(name.LastIndexOf('.') + 1)..] : name;

    private static string F(double v) => Math.Abs(v) is >= 1e-3 and < 1e5 or 0
        ? v.ToString("0.####", CultureInfo.InvariantCulture)
        : v.ToString("0.###E+0", CultureInfo.InvariantCulture);
}
