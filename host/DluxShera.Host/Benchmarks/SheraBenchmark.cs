using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using DluxShera.Contracts;
using DluxShera.Host.Components;

namespace DluxShera.Host.Benchmarks;

/// <summary>
/// SHERA loss+gradient and forward (residuals) timings at test and production size, the gradient/forward
/// cost ratio and peak memory, with numpy's forward pass of the same sizes as the baseline.
/// </summary>
public static class SheraBenchmark
{
    /// <summary>Runs the benchmark.</summary>
    /// <param name="catalog">Registered components.</param>
    /// <param name="presets">Preset names.</param>
    /// <param name="o">Output.</param>
    public static int Execute(ComponentCatalog catalog, IReadOnlyList<string> presets, TextWriter o)
    {
        string? python = BenchTiming.PythonWithNumpy();
        string script = new StreamReader(typeof(SheraBenchmark).Assembly.GetManifestResourceStream("DluxShera.Host.Benchmarks.shera_numpy_forward.py")!).ReadToEnd();
        o.WriteLine($"{Environment.ProcessorCount} cores; BLAS: {Environment.GetEnvironmentVariable("DLUXSHERA_BLAS") ?? "auto"}; median of 3 after a warm-up");
        o.WriteLine("| preset | pupil / psf / os / λ | loss+grad (s) | evals/s | forward (s) | grad/forward | numpy 2-plane forward (s) | forward vs numpy | peak memory (MB) |");
        o.WriteLine("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        foreach (string preset in presets)
        {
            var objective = catalog.Create<IObjective>(ComponentKinds.Objective, new ComponentReference
            {
                Name = "shera",
                Preset = preset,
                Options = new JsonObject { ["data"] = new JsonObject { ["noise"] = "none" } },
            }, "bench");
            var optics = objective.Describe();
            int d = objective.IndexMap.Dimension;
            var theta = new double[d];
            objective.GetInitialTheta(theta);
            var gradient = new double[d];
            var residual = objective as IResidualObjective;
            var residuals = new double[residual?.ResidualCount ?? 0];
            double both = BenchTiming.Median(3, () => objective.Evaluate(theta, gradient));
            double forward = residual is null ? double.NaN : BenchTiming.Median(3, () => residual.Residuals(theta, residuals));
            var sizes = Sizes(catalog, preset);
            string numpy = "-", ratio = "-";
            // The numpy baseline is the two-plane forward pass; a three-plane row has no like-for-like baseline.
            bool twoPlane = catalog.PresetOf(ComponentKinds.Objective, "shera", preset)?["model"]?.GetValue<string>() != "three_plane";
            if (python is not null && twoPlane)
            {
                double seconds = double.Parse(BenchTiming.RunPython(python, script, sizes.Pupil, sizes.Psf, sizes.Oversample, sizes.NLambda).Trim(), CultureInfo.InvariantCulture);
                numpy = seconds.ToString("F4", CultureInfo.InvariantCulture);
                ratio = (forward / seconds).ToString("F2", CultureInfo.InvariantCulture);
            }
            long peak = Process.GetCurrentProcess().PeakWorkingSet64 / 1_000_000;
            o.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {preset} | {sizes.Pupil} / {sizes.Psf} / {sizes.Oversample} / {sizes.NLambda} | {both:F4} | {1 / both:F1} | {forward:F4} | {both / forward:F2} | {numpy} | {ratio} | {peak} |"));
        }
        return ExitCodes.Ok;
    }

    private static (int Pupil, int Psf, int Oversample, int NLambda) Sizes(ComponentCatalog catalog, string preset)
    {
        var optics = catalog.PresetOf(ComponentKinds.Objective, "shera", preset)?["optics"];
        int Get(string key) => optics?[key]?.GetValue<int>() ?? 0;
        return (Get("pupil_npix"), Get("psf_npix"), Get("oversample"), Get("n_lambda"));
    }
}
