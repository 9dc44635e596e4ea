using System.Text.Json.Nodes;
using DluxShera.Contracts;
using DluxShera.Figures;
using DluxShera.Signals;
using SkiaSharp;
using Xunit;

namespace DluxShera.Tests;

public class SignalFormulaTests
{
    // θ = [separation, PA, x, plate scale, log-flux, contrast, zernikes(2)]; y is fixed at its nominal value.
    private static SignalContext SheraContext(bool withTruth)
    {
        var meta = new JsonObject
        {
            ["theta"] = new JsonObject
            {
                ["dim"] = 8,
                ["index_map"] = new JsonObject
                {
                    ["entries"] = new JsonArray(
                        Entry("binary.separation_as", 0, 1), Entry("binary.position_angle_deg", 1, 2), Entry("binary.x_position_as", 2, 3),
                        Entry("system.plate_scale_as_per_pix", 3, 4), Entry("binary.log_flux_total", 4, 5), Entry("binary.contrast", 5, 6),
                        Entry("primary.zernike_coeffs_nm", 6, 8)),
                },
            },
            ["objective"] = new JsonObject
            {
                ["name"] = "shera.two_plane",
                ["data"] = new JsonObject { ["source"] = withTruth ? "simulate" : "file" },
                ["nominal"] = new JsonObject { ["binary.y_position_as"] = 0.25 },
                ["truth"] = new JsonObject
                {
                    ["binary.separation_as"] = 10.0, ["binary.position_angle_deg"] = 90.0, ["binary.x_position_as"] = 0.001,
                    ["binary.y_position_as"] = 0.2498, ["system.plate_scale_as_per_pix"] = 0.355, ["binary.log_flux_total"] = 11.0,
                    ["binary.contrast"] = 3.0, ["primary.zernike_coeffs_nm"] = new JsonArray(1.0, -2.0),
                },
            },
        };
        double[] theta =
        [
            10.0, 90.0, 0.0, 0.355, 11.0, 3.0, 0.0, 0.0,           // row 0
            10.000002, 90.001, 0.0010005, 0.35500071, 11.0001, 3.003, 1.5, -2.0, // row 1
        ];
        return new SignalContext
        {
            Trace = new TraceData { Loss = [5.0, 1.0], Theta = theta, Dimension = 8 },
            Meta = meta,
        };

        static JsonObject Entry(string name, int start, int stop) => new() { ["name"] = name, ["start"] = start, ["stop"] = stop, ["shape"] = new JsonArray(stop - start) };
    }

    private static double[] Values(SignalSet set, string name) => set.Signals.Single(s => s.Name == name).Values;

    [Fact]
    public void Shera_residuals_have_the_seed_names_units_and_values()
    {
        var set = new SheraSignalRecipe().Build(SheraContext(withTruth: true));
        Assert.Equal(2.0, Values(set, "binary.separation_error_uas")[1], 6);           // 2e-6″ = 2 µas
        Assert.Equal(3.6, Values(set, "binary.position_angle_error_as")[1], 9);         // 0.001° = 3.6″
        Assert.Equal(0.5, Values(set, "binary.x_error_uas")[1], 6);                    // 5e-7″
        Assert.Equal(-1000.0, Values(set, "binary.x_error_uas")[0], 6);
        Assert.Equal(200.0, Values(set, "binary.y_error_uas")[0], 6);                  // fixed y: 0.25 − 0.2498 = 200 µas
        Assert.Equal(1e6 * 0.00000071 / 0.355, Values(set, "system.plate_scale_error_ppm")[1], 6);
        // Raw fluxes: F_B = 10^L/(1 + c), F_A = c·F_B.
        double fb = Math.Pow(10, 11.0001) / 4.003, fa = 3.003 * fb, fbTrue = 1e11 / 4, faTrue = 3 * fbTrue;
        var flux = Values(set, "binary.raw_flux_error_ppm");
        Assert.Equal(1e6 * (fa - faTrue) / faTrue, flux[2], 6);
        Assert.Equal(1e6 * (fb - fbTrue) / fbTrue, flux[3], 6);
        Assert.Equal([2, 2], set.Signals.Single(s => s.Name == "binary.raw_flux_error_ppm").Shape);
        Assert.Equal(new[] { -1.0, 2.0, 0.5, 0.0 }, Values(set, "primary.zernike_error_nm"));
        Assert.Equal(Math.Sqrt((1 + 4) / 2.0), Values(set, "primary.zernike_rms_nm")[0], 12);
        Assert.Equal("µas", set.Signals.Single(s => s.Name == "binary.x_error_uas").Unit);
        Assert.Contains(set.Panels, p => p.Signals.SequenceEqual(["binary.x_error_uas", "binary.y_error_uas"]));
    }

