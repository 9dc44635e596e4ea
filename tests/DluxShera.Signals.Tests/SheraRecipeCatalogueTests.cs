using System.Text.Json.Nodes;
using DluxShera.Contracts;
using DluxShera.Signals;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Primitives;
using Xunit;

namespace DluxShera.Tests;

/// <summary>
/// The SHERA recipe's catalogue as docs/signals.md and the seed's "Signals strategy (v0)" name it: every signal
/// with its unit and shape, the panels (x and y overlaid, the loss panels on log axes, Zernike RMS on a log axis),
/// Zernike RMS row by row, and the plugin's registration under the names run specs use.
/// </summary>
public class SheraRecipeCatalogueTests
{
    // θ = [separation, zernikes(2)], three rows; everything else fixed at its nominal value.
    private static SignalContext Context(JsonArray? primaryNominal = null) => new()
    {
        Trace = new TraceData { Loss = [9.0, 4.0, 6.0], Theta = [10, 0, 0, 10.000001, 3, 4, 10.000002, 1, -1], Dimension = 3 },
        Meta = new JsonObject
        {
            ["theta"] = new JsonObject
            {
                ["index_map"] = new JsonObject
                {
                    ["entries"] = new JsonArray(
                        new JsonObject { ["name"] = "binary.separation_as", ["start"] = 0, ["stop"] = 1 },
                        new JsonObject { ["name"] = primaryNominal is null ? "primary.zernike_coeffs_nm" : "unused", ["start"] = 1, ["stop"] = 3 }),
                },
            },
            ["objective"] = new JsonObject
            {
                ["data"] = new JsonObject { ["source"] = "simulate" },
                ["nominal"] = new JsonObject
                {
                    ["binary.x_position_as"] = 0.0, ["binary.y_position_as"] = 0.0, ["binary.position_angle_deg"] = 30.0,
                    ["system.plate_scale_as_per_pix"] = 0.4, ["binary.log_flux_total"] = 6.0, ["binary.contrast"] = 1.0,
                    ["primary.zernike_coeffs_nm"] = primaryNominal?.DeepClone(),
                },
                ["truth"] = new JsonObject
                {
                    ["binary.separation_as"] = 10.0, ["binary.x_position_as"] = 0.0, ["binary.y_position_as"] = 0.0,
                    ["binary.position_angle_deg"] = 30.0, ["system.plate_scale_as_per_pix"] = 0.4, ["binary.log_flux_total"] = 6.0,
                    ["binary.contrast"] = 1.0, ["primary.zernike_coeffs_nm"] = new JsonArray(0.0, 0.0),
                },
            },
        },
    };

    [Fact]
    public void Every_documented_signal_has_its_unit_and_shape()
    {
        var set = new SheraSignalRecipe().Build(Context());
        var expected = new (string Name, string Unit, int[] Shape)[]
        {
            ("loss", "loss", [3]), ("loss_above_best", "loss − best", [3]),
            ("binary.x_error_uas", "µas", [3]), ("binary.y_error_uas", "µas", [3]), ("binary.separation_error_uas", "µas", [3]),
            ("binary.position_angle_error_as", "arcsec", [3]), ("system.plate_scale_error_ppm", "ppm", [3]),
            ("binary.raw_flux_error_ppm", "ppm", [3, 2]), ("primary.zernike_error_nm", "nm", [3, 2]), ("primary.zernike_rms_nm", "nm", [3]),
        };
        Assert.Equal(expected.Select(e => e.Name).Order(), set.Signals.Select(s => s.Name).Order());
        foreach (var (name, unit, shape) in expected)
        {
            var s = set.Signals.Single(x => x.Name == name);
            Assert.True(unit == s.Unit, $"{name}: unit '{s.Unit}', expected '{unit}'");
            Assert.Equal(shape, s.Shape);
        }
        Assert.Equal(new[] { 9.0, 4, 6 }, set.Signals.Single(s => s.Name == "loss").Values);
        Assert.Equal(new[] { 5.0, 0, 2 }, set.Signals.Single(s => s.Name == "loss_above_best").Values);
        // Fixed parameters equal to their truth: zero error at every row, not NaN.
        Assert.Equal(new double[3], set.Signals.Single(s => s.Name == "binary.y_error_uas").Values);
        Assert.Equal(new[] { 0.0, 1, 2 }, set.Signals.Single(s => s.Name == "binary.separation_error_uas").Values.Select(v => Math.Round(v, 6)));
    }

