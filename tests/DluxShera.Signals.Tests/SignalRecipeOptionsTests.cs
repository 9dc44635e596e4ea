using System.Text.Json.Nodes;
using DluxShera.Contracts;
using DluxShera.Signals;
using Xunit;

namespace DluxShera.Tests;

/// <summary>
/// What the recipes do beyond the formulas: the generic recipe's options (parameters, hybrid_above, top_n),
/// units read from IndexMap labels, trace channels, decoding through the host's decoder, truth sources, and the
/// SHERA recipe's fixed (nominal) parameters. Expected values are written out by hand from the inputs.
/// </summary>
public class SignalRecipeOptionsTests
{
    private static JsonObject Entry(string name, int start, int stop, string? label = null)
    {
        var e = new JsonObject { ["name"] = name, ["start"] = start, ["stop"] = stop, ["shape"] = new JsonArray(stop - start) };
        if (label is not null) e["label"] = label;
        return e;
    }

    private static JsonObject Meta(string mapKey, params JsonObject[] entries) => new()
    {
        ["theta"] = new JsonObject { [mapKey] = new JsonObject { ["entries"] = new JsonArray(entries) } },
    };

    // θ = [a, b(3 components), c]; two rows.
    private static SignalContext ThreeEntries(IReadOnlyDictionary<string, double[]>? channels = null, double[]? truth = null) => new()
    {
        Trace = new TraceData
        {
            Loss = [4.0, 2.0], Theta = [1, 2, 3, 4, 5, 10, 20, 30, 40, 50], Dimension = 5,
            Channels = channels ?? new Dictionary<string, double[]>(),
        },
        Meta = Meta("index_map",
            Entry("a", 0, 1, "separation (arcsec)"), Entry("b", 1, 4, "zernikes (nm) of M1"), Entry("c", 4, 5, "plain")),
        Truth = truth,
    };

    private static Signal Get(SignalSet set, string name) => set.Signals.Single(s => s.Name == name);

    private static PanelSpec Panel(SignalSet set, string title) => set.Panels.Single(p => p.Title == title);

    [Fact]
    public void Units_come_from_the_last_parentheses_at_the_end_of_the_label_only()
    {
        var set = new GenericSignalRecipe().Build(ThreeEntries());
        Assert.Equal("arcsec", Get(set, "a").Unit);
        Assert.Equal("loss", Get(set, "loss").Unit);
        Assert.Equal("", Get(set, "b").Unit);        // "(nm)" is not at the end
        Assert.Equal("", Get(set, "c").Unit);
        Assert.Equal(new[] { 2.0, 3, 4, 20, 30, 40 }, Get(set, "b").Values);
        Assert.Equal([2, 3], Get(set, "b").Shape);
        Assert.Equal([2], Get(set, "a").Shape);
    }

    [Fact]
    public void Parameters_option_selects_entries_in_the_given_order()
    {
        var set = new GenericSignalRecipe(new GenericSignalOptions { Parameters = ["c", "a"] }).Build(ThreeEntries());
        Assert.Equal(["loss", "loss above its best value", "c", "a"], set.Panels.Select(p => p.Title));
        Assert.DoesNotContain(set.Signals, s => s.Name == "b");
    }

