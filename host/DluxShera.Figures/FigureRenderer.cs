using System.Globalization;
using DluxShera.Contracts;
using ScottPlot;
using SkiaSharp;

namespace DluxShera.Figures;

/// <summary>
/// Renders signal panels headless to PNG or SVG with ScottPlot 5: one axis per panel (several signals
/// overlaid, vector signals as components, a summary curve, or both), titles carrying the final value, and a
/// grid image of all panels. Uses the DejaVu Sans font shipped beside this assembly, so no system font is needed.
/// </summary>
public static class FigureRenderer
{
    private const string FontName = "DejaVu Sans (DluxShera)";
    internal static readonly Lazy<bool> FontsLoaded = new(LoadFonts);

    /// <summary>Registers the shipped font once (every figure writer calls it first).</summary>
    internal static void EnsureFonts() => _ = FontsLoaded.Value;

    private static bool LoadFonts()
    {
        string dir = Path.Combine(AppContext.BaseDirectory, "Fonts");
        string regular = Path.Combine(Path.GetDirectoryName(typeof(FigureRenderer).Assembly.Location)!, "Fonts", "DejaVuSans.ttf");
        if (!File.Exists(regular)) regular = Path.Combine(dir, "DejaVuSans.ttf");
        string bold = Path.Combine(Path.GetDirectoryName(regular)!, "DejaVuSans-Bold.ttf");
        if (!File.Exists(regular)) return false;
        Fonts.AddFontFile(FontName, regular, bold: false, italic: false);
        if (File.Exists(bold)) Fonts.AddFontFile(FontName, bold, bold: true, italic: false);
        Fonts.Default = FontName;
        return true;
    }

    /// <summary>Registers the shipped font as the default (idempotent); every renderer calls it first.</summary>
    public static void UseShippedFont() => _ = FontsLoaded.Value;

    /// <summary>Renders every panel to <c>panel_NN_&lt;slug&gt;.&lt;ext&gt;</c> and, for PNG, a grid <c>signals_grid.png</c>.</summary>
    /// <param name="set">The signals and panels.</param>
    /// <param name="directory">The figures directory.</param>
    /// <param name="format"><c>png</c> or <c>svg</c>.</param>
    /// <param name="width">Panel width (pixels).</param>
    /// <param name="height">Panel height (pixels).</param>
    /// <param name="steps">The trace row of each signal row when the signals hold a sample of the rows; null: row i is step i.</param>
    /// <returns>The files written.</returns>
    public static IReadOnlyList<string> RenderPanels(SignalSet set, string directory, string format, int width = 640, int height = 400, double[]? steps = null)
    {
        _ = FontsLoaded.Value;
        Directory.CreateDirectory(directory);
        var files = new List<string>();
        var byName = set.Signals.ToDictionary(s => s.Name);
        var pngs = new List<byte[]>();
        for (int i = 0; i < set.Panels.Count; i++)
        {
            var panel = set.Panels[i];
            var plot = PanelPlot(panel, byName, steps);
            string file = Path.Combine(directory, $"panel_{i:00}_{Slug(panel.Title)}.{format}");
            Save(plot, file, format, width, height);
            files.Add(file);
            if (format == "png") pngs.Add(File.ReadAllBytes(file));
        }
        if (format == "png" && pngs.Count > 0)
        {
            string grid = Path.Combine(directory, "signals_grid.png");
            ComposeGrid(pngs, grid, columns: Math.Min(3, pngs.Count), width, height);
            files.Add(grid);
        }
        return files;
    }

