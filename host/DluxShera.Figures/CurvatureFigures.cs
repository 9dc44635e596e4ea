using System.Globalization;
using ScottPlot;

namespace DluxShera.Figures;

/// <summary>Eigenmodes of a curvature: eigenvalues (descending) and unit eigenvectors as columns of a D×K row-major matrix.</summary>
/// <param name="Eigenvalues">λ, descending, length K.</param>
/// <param name="Vectors">V, D×K row-major (column k is mode k).</param>
/// <param name="Source">What was decomposed, for titles (e.g. "Fisher at θref (eigen θ map)").</param>
public sealed record EigenModes(double[] Eigenvalues, double[] Vectors, string Source);

/// <summary>
/// Curvature figures with parameter names: the normalised Hessian/Fisher (correlation) matrix, the eigenvalue
/// spectrum with each mode annotated by its dominant parameters, and the eigenvector loadings. Signed quantities use
/// a diverging colormap centred on 0 (cmocean "balance": blue negative, white 0, red positive).
/// </summary>
public static class CurvatureFigures
{
    /// <summary>Renders <c>fisher_correlation.png</c>, <c>eigen_spectrum.png</c> and <c>eigen_loadings.png</c>.</summary>
    /// <param name="hessian">D×D row-major (symmetric), the curvature whose correlation is drawn, or null (no correlation figure).</param>
    /// <param name="names">D parameter names (tick labels).</param>
    /// <param name="modes">The eigenmodes to draw (the run's eigen θ map, or the Hessian's own).</param>
    /// <param name="directory">The figures directory.</param>
    /// <returns>The files written.</returns>
    public static IReadOnlyList<string> Render(double[]? hessian, IReadOnlyList<string> names, EigenModes modes, string directory)
    {
        FigureRenderer.EnsureFonts();
        Directory.CreateDirectory(directory);
        var files = new List<string>();
        if (hessian is not null) files.Add(Correlation(hessian, names, Path.Combine(directory, "fisher_correlation.png")));
        files.Add(Spectrum(names, modes, Path.Combine(directory, "eigen_spectrum.png")));
        files.Add(Loadings(names, modes, Path.Combine(directory, "eigen_loadings.png")));
        return files;
    }

    /// <summary>The parameters with the largest squared loadings of mode <paramref name="k"/>, e.g. <c>plate_scale 99.9%</c>.</summary>
    /// <param name="names">Parameter names.</param>
    /// <param name="modes">The modes.</param>
    /// <param name="k">The mode.</param>
    /// <param name="count">How many.</param>
    public static IReadOnlyList<(string Name, double Share)> Dominant(IReadOnlyList<string> names, EigenModes modes, int k, int count = 2)
    {
        int d = names.Count, kk = modes.Eigenvalues.Length;
        return Enumerable.Range(0, d).Select(i => (names[i], Share: modes.Vectors[i * kk + k] * modes.Vectors[i * kk + k]))
            .OrderByDescending(p => p.Share).Take(count).ToList();
    }

    private static string Short(string name)
    {
        // "primary.zernike_coeffs_nm[3]" → "zernike_coeffs_nm[3]": the block is in the full name in meta.json.
        int dot = name.LastIndexOf('.', name.IndexOf('[') is int b && b >= 0 ? b : name.Length - 1);
        return dot >= 0 ? name[(dot + 1)..] : name;
    }

    private static string Correlation(double[] hessian, IReadOnlyList<string> names, string file)
    {
        Save(CorrelationPlot(hessian, names), file, 900, 860);
        return file;
    }

    /// <summary>The correlation figure before it is saved (tests read its data, ticks and colour range).</summary>
    /// <param name="hessian">D×D row-major.</param>
    /// <param name="names">D parameter names.</param>
    public static Plot CorrelationPlot(double[] hessian, IReadOnlyList<string> names)
    {
        FigureRenderer.EnsureFonts();
        int d = names.Count;
        var grid = new double[d, d];
        for (int i = 0; i < d; i++)
        {
            for (int j = 0; j < d; j++)
            {
                double scale = Math.Sqrt(Math.Abs(hessian[i * d + i] * hessian[j * d + j]));
                // Row i is drawn at y = d − 1 − i, so the matrix reads top-down like a printed one.
                grid[i, j] = scale > 0 ? hessian[i * d + j] / scale : 0;
            }
        }
        var plot = new Plot();
        var heatmap = plot.Add.Heatmap(grid);
        heatmap.Colormap = new ScottPlot.Colormaps.Balance();
        heatmap.ManualRange = new ScottPlot.Range(-1, 1);
        heatmap.Extent = new CoordinateRect(-0.5, d - 0.5, -0.5, d - 0.5);
        plot.Add.ColorBar(heatmap);
        var positions = Enumerable.Range(0, d).Select(i => (double)i).ToArray();
        var labels = names.Select(Short).ToArray();
        plot.Axes.Bottom.SetTicks(positions, labels);
        plot.Axes.Bottom.TickLabelStyle.Rotation = 90;
        plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleLeft;
        plot.Axes.Bottom.MinimumSize = 190; // room for the rotated names
        plot.Axes.Left.SetTicks(positions.Select(p => d - 1 - p).ToArray(), labels);
        plot.Title("Hessian at the best point, normalised: H_ij / √(H_ii H_jj)", size: 13);
        plot.Axes.SetLimits(-0.5, d - 0.5, -0.5, d - 0.5);
        return plot;
    }