    [Fact]
    public void Parameters_option_naming_an_unknown_entry_is_refused_with_the_entries_listed()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            new GenericSignalRecipe(new GenericSignalOptions { Parameters = ["a", "zz", "yy"] }).Build(ThreeEntries()));
        Assert.Equal("run.signals.options.parameters: 'zz', 'yy' not in this run's IndexMap; entries: a, b, c.", e.Message);
    }

    [Theory]
    [InlineData(2, VectorMode.Hybrid)]       // 3 components > 2
    [InlineData(3, VectorMode.Components)]   // 3 components, not above 3
    public void Vectors_above_hybrid_above_are_drawn_as_summary_plus_top_components(int hybridAbove, VectorMode expected)
    {
        var set = new GenericSignalRecipe(new GenericSignalOptions { HybridAbove = hybridAbove, TopN = 2 }).Build(ThreeEntries());
        Assert.Equal(expected, Panel(set, "b").Mode);
        Assert.Equal(2, Panel(set, "b").TopN);
        Assert.Equal(VectorMode.Components, Panel(set, "a").Mode);
    }

    [Fact]
    public void Options_are_validated()
    {
        Assert.Empty(new GenericSignalOptions().Validate());
        Assert.Equal(["hybrid_above", "top_n"], new GenericSignalOptions { HybridAbove = 0, TopN = 0 }.Validate().Select(v => v.Key));
        Assert.Empty(new GenericSignalOptions { HybridAbove = 1, TopN = 1 }.Validate());
    }

    [Fact]
    public void Trace_channels_become_signals_with_their_units_and_axes()
    {
        var set = new GenericSignalRecipe().Build(ThreeEntries(new Dictionary<string, double[]>
        {
            ["grad_norm"] = [3.0, 1.0], ["base_lr"] = [0.1, 0.05], ["accepted"] = [1, 1],
        }));
        Assert.Equal("norm", Get(set, "grad_norm").Unit);
        Assert.Equal("learning rate", Get(set, "base_lr").Unit);
        Assert.Equal(new[] { 0.1, 0.05 }, Get(set, "base_lr").Values);
        Assert.True(Panel(set, "grad norm").LogY);
        Assert.False(Panel(set, "base lr").LogY);
        Assert.DoesNotContain(set.Signals, s => s.Name is "step_norm" or "accepted");
        Assert.True(Panel(set, "loss").LogY);
        Assert.True(Panel(set, "loss above its best value").LogY);
    }

    [Fact]
    public void Residuals_use_the_hosts_truth_and_vector_residual_panels_are_hybrid()
    {
        var context = ThreeEntries(truth: [1.5, 2, 2, 2, 0]);
        context.Meta["theta"]!["truth"] = new JsonArray(100.0, 100.0, 100.0, 100.0, 100.0);  // the host's truth wins
        var set = new GenericSignalRecipe().Build(context);
        Assert.Equal(new[] { -0.5, 8.5 }, Get(set, "a_error").Values);
        Assert.Equal(new[] { 0.0, 1, 2, 18, 28, 38 }, Get(set, "b_error").Values);
        Assert.Equal(new[] { 1.5 }, Get(set, "a").Truth);
        Assert.Equal(VectorMode.Hybrid, Panel(set, "b − truth").Mode);
        Assert.Equal(VectorMode.Components, Panel(set, "a − truth").Mode);
        Assert.Equal("arcsec", Get(set, "a_error").Unit);
    }

    [Fact]
    public void Without_any_truth_there_are_no_residual_signals()
    {
        var set = new GenericSignalRecipe().Build(ThreeEntries());
        Assert.DoesNotContain(set.Signals, s => s.Name.EndsWith("_error", StringComparison.Ordinal));
        Assert.Null(Get(set, "a").Truth);
    }

    [Fact]
    public void Loss_above_best_ignores_non_finite_losses()
    {
        var context = new SignalContext
        {
            Trace = new TraceData { Loss = [3.0, double.NaN, 1.0, double.PositiveInfinity], Theta = [0, 0, 0, 0], Dimension = 1 },
            Meta = Meta("index_map", Entry("x", 0, 1)),
        };
        var above = Get(new GenericSignalRecipe().Build(context), "loss_above_best").Values;
        Assert.Equal(2.0, above[0]);
        Assert.True(double.IsNaN(above[1]));
        Assert.Equal(0.0, above[2]);
        Assert.Equal(double.PositiveInfinity, above[3]);
    }

    /// <summary>A θ-space of z with x = 2z + 1 for every component, plus one derived value.</summary>
    private sealed class AffineDecoder : IThetaDecoder
    {
        public IndexMap IndexMap { get; } = IndexMap.SingleVector(2, "z");

        public IReadOnlyDictionary<string, double[]> Decode(ReadOnlySpan<double> theta) => new Dictionary<string, double[]>
        {
            ["binary.separation_as"] = [2 * theta[0] + 1],
            ["binary.contrast"] = [2 * theta[1] + 1],
            ["derived.sum"] = [4 * (theta[0] + theta[1]) + 2],
        };
    }

    private static SignalContext Decoded(int rows) => new()
    {
        Trace = new TraceData { Loss = rows == 0 ? [] : [1.0, 0.5], Theta = rows == 0 ? [] : [1, 2, 3, 4], Dimension = 2 },
        // The run is in z; the primitive layout is what the decoder decodes to (and wins over index_map).
        Meta = new JsonObject
        {
            ["theta"] = new JsonObject
            {
                ["index_map"] = new JsonObject { ["entries"] = new JsonArray(Entry("z", 0, 2)) },
                ["primitive_index_map"] = new JsonObject { ["entries"] = new JsonArray(Entry("binary.separation_as", 0, 1, "separation (arcsec)"), Entry("binary.contrast", 1, 2)) },
            },
        },
        Decoder = new AffineDecoder(),
    };

    [Fact]
    public void Generic_recipe_draws_the_decoded_primitive_parameters_not_theta()
    {
        var set = new GenericSignalRecipe().Build(Decoded(2));
        Assert.Equal(new[] { 3.0, 7.0 }, Get(set, "binary.separation_as").Values);
        Assert.Equal(new[] { 5.0, 9.0 }, Get(set, "binary.contrast").Values);
        Assert.Equal("arcsec", Get(set, "binary.separation_as").Unit);
        Assert.DoesNotContain(set.Signals, s => s.Name == "z");
    }

    [Fact]
    public void A_trace_without_rows_still_has_every_primitive_entry()
    {
        var set = new GenericSignalRecipe().Build(Decoded(0));
        Assert.Empty(Get(set, "binary.separation_as").Values);
        Assert.Equal([0], Get(set, "binary.contrast").Shape);
    }

    [Fact]
    public void Shera_recipe_decodes_too_and_reads_fixed_vectors_from_nominal()
    {
        var context = Decoded(2);
        context.Meta["objective"] = new JsonObject
        {
            ["data"] = new JsonObject { ["source"] = "simulate" },
            ["nominal"] = new JsonObject { ["secondary.zernike_coeffs_nm"] = new JsonArray(4.0, -3.0), ["binary.log_flux_total"] = 2.0 },
            ["truth"] = new JsonObject
            {
                ["binary.separation_as"] = 3.5, ["secondary.zernike_coeffs_nm"] = new JsonArray(1.0, 1.0),
                ["binary.log_flux_total"] = 2.0, ["binary.contrast"] = 4.0,
            },
        };
        var set = new SheraSignalRecipe().Build(context);
        Assert.Equal(new[] { -0.5e6, 3.5e6 }, Get(set, "binary.separation_error_uas").Values);
        // Fixed secondary Zernikes (4, −3) against truth (1, 1) at every row; RMS = √((9 + 16)/2).
        Assert.Equal(new[] { 3.0, -4, 3, -4 }, Get(set, "secondary.zernike_error_nm").Values);
        Assert.Equal(Math.Sqrt(12.5), Get(set, "secondary.zernike_rms_nm").Values[1], 12);
        Assert.DoesNotContain(set.Signals, s => s.Name == "primary.zernike_error_nm");
        // Raw fluxes at log flux 2 (fixed): F_B = 100/(1 + c), F_A = c·F_B; truth c = 4 → F_A = 80, F_B = 20.
        var flux = Get(set, "binary.raw_flux_error_ppm").Values;
        Assert.Equal(1e6 * (5.0 * 100 / 6 - 80) / 80, flux[0], 6);
        Assert.Equal(1e6 * (100.0 / 6 - 20) / 20, flux[1], 6);
        Assert.Equal(1e6 * (90.0 - 80) / 80, flux[2], 6);
        Assert.Equal(1e6 * (10.0 - 20) / 20, flux[3], 6);
        // Parameters neither inferred nor fixed are NaN; no truth for them, NaN residuals.
        Assert.All(Get(set, "binary.x_error_uas").Values, v => Assert.True(double.IsNaN(v)));
        Assert.Contains(set.Panels, p => p.Title == "secondary Zernike RMS error" && p.LogY);
        Assert.Contains(set.Panels, p => p.Title == "secondary Zernike error" && p.Mode == VectorMode.Hybrid);
    }
}