    /// <summary>One panel as a ScottPlot plot.</summary>
    /// <param name="panel">The panel.</param>
    /// <param name="signals">Signals by name.</param>
    /// <param name="steps">The step of each signal row (a decimated trace), or null for 0, 1, 2, ….</param>
    public static Plot PanelPlot(PanelSpec panel, IReadOnlyDictionary<string, Signal> signals, double[]? steps = null)
    {
        var plot = new Plot();
        string unit = "";
        var finals = new List<string>();
        var palette = new ScottPlot.Palettes.Category10();
        int colour = 0;
        foreach (string name in panel.Signals)
        {
            if (!signals.TryGetValue(name, out var s)) continue;
            unit = s.Unit;
            int t = s.Shape[0], k = s.Shape.Length > 1 ? s.Shape[1] : 1;
            var xs = steps is not null && steps.Length == t ? steps : Enumerable.Range(0, t).Select(i => (double)i).ToArray();
            bool components = k == 1 || panel.Mode is VectorMode.Components or VectorMode.Hybrid;
            bool summary = k > 1 && panel.Mode is VectorMode.Summary or VectorMode.Hybrid;
            var shown = Enumerable.Range(0, k).ToList();
            if (k > 1 && panel.Mode == VectorMode.Hybrid)
            {
                shown = shown.OrderByDescending(c => Math.Abs(s.Values[(t - 1) * k + c])).Take(panel.TopN).Order().ToList();
            }
            if (components)
            {
                foreach (int c in shown)
                {
                    var (px, ys) = Points(xs, Enumerable.Range(0, t).Select(i => s.Values[i * k + c]), panel.LogY);
                    var line = plot.Add.ScatterLine(px, ys, palette.GetColor(colour++));
                    line.LegendText = k == 1 ? Short(name) : $"{Short(name)}[{c}]";
                    line.LineWidth = 1.5f;
                }
            }
            if (s.Truth is { } truth && components && !panel.LogY)
            {
                foreach (int c in shown)
                {
                    var truthLine = plot.Add.HorizontalLine(truth[c]);
                    truthLine.LinePattern = LinePattern.Dashed;
                    truthLine.Color = Colors.Black.WithAlpha(0.6);
                    truthLine.LineWidth = 1;
                }
            }
            if (summary)
            {
                var (px, ys) = Points(xs, Enumerable.Range(0, t).Select(i => Summarise(s.Values.AsSpan(i * k, k), panel.Statistic)), panel.LogY);
                var line = plot.Add.ScatterLine(px, ys, palette.GetColor(colour++));
                line.LegendText = $"{Short(name)} {panel.Statistic.ToString().ToLowerInvariant()}";
                line.LineWidth = 2.5f;
            }
            if (t == 0)
            {
                // A run that failed before its first step has no rows: an empty panel that says so.
                finals.Add($"{Short(name)} (no steps)");
                continue;
            }
            double last = k == 1 ? s.Values[t - 1] : Summarise(s.Values.AsSpan((t - 1) * k, k), panel.Statistic);
            finals.Add($"{Short(name)} {Format(last)}");
        }
        if (panel.LogY)
        {
            plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
            {
                MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
                IntegerTicksOnly = true, // decades only: 1e3, 1e4, …
                LabelFormatter = y => Format(Math.Pow(10, y)),
            };
        }
        plot.Title($"{panel.Title}\nfinal: {string.Join(", ", finals)}", size: 13);
        plot.XLabel("step");
        plot.YLabel(unit.Length > 0 ? unit : "value");
        // One line needs no legend (the title names it); several get a legend beside the axes, never over the data.
        if (plot.GetPlottables().Count() > 1) plot.ShowLegend(Edge.Right);
        else plot.HideLegend();
        return plot;
    }

    // Finite points only; on a log axis, positive values only (a zero step norm at step 0 has no logarithm).
    private static (double[] X, double[] Y) Points(double[] xs, IEnumerable<double> values, bool log)
    {
        var pairs = xs.Zip(values).Where(p => double.IsFinite(p.Second) && (!log || p.Second > 0)).ToArray();
        if (pairs.Length == 0) return ([0.0], [0.0]);
        return (pairs.Select(p => p.First).ToArray(), pairs.Select(p => log ? Math.Log10(p.Second) : p.Second).ToArray());
    }

    /// <summary>RMS, Euclidean norm or mean absolute value of one row.</summary>
    /// <param name="row">The components.</param>
    /// <param name="statistic">Which statistic.</param>
    public static double Summarise(ReadOnlySpan<double> row, SummaryStatistic statistic)
    {
        double sum = 0, abs = 0;
        foreach (double v in row)
        {
            sum += v * v;
            abs += Math.Abs(v);
        }
        return statistic switch
        {
            SummaryStatistic.Norm => Math.Sqrt(sum),
            SummaryStatistic.MeanAbs => abs / row.Length,
            _ => Math.Sqrt(sum / row.Length),
        };
    }

    private static string Short(string name) => name.Contains('.') ? name[(name.LastIndexOf('.') + 1)..] : name;

