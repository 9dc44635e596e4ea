using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using DluxShera.Contracts;
using DluxShera.Host.Components;

namespace DluxShera.Host.Benchmarks;

/// <summary>
/// SHERA loss+gradient and forward (residuals) timings at test and production size, the gradient/forward
/// cost ratio and peak memory, with numpy's forward pass of the same sizes and model (two- or three-plane) as the
/// baseline; then batched loss+gradient rates (B points per <see cref="IBatchedObjective.EvaluateBatch"/>) on the
/// chosen backend against the CPU backend, with the largest relative difference between the two.
/// </summary>
public static class SheraBenchmark
{
    private static JsonObject? _overrides;

    /// <summary>Runs the benchmark.</summary>
    /// <param name="catalog">Registered components.</param>
    /// <param name="presets">Preset names.</param>
    /// <param name="o">Output.</param>
    /// <param name="backend">objective.options.backend of the batched rows (cpu, cuda, auto, ilgpu-cpu).</param>
    /// <param name="batches">Batch sizes of the batched rows (none: no batched table).</param>
    /// <param name="overrides">objective.options merged over every preset (e.g. smaller optics for a quick check).</param>
    public static int Execute(ComponentCatalog catalog, IReadOnlyList<string> presets, TextWriter o, string backend = "cpu", IReadOnlyList<int>? batches = null,
        JsonObject? overrides = null)
    {
        _overrides = overrides;
        string? python = BenchTiming.PythonWithNumpy();
        string script = new StreamReader(typeof(SheraBenchmark).Assembly.GetManifestResourceStream("DluxShera.Host.Benchmarks.shera_numpy_forward.py")!).ReadToEnd();
        o.WriteLine($"{Environment.ProcessorCount} cores; BLAS: {Environment.GetEnvironmentVariable("DLUXSHERA_BLAS") ?? "auto"}; median of 3 after a warm-up; "
            + "CPU: seconds of CPU time of the process over one call (all threads), the comparison that survives a machine shared with other work");
        o.WriteLine("| preset | pupil / psf / os / λ | loss+grad (s) | evals/s | forward (s) | grad/forward | numpy forward, same model (s) | forward vs numpy | loss+grad vs numpy forward "
            + "| CPU s: loss+grad / forward / numpy forward | CPU: forward vs numpy | CPU: loss+grad vs numpy forward | peak memory (MB) |");
        o.WriteLine("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        foreach (string preset in presets)
        {
            var objective = Create(catalog, preset, "cpu");
            var optics = objective.Describe();
            int d = objective.IndexMap.Dimension;
            var theta = new double[d];
            objective.GetInitialTheta(theta);
            var gradient = new double[d];
            var residual = objective as IResidualObjective;
            var residuals = new double[residual?.ResidualCount ?? 0];
            var (both, bothCpu) = BenchTiming.MedianWallAndCpu(3, () => objective.Evaluate(theta, gradient));
            var (forward, forwardCpu) = residual is null ? (double.NaN, double.NaN) : BenchTiming.MedianWallAndCpu(3, () => residual.Residuals(theta, residuals));
            var sizes = Sizes(catalog, preset);
            string numpy = "-", ratio = "-", gradRatio = "-", numpyCpu = "-", cpuRatio = "-", cpuGradRatio = "-";
            // The numpy baseline runs the same model's forward operations (three-plane: with the padded Fresnel steps).
            if (python is not null)
            {
                var printed = BenchTiming.RunPython(python, script, sizes.Pupil, sizes.Psf, sizes.Oversample, sizes.NLambda, sizes.Padding)
                    .Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                double seconds = double.Parse(printed[0], CultureInfo.InvariantCulture), cpu = double.Parse(printed[1], CultureInfo.InvariantCulture);
                numpy = seconds.ToString("F4", CultureInfo.InvariantCulture);
                ratio = (forward / seconds).ToString("F2", CultureInfo.InvariantCulture);
                gradRatio = (both / seconds).ToString("F2", CultureInfo.InvariantCulture);
                numpyCpu = cpu.ToString("F3", CultureInfo.InvariantCulture);
                cpuRatio = (forwardCpu / cpu).ToString("F2", CultureInfo.InvariantCulture);
                cpuGradRatio = (bothCpu / cpu).ToString("F2", CultureInfo.InvariantCulture);
            }
            long peak = Process.GetCurrentProcess().PeakWorkingSet64 / 1_000_000;
            o.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {preset} | {sizes.Pupil} / {sizes.Psf} / {sizes.Oversample} / {sizes.NLambda} | {both:F4} | {1 / both:F1} | {forward:F4} | {both / forward:F2} | {numpy} | {ratio} | {gradRatio} | {bothCpu:F3} / {forwardCpu:F3} / {numpyCpu} | {cpuRatio} | {cpuGradRatio} | {peak} |"));
        }
        if (batches is { Count: > 0 }) BatchedRows(catalog, presets, backend, batches, o);
        return ExitCodes.Ok;
    }

    private static IObjective Create(ComponentCatalog catalog, string preset, string backend) =>
        catalog.Create<IObjective>(ComponentKinds.Objective, new ComponentReference
        {
            Name = "shera",
            Preset = preset,
            Options = StrictJsonBinder.Merge(new JsonObject { ["data"] = new JsonObject { ["noise"] = "none" } }, _overrides).Also(o => o["backend"] = backend),
        }, "bench");

    // B points near θ0 (relative perturbations of 1e-4, different per point and coordinate).
    private static double[] Points(IObjective objective, int count)
    {
        int d = objective.IndexMap.Dimension;
        var points = new double[count * d];
        for (int b = 0; b < count; b++)
        {
            var row = points.AsSpan(b * d, d);
            objective.GetInitialTheta(row);
            for (int k = 0; k < d; k++) row[k] *= 1 + 1e-4 * Math.Sin(7 * b + k);
        }
        return points;
    }

    private static void BatchedRows(ComponentCatalog catalog, IReadOnlyList<string> presets, string backend, IReadOnlyList<int> batches, TextWriter o)
    {
        o.WriteLine();
        o.WriteLine($"Batched loss+gradient, backend {backend} against cpu (cpu: one managed model per worker, {Environment.ProcessorCount} workers; cpu rate measured on min(B, 2×cores) points); median of 3 after a warm-up:");
        o.WriteLine("| preset | backend (device) | B | evals/s | cpu evals/s | speed-up | max rel. diff vs cpu (loss, gradient) |");
        o.WriteLine("| --- | --- | --- | --- | --- | --- | --- |");
        foreach (string preset in presets)
        {
            var cpu = (IBatchedObjective)Create(catalog, preset, "cpu");
            var device = (IBatchedObjective)Create(catalog, preset, backend);
            var described = device.Describe()["backend"] as JsonObject;
            string name = $"{described?["name"]} ({described?["device"]})";
            int d = cpu.IndexMap.Dimension;
            foreach (int b in batches)
            {
                var points = Points(cpu, b);
                var losses = new double[b];
                var gradients = new double[b * d];
                double seconds = BenchTiming.Median(3, () => device.EvaluateBatch(points, losses, gradients));
                int cpuCount = Math.Min(b, 2 * Environment.ProcessorCount);
                var cpuLosses = new double[cpuCount];
                var cpuGradients = new double[cpuCount * d];
                double cpuSeconds = BenchTiming.Median(3, () => cpu.EvaluateBatch(points.AsSpan(0, cpuCount * d), cpuLosses, cpuGradients));
                double lossDiff = 0, gradDiff = 0, gradScale = 0;
                for (int i = 0; i < cpuCount * d; i++) gradScale = Math.Max(gradScale, Math.Abs(cpuGradients[i]));
                for (int i = 0; i < cpuCount; i++) lossDiff = Math.Max(lossDiff, Math.Abs(losses[i] - cpuLosses[i]) / Math.Abs(cpuLosses[i]));
                for (int i = 0; i < cpuCount * d; i++)
                {
                    gradDiff = Math.Max(gradDiff, Math.Abs(gradients[i] - cpuGradients[i]) / Math.Max(Math.Abs(cpuGradients[i]), 1e-3 * gradScale));
                }
                double rate = b / seconds, cpuRate = cpuCount / cpuSeconds;
                o.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {preset} | {name} | {b} | {rate:F2} | {cpuRate:F2} | {rate / cpuRate:F2} | {lossDiff:E1}, {gradDiff:E1} |"));
            }
            (device as IDisposable)?.Dispose();
            (cpu as IDisposable)?.Dispose();
        }
    }

    private static (int Pupil, int Psf, int Oversample, int NLambda, int Padding) Sizes(ComponentCatalog catalog, string preset)
    {
        var json = StrictJsonBinder.Merge(catalog.PresetOf(ComponentKinds.Objective, "shera", preset) ?? [], _overrides);
        var optics = json?["optics"];
        int Get(string key) => optics?[key]?.GetValue<int>() ?? 0;
        double Real(string key, double fallback) => optics?[key]?.GetValue<double>() ?? fallback;
        int padding = 0;
        if (json?["model"]?.GetValue<string>() == "three_plane")
        {
            // P = ⌈D2·M/D1⌉ with M = 1/(1 − d/f1), as the model pads (defaults: SHERA_MODEL §1 testbed values).
            double magnification = 1 / (1 - Real("m1_m2_separation_m", 0.32) / Real("m1_focal_length_m", 0.35796));
            padding = (int)Math.Ceiling(Real("m2_diameter_m", 0.025) * magnification / Real("m1_diameter_m", 0.09));
        }
        return (Get("pupil_npix"), Get("psf_npix"), Get("oversample"), Get("n_lambda"), padding);
    }
}

file static class JsonObjectExtensions
{
    public static JsonObject Also(this JsonObject o, Action<JsonObject> change)
    {
        change(o);
        return o;
    }
}
