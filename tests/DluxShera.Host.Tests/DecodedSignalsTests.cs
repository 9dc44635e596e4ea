using DluxShera.Artifacts;
using DluxShera.Contracts;
using DluxShera.Numpy;
using Xunit;

namespace DluxShera.Tests;

/// <summary>
/// Signals through the decoder: an eigen run and a primitive run at the same point give the same signals, derived
/// quantities (SHERA's raw fluxes) included, and <c>plot</c> rebuilds them from the run directory alone.
/// </summary>
public class DecodedSignalsTests
{
    private static Dluxshera.Result Run(TempDirectory tmp, string id, params string[] sets)
    {
        var args = new List<string> { "run", RepoPaths.Example("shera-eigen.json"), "--quiet", "--out", tmp.Path, "--plugins", RepoPaths.PluginsJson,
            "--set", $"run.id={id}", "--set", "run.figures=false", "--set", "run.uncertainty=false" };
        foreach (string s in sets) { args.Add("--set"); args.Add(s); }
        return Dluxshera.Invoke([.. args]);
    }

    [Fact]
    public void Eigen_and_primitive_runs_at_the_same_point_have_the_same_signals_and_plot_rebuilds_them()
    {
        using var tmp = RepoPaths.Temp();
        var eigen = Run(tmp, "eigen", "optimizer.options.num_steps=3");
        Assert.True(eigen.ExitCode == 0, eigen.ToString());
        string eigenDir = tmp.Combine("eigen");
        // The primitive run starts at the eigen run's best point (decoded by its theta_map.npz): its row 0 is that point.
        var primitive = Run(tmp, "primitive", "theta_map.name=identity", "theta_map.options=null", $"run.init_from={eigenDir}",
            "optimizer.name=levenberg_marquardt", "optimizer.options=null", "optimizer.options.num_steps=1");
        Assert.True(primitive.ExitCode == 0, primitive.ToString());
        string primitiveDir = tmp.Combine("primitive");

        int best = RunArtifacts.LoadSummary(eigenDir)["best_step"]!.GetValue<int>();
        Assert.True(best > 0, "the eigen run should have moved off θref, so decoding is exercised");
        var eigenSignals = NpzFile.Load(Path.Combine(eigenDir, RunLayout.Signals));
        var primitiveSignals = NpzFile.Load(Path.Combine(primitiveDir, RunLayout.Signals));
        var compared = eigenSignals.Keys.Where(k => k.Contains("error", StringComparison.Ordinal) || k.EndsWith("_rms_nm", StringComparison.Ordinal) || k == "loss").ToList();
        Assert.Contains("binary.raw_flux_error_ppm", compared);
        Assert.Contains("binary.separation_error_uas", compared);
        foreach (string name in compared)
        {
            var a = eigenSignals[name];
            var b = primitiveSignals[name];
            int k = a.Shape.Length > 1 ? a.Shape[1] : 1;
            var ea = a.ToDoubles().AsSpan(best * k, k).ToArray();
            var eb = b.ToDoubles().AsSpan(0, k).ToArray();
            for (int i = 0; i < k; i++) Assert.True(Math.Abs(ea[i] - eb[i]) <= 1e-9 * Math.Max(1, Math.Abs(eb[i])), $"{name}[{i}]: eigen {ea[i]} vs primitive {eb[i]}");
        }

        // derived.npz carries the objective's raw fluxes per trace row: F_B = 10^L/(1 + c), F_A = c·F_B of the decoded row.
        var derived = NpzFile.Load(Path.Combine(eigenDir, RunLayout.Derived))["binary.raw_fluxes"];
        var trace = RunArtifacts.LoadTrace(eigenDir);
        Assert.Equal([trace.Steps, 2], derived.Shape);
        var decodedRow = RunArtifacts.LoadCheckpoint(eigenDir, "best")!;
        var report = RunArtifacts.LoadSummary(eigenDir)["parameters"]!.AsArray();
        double Best(string name) => report.Single(p => p!["name"]!.GetValue<string>() == name)!["best"]!.GetValue<double>();
        double fb = Math.Pow(10, Best("binary.log_flux_total")) / (1 + Best("binary.contrast"));
        Assert.Equal(fb * Best("binary.contrast"), derived.ToDoubles()[2 * decodedRow.Step], 1e-9 * fb);
        Assert.Equal(fb, derived.ToDoubles()[2 * decodedRow.Step + 1], 1e-9 * fb);
        Assert.NotNull(RunArtifacts.LoadMeta(eigenDir)["theta"]!["derived_truth"]!["binary.raw_fluxes"]);

        // plot, from the run directory alone, writes the same signals bit for bit.
        var before = File.ReadAllBytes(Path.Combine(eigenDir, RunLayout.Signals));
        var plot = Dluxshera.Invoke("plot", eigenDir, "--plugins", RepoPaths.PluginsJson, "--out", tmp.Combine("replot"));
        Assert.True(plot.ExitCode == 0, plot.ToString());
        var rebuilt = NpzFile.Load(tmp.Combine("replot", RunLayout.Signals));
        foreach (var (name, array) in eigenSignals) Assert.Equal(array.ToDoubles(), rebuilt[name].ToDoubles());
        Assert.Equal(before, File.ReadAllBytes(Path.Combine(eigenDir, RunLayout.Signals)));
    }

    [Fact]
    public void A_derived_npz_that_does_not_match_the_trace_is_bad_input_naming_the_file()
    {
        using var tmp = RepoPaths.Temp();
        var run = Run(tmp, "r", "optimizer.options.num_steps=2");
        Assert.True(run.ExitCode == 0, run.ToString());
        string dir = tmp.Combine("r");
        NpzFile.Save(Path.Combine(dir, RunLayout.Derived), [KeyValuePair.Create("binary.raw_fluxes", new NdArray(new double[2], 1, 2))]);
        var plot = Dluxshera.Invoke("plot", dir, "--plugins", RepoPaths.PluginsJson);
        Assert.Equal(2, plot.ExitCode);
        Assert.Contains("derived.npz: array 'binary.raw_fluxes' has shape (1, 2)", plot.Stderr);
    }
}
