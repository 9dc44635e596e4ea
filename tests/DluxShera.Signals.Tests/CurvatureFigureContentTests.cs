using DluxShera.Figures;
using ScottPlot;
using ScottPlot.Plottables;
using Xunit;

namespace DluxShera.Tests;

/// <summary>
/// What the curvature figures show, read from the plots before they are saved: the numbers in the heat maps, which
/// parameter names sit at which rows and columns, that signed maps are centred on 0, and the spectrum's annotations.
/// </summary>
public class CurvatureFigureContentTests
{
    private static readonly string[] Names = ["binary.separation_arcsec", "primary.zernike_coeffs_nm[3]", "plate_scale_mas"];
    private static readonly string[] Short = ["separation_arcsec", "zernike_coeffs_nm[3]", "plate_scale_mas"];

    // H = diag(s) C diag(s) with s = (2, 3, 5) and correlations C₀₁ = 0.5, C₀₂ = −0.8, C₁₂ = 0.
    private static readonly double[] Hessian =
    [
        4, 0.5 * 6, -0.8 * 10,
        0.5 * 6, 9, 0,
        -0.8 * 10, 0, 25,
    ];

    private static readonly double[,] Correlation = { { 1, 0.5, -0.8 }, { 0.5, 1, 0 }, { -0.8, 0, 1 } };

    // Mode 0 loads 0.8 on separation and 0.6 on plate scale (64 % and 36 % of |v|²); mode 1 is the Zernike alone.
    private static readonly EigenModes Modes = new(
        [1e6, 10, 1e-2],
        [
            0.8, 0, 0.6,
            0, 1, 0,
            0.6, 0, -0.8,
        ],
        "test");

    [Fact]
    public void Correlation_map_holds_the_normalised_hessian_with_names_on_both_axes_centred_on_zero()
    {
        var plot = CurvatureFigures.CorrelationPlot(Hessian, Names);
        var heatmap = Assert.Single(plot.GetPlottables().OfType<Heatmap>());
        for (int i = 0; i < 3; i++)
        {
            for (int j = 0; j < 3; j++) Assert.Equal(Correlation[i, j], heatmap.Intensities[i, j], 12);
        }
        AssertDivergingAroundZero(heatmap);
        // Intensities row 0 is drawn at the top, so parameter 0's name is the top tick of the left axis.
        Assert.Equal(Short.Select((n, i) => (n, (double)(2 - i))), TicksOf(plot, plot.Axes.Left));
        Assert.Equal(Short.Select((n, i) => (n, (double)i)), TicksOf(plot, plot.Axes.Bottom));
    }

    [Fact]
    public void Spectrum_annotates_each_mode_with_its_dominant_parameters_and_their_shares()
    {
        var plot = CurvatureFigures.SpectrumPlot(Names, Modes);
        var notes = plot.GetPlottables().OfType<Text>().OrderBy(t => t.Location.X).Select(t => t.LabelText).ToList();
        Assert.Equal(["separation_arcsec 64%, plate_scale_mas 36%", "zernike_coeffs_nm[3] 100%", "plate_scale_mas 64%, separation_arcsec 36%"], notes);
        var points = Assert.Single(plot.GetPlottables().OfType<Scatter>());
        Assert.Equal([6.0, 1.0, -2.0], points.Data.GetScatterPoints().Select(p => Math.Round(p.Y, 12)));
    }

    [Fact]
    public void Loadings_map_holds_v_with_parameters_as_rows_and_modes_as_columns_centred_on_zero()
    {
        var plot = CurvatureFigures.LoadingsPlot(Names, Modes);
        var heatmap = Assert.Single(plot.GetPlottables().OfType<Heatmap>());
        for (int i = 0; i < 3; i++)
        {
            for (int m = 0; m < 3; m++) Assert.Equal(Modes.Vectors[i * 3 + m], heatmap.Intensities[i, m]);
        }
        AssertDivergingAroundZero(heatmap);
        Assert.Equal(Short.Select((n, i) => (n, (double)(2 - i))), TicksOf(plot, plot.Axes.Left));
    }

    private static void AssertDivergingAroundZero(Heatmap heatmap)
    {
        Assert.IsType<ScottPlot.Colormaps.Balance>(heatmap.Colormap);
        var range = Assert.NotNull(heatmap.ManualRange);
        Assert.Equal(-range.Max, range.Min);
        Assert.True(range.Max > 0);
    }

    // Manual ticks become the axis's ticks when the plot lays itself out, as it does to save an image.
    private static IEnumerable<(string Label, double Position)> TicksOf(Plot plot, IAxis axis)
    {
        plot.GetImage(900, 860).Dispose();
        var manual = Assert.IsType<ScottPlot.TickGenerators.NumericManual>(axis.TickGenerator);
        return manual.Ticks.Where(t => t.IsMajor).Select(t => (t.Label, t.Position))
            .OrderBy(t => Array.IndexOf(Short, t.Label)).ToList();
    }
}