    private static string Spectrum(IReadOnlyList<string> names, EigenModes modes, string file)
    {
        Save(SpectrumPlot(names, modes), file, 960, 640);
        return file;
    }

    /// <summary>The spectrum figure before it is saved (tests read its points and annotations).</summary>
    /// <param name="names">D parameter names.</param>
    /// <param name="modes">The modes.</param>
    public static Plot SpectrumPlot(IReadOnlyList<string> names, EigenModes modes)
    {
        FigureRenderer.EnsureFonts();
        var values = modes.Eigenvalues;
        int k = values.Length;
        var plot = new Plot();
        var xs = Enumerable.Range(0, k).Select(i => (double)i).ToArray();
        var ys = values.Select(v => Math.Log10(Math.Max(Math.Abs(v), 1e-300))).ToArray();
        var points = plot.Add.Scatter(xs, ys);
        points.LegendText = $"eigenvalue ({modes.Source})";
        for (int m = 0; m < k; m++)
        {
            string note = string.Join(", ", Dominant(names, modes, m).Where(p => p.Share >= 0.05)
                .Select(p => $"{Short(p.Name)} {(100 * p.Share).ToString("0", CultureInfo.InvariantCulture)}%"));
            var text = plot.Add.Text(note, m, ys[m]);
            text.LabelFontSize = 9;
            text.LabelRotation = -90;
            text.LabelAlignment = Alignment.MiddleLeft;
            text.OffsetY = -6;
        }
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            IntegerTicksOnly = true,
            LabelFormatter = y => Math.Pow(10, y).ToString("0E+0", CultureInfo.InvariantCulture),
        };
        double condition = values[0] / Math.Max(Math.Abs(values[^1]), 1e-300);
        plot.Title($"eigenvalue spectrum, condition number {condition.ToString("0.0E+0", CultureInfo.InvariantCulture)}; labels: dominant parameters (share of |v|²)", size: 12);
        plot.XLabel("mode (descending)");
        plot.YLabel("eigenvalue");
        // Room above the points for the annotations; the legend sits outside the data.
        plot.Axes.SetLimits(-0.7, k - 0.3, ys.Min() - 0.5, ys.Max() + (ys.Max() - ys.Min()) * 0.9 + 1);
        plot.ShowLegend(Edge.Bottom);
        return plot;
    }

    private static string Loadings(IReadOnlyList<string> names, EigenModes modes, string file)
    {
        Save(LoadingsPlot(names, modes), file, 900, 760);
        return file;
    }

    /// <summary>The loadings figure before it is saved (tests read its data and ticks).</summary>
    /// <param name="names">D parameter names.</param>
    /// <param name="modes">The modes.</param>
    public static Plot LoadingsPlot(IReadOnlyList<string> names, EigenModes modes)
    {
        FigureRenderer.EnsureFonts();
        int d = names.Count, k = modes.Eigenvalues.Length;
        var grid = new double[d, k];
        for (int i = 0; i < d; i++)
        {
            for (int m = 0; m < k; m++) grid[i, m] = modes.Vectors[i * k + m];
        }
        var plot = new Plot();
        var heatmap = plot.Add.Heatmap(grid);
        heatmap.Colormap = new ScottPlot.Colormaps.Balance();
        heatmap.ManualRange = new ScottPlot.Range(-1, 1);
        heatmap.Extent = new CoordinateRect(-0.5, k - 0.5, -0.5, d - 0.5);
        plot.Add.ColorBar(heatmap);
        plot.Axes.Left.SetTicks(Enumerable.Range(0, d).Select(i => (double)(d - 1 - i)).ToArray(), names.Select(Short).ToArray());
        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, k).Select(m => (double)m).ToArray(), Enumerable.Range(0, k).Select(m => m.ToString(CultureInfo.InvariantCulture)).ToArray());
        plot.Axes.SetLimits(-0.5, k - 0.5, -0.5, d - 0.5);
        plot.Title($"eigenvector loadings V[parameter, mode] ({modes.Source})", size: 13);
        plot.XLabel("mode (descending eigenvalue)");
        return plot;
    }

    private static void Save(Plot plot, string file, int width, int height)
    {
        FigureFile.Save(file, temp => plot.SavePng(temp, width, height));
    }
}