    [Fact]
    public void Raw_flux_signals_use_the_objective_derived_values_the_decoder_carries_and_the_recorded_derived_truth()
    {
        // A decoder that splits θ by the IndexMap and adds raw fluxes of its own (deliberately not the recipe's formula),
        // with a derived truth to match: the signal must be made from these, not recomputed from log-flux and contrast.
        var context = SheraContext(withTruth: true);
        context.Meta["theta"]!["derived_truth"] = new JsonObject { ["binary.raw_fluxes"] = new JsonArray(100.0, 50.0) };
        var decoding = new SignalContext { Trace = context.Trace, Meta = context.Meta, Decoder = new FluxDecoder() };
        var flux = Values(new SheraSignalRecipe().Build(decoding), "binary.raw_flux_error_ppm");
        // Row t: fluxes (101 + t, 49 − t) against (100, 50).
        Assert.Equal(new[] { 1e4, -2e4, 2e4, -4e4 }, flux.Select(v => Math.Round(v, 6)).ToArray());
        // Separation still comes from the decoded primitive values.
        Assert.Equal(2.0, Values(new SheraSignalRecipe().Build(decoding), "binary.separation_error_uas")[1], 6);
    }

    private sealed class FluxDecoder : IThetaDecoder
    {
        private static readonly string[] Names =
        [
            "binary.separation_as", "binary.position_angle_deg", "binary.x_position_as", "system.plate_scale_as_per_pix",
            "binary.log_flux_total", "binary.contrast",
        ];

        public IndexMap IndexMap { get; } = new([.. Names.Select((n, i) => new IndexMapEntry(n, i, i + 1, [1])), new IndexMapEntry("primary.zernike_coeffs_nm", 6, 8, [2])]);

        public IReadOnlyDictionary<string, double[]> Decode(ReadOnlySpan<double> theta)
        {
            var result = new Dictionary<string, double[]>();
            foreach (var e in IndexMap.Entries) result[e.Name] = theta[e.Start..e.Stop].ToArray();
            double row = theta[0] == 10.0 ? 0 : 1;
            result["binary.raw_fluxes"] = [101 + row, 49 - row];
            return result;
        }
    }

    [Fact]
    public void Shera_residuals_are_nan_without_truth()
    {
        var set = new SheraSignalRecipe().Build(SheraContext(withTruth: false));
        Assert.All(Values(set, "binary.x_error_uas"), v => Assert.True(double.IsNaN(v)));
        Assert.All(Values(set, "system.plate_scale_error_ppm"), v => Assert.True(double.IsNaN(v)));
    }

    [Fact]
    public void Generic_recipe_has_channels_values_and_residuals_against_theta_truth()
    {
        var context = SheraContext(withTruth: true);
        context.Meta["theta"]!["truth"] = new JsonArray(10.0, 90.0, 0.001, 0.355, 11.0, 3.0, 1.0, -2.0);
        var set = new GenericSignalRecipe().Build(context);
        Assert.Equal(new[] { 5.0, 1.0 }, Values(set, "loss"));
        Assert.Equal(new[] { 4.0, 0.0 }, Values(set, "loss_above_best"));
        Assert.Equal(new[] { 0.0, 0.0, 1.5, -2.0 }, Values(set, "primary.zernike_coeffs_nm"));
        Assert.Equal(new[] { -1.0, 2.0, 0.5, 0.0 }, Values(set, "primary.zernike_coeffs_nm_error"));
        Assert.Equal(5e-7, Values(set, "binary.x_position_as_error")[1], 1e-15);
    }

    [Fact]
    public void Summary_statistics()
    {
        double[] row = [3, -4];
        Assert.Equal(5.0, FigureRenderer.Summarise(row, SummaryStatistic.Norm), 12);
        Assert.Equal(Math.Sqrt(12.5), FigureRenderer.Summarise(row, SummaryStatistic.Rms), 12);
        Assert.Equal(3.5, FigureRenderer.Summarise(row, SummaryStatistic.MeanAbs), 12);
    }

    [Fact]
    public void Figures_render_headless_at_the_requested_size_and_are_not_blank()
    {
        using var tmp = RepoPaths.Temp();
        var set = new SheraSignalRecipe().Build(SheraContext(withTruth: true));
        var files = FigureRenderer.RenderPanels(set, tmp.Path, "png", 500, 300);
        Assert.Contains(files, f => f.EndsWith("signals_grid.png"));
        var panel = files.First(f => f.Contains("panel_01"));
        using var bitmap = SKBitmap.Decode(panel);
        Assert.Equal(500, bitmap.Width);
        Assert.Equal(300, bitmap.Height);
        var colours = new HashSet<SKColor>();
        for (int y = 0; y < bitmap.Height; y += 3)
        {
            for (int x = 0; x < bitmap.Width; x += 3) colours.Add(bitmap.GetPixel(x, y));
        }
        Assert.True(colours.Count > 20, $"only {colours.Count} colours: a blank figure?");
        var svg = FigureRenderer.RenderPanels(set, tmp.Combine("svg"), "svg");
        Assert.All(svg, f => Assert.Contains("<svg", File.ReadAllText(f)));
    }
}