    [Fact]
    public void Zernike_rms_is_taken_row_by_row()
    {
        var rms = new SheraSignalRecipe().Build(Context()).Signals.Single(s => s.Name == "primary.zernike_rms_nm").Values;
        Assert.Equal(0.0, rms[0]);
        Assert.Equal(Math.Sqrt((9 + 16) / 2.0), rms[1], 12);
        Assert.Equal(1.0, rms[2], 12);
    }

    [Fact]
    public void Panels_overlay_x_and_y_and_put_losses_and_zernike_rms_on_log_axes()
    {
        var panels = new SheraSignalRecipe().Build(Context()).Panels;
        var expected = new (string[] Signals, bool LogY)[]
        {
            (["loss"], true), (["loss_above_best"], true), (["binary.x_error_uas", "binary.y_error_uas"], false),
            (["binary.separation_error_uas"], false), (["binary.position_angle_error_as"], false), (["system.plate_scale_error_ppm"], false),
            (["binary.raw_flux_error_ppm"], false), (["primary.zernike_error_nm"], false), (["primary.zernike_rms_nm"], true),
        };
        Assert.Equal(expected.Length, panels.Count);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i].Signals, panels[i].Signals);
            Assert.True(expected[i].LogY == panels[i].LogY, $"panel {i} ({panels[i].Title}): LogY {panels[i].LogY}");
        }
        // Titles name the figure files (panel_NN_<title>.png): present and distinct.
        Assert.All(panels, p => Assert.False(string.IsNullOrWhiteSpace(p.Title)));
        Assert.Equal(panels.Count, panels.Select(p => p.Title).Distinct().Count());
        var zernike = panels.Single(p => p.Signals.SequenceEqual(["primary.zernike_error_nm"]));
        Assert.Equal(VectorMode.Hybrid, zernike.Mode);
        Assert.Equal(3, zernike.TopN);
    }

    [Fact]
    public void A_mirror_with_no_zernike_terms_has_no_zernike_signals()
    {
        var set = new SheraSignalRecipe().Build(Context(primaryNominal: []));
        Assert.DoesNotContain(set.Signals, s => s.Name.StartsWith("primary.", StringComparison.Ordinal));
        Assert.DoesNotContain(set.Panels, p => p.Signals.Any(s => s.StartsWith("primary.", StringComparison.Ordinal)));
    }

    private sealed class NoConfiguration : IConfiguration
    {
        public string? this[string key] { get => null; set { } }

        public IEnumerable<IConfigurationSection> GetChildren() => [];

        public IChangeToken GetReloadToken() => throw new NotSupportedException();

        public IConfigurationSection GetSection(string key) => throw new NotSupportedException();
    }

    private sealed class NoComponents : IComponentResolver
    {
        public bool Has(string kind, string name) => false;

        public T Create<T>(string kind, ComponentReference reference, string optionsPath) where T : class => throw new NotSupportedException();
    }

    private sealed class NoServices : IServiceProvider
    {
        public object? GetService(Type serviceType) => null;
    }

    [Fact]
    public void The_plugin_registers_both_recipes_under_the_names_run_specs_use()
    {
        var plugin = new SignalsPlugin();
        Assert.Equal("dluxshera.signals", plugin.Id);
        var services = new ServiceCollection();
        plugin.Register(services, new NoConfiguration());
        var descriptors = services.Select(s => s.ImplementationInstance).OfType<ComponentDescriptor>().ToDictionary(d => d.Key);
        Assert.Equal(["signals:generic", "signals:shera"], descriptors.Keys.Order());
        Assert.All(descriptors.Values, d => Assert.False(string.IsNullOrWhiteSpace(d.Description)));
        var context = new ComponentContext { Services = new NoServices(), Components = new NoComponents(), RunSeed = 1 };

        var generic = Assert.IsType<GenericSignalRecipe>(descriptors["signals:generic"].Factory(context, new GenericSignalOptions { Parameters = ["binary.separation_as"] }));
        Assert.Equal("generic", generic.Name);
        // The options reach the recipe: only the named entry is drawn.
        var drawn = generic.Build(Context()).Panels.Select(p => p.Title).ToList();
        Assert.Contains("binary.separation_as", drawn);
        Assert.DoesNotContain("primary.zernike_coeffs_nm", drawn);

        var shera = Assert.IsType<SheraSignalRecipe>(descriptors["signals:shera"].Factory(context, new SignalsPlugin.NoOptions()));
        Assert.Equal("shera", shera.Name);
    }
}