    private static string Format(double v) => Math.Abs(v) is >= 1e-3 and < 1e5 or 0
        ? v.ToString("0.####", CultureInfo.InvariantCulture)
        : v.ToString("0.###E+0", CultureInfo.InvariantCulture);

    private static string Slug(string title) =>
        new string(title.ToLowerInvariant().Select(c => char.IsLetterOrDigit(c) ? c : '_').ToArray()).Trim('_');

    private static void Save(Plot plot, string file, string format, int width, int height)
    {
        FigureFile.Save(file, temp =>
        {
            if (format == "svg") plot.SaveSvg(temp, width, height);
            else plot.SavePng(temp, width, height);
        });
    }

    internal static void ComposeGrid(IReadOnlyList<byte[]> pngs, string file, int columns, int width, int height)
    {
        int rows = (pngs.Count + columns - 1) / columns;
        using var surface = SKSurface.Create(new SKImageInfo(columns * width, rows * height));
        surface.Canvas.Clear(SKColors.White);
        for (int i = 0; i < pngs.Count; i++)
        {
            using var image = SKBitmap.Decode(pngs[i]);
            surface.Canvas.DrawBitmap(image, i % columns * width, i / columns * height);
        }
        using var snapshot = surface.Snapshot();
        using var data = snapshot.Encode(SKEncodedImageFormat.Png, 100);
        FigureFile.Save(file, temp => File.WriteAllBytes(temp, data.ToArray()));
    }
}

/// <summary>Data / model / residual / z-score comparison of an image fit, with the reduced χ² in the title.</summary>
public static class ImageComparison
{
    /// <summary>Renders the four images side by side into the PNG <paramref name="file"/> (ScottPlot's multiplot writes PNG only).</summary>
    /// <param name="data">Data (rows × cols).</param>
    /// <param name="model">Model.</param>
    /// <param name="variance">Variance.</param>
    /// <param name="rows">Rows.</param>
    /// <param name="cols">Columns.</param>
    /// <param name="parameters">Number of fitted parameters (for the degrees of freedom).</param>
    /// <param name="file">Output file.</param>
    /// <param name="unit">Unit of data and model (IImageObjective.ImageUnit), shown in the panel titles.</param>
    /// <returns>The reduced χ².</returns>
    public static double Render(double[] data, double[] model, double[] variance, int rows, int cols, int parameters, string file, string unit = "photons")
    {
        var residual = data.Zip(model, (d, m) => d - m).ToArray();
        var z = residual.Zip(variance, (r, v) => r / Math.Sqrt(v)).ToArray();
        double chi2 = z.Sum(x => x * x) / Math.Max(1, data.Length - parameters);
        var multiplot = new ScottPlot.Multiplot();
        multiplot.AddPlots(4);
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Columns();
        Panel(multiplot.GetPlot(0), data, rows, cols, $"data ({unit})");
        Panel(multiplot.GetPlot(1), model, rows, cols, $"model ({unit})");
        Panel(multiplot.GetPlot(2), residual, rows, cols, $"data − model ({unit})", diverging: true);
        Panel(multiplot.GetPlot(3), z, rows, cols, $"z-score, reduced χ² = {chi2.ToString("0.000", CultureInfo.InvariantCulture)}", diverging: true);
        FigureFile.Save(file, temp => multiplot.SavePng(temp, 1800, 480));
        return chi2;
    }

    // Residuals and z-scores use a diverging map centred on 0 (white = perfect fit, red/blue = data above/below the model).
    private static void Panel(Plot plot, double[] values, int rows, int cols, string title, bool diverging = false)
    {
        var grid = new double[rows, cols];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < cols; c++) grid[rows - 1 - r, c] = values[r * cols + c];
        }
        var heatmap = plot.Add.Heatmap(grid);
        heatmap.Colormap = diverging ? new ScottPlot.Colormaps.Balance() : new ScottPlot.Colormaps.Viridis();
        if (diverging)
        {
            double limit = values.Where(double.IsFinite).Select(Math.Abs).DefaultIfEmpty(1).Max();
            heatmap.ManualRange = new ScottPlot.Range(-limit, limit);
        }
        plot.Add.ColorBar(heatmap);
        plot.Title(title, size: 13);
        plot.XLabel("x (pixel)");
        plot.YLabel("y (pixel)");
    }
}
