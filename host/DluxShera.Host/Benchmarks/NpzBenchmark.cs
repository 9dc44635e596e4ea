using System.Globalization;
using DluxShera.Artifacts;
using DluxShera.Contracts;
using DluxShera.Numpy;

namespace DluxShera.Host.Benchmarks;

/// <summary>
/// Writes and reads back a T×D float64 trace, ours against numpy's <c>savez</c>/<c>load</c> of the same
/// array on the same machine, as ratios (ours / numpy; below 1 is faster).
/// </summary>
public static class NpzBenchmark
{
    /// <summary>Runs the benchmark and prints a table.</summary>
    /// <param name="rows">T.</param>
    /// <param name="cols">D.</param>
    /// <param name="repeat">Timed repetitions (median reported).</param>
    /// <param name="o">Output.</param>
    public static int Execute(int rows, int cols, int repeat, TextWriter o)
    {
        string dir = Path.Combine(Path.GetTempPath(), "dluxshera-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var theta = new double[rows * cols];
            var rng = new Random(1);
            for (int i = 0; i < theta.Length; i++) theta[i] = rng.NextDouble();
            var array = new NdArray(theta, rows, cols);
            string file = Path.Combine(dir, "ours.npz");

            double format = BenchTiming.Median(repeat, () =>
            {
                using var stream = File.Create(Path.Combine(dir, "plain.npz"));
                NpzFile.Write(stream, [new("theta", array)]);
            });
            double write = BenchTiming.Median(repeat, () => NpzFile.Save(file, [new("theta", array)]));
            double read = BenchTiming.Median(repeat, () => NpzFile.Load(file));
            double stream = BenchTiming.Median(repeat, () => StreamTrace(dir, theta, rows, cols));

            string? python = BenchTiming.PythonWithNumpy();
            double? npWrite = null, npRead = null;
            if (python is not null)
            {
                string script = string.Create(CultureInfo.InvariantCulture, $$"""
                    import numpy as np, time, os
                    a = np.random.default_rng(1).random(({{rows}}, {{cols}}))
                    f = os.path.join({{Py(dir)}}, 'numpy.npz')
                    def median(fn):
                        fn(); ts = []
                        for _ in range({{repeat}}):
                            t = time.perf_counter(); fn(); ts.append(time.perf_counter() - t)
                        return sorted(ts)[len(ts) // 2]
                    w = median(lambda: np.savez(f, theta=a))
                    r = median(lambda: np.load(f)['theta'])
                    print(w, r, np.__version__)
                    """);
                var parts = BenchTiming.RunPython(python, script).Split(' ', StringSplitOptions.RemoveEmptyEntries);
                npWrite = double.Parse(parts[0], CultureInfo.InvariantCulture);
                npRead = double.Parse(parts[1], CultureInfo.InvariantCulture);
                o.WriteLine($"numpy {parts[2].Trim()} via {python}");
            }
            else
            {
                o.WriteLine("numpy not found (apt-get install python3-numpy): ratios omitted");
            }
            double mb = rows * (double)cols * 8 / 1e6;
            o.WriteLine($"trace {rows} x {cols} float64 ({mb:F1} MB), median of {repeat} after a warm-up, {Environment.ProcessorCount} cores");
            o.WriteLine($"{"operation",-50} {"ours (s)",10} {"numpy (s)",10} {"ratio",7}");
            Row("write, plain (NpzFile.Write vs np.savez)", format, npWrite);
            Row("write, atomic + fsync (NpzFile.Save)", write, npWrite);
            Row("read (NpzFile.Load vs np.load()['theta'])", read, npRead);
            Row("run path (T rows streamed + trace.npz, manifest)", stream, npWrite);
            return ExitCodes.Ok;

            void Row(string name, double ours, double? numpy) =>
                o.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{name,-50} {ours,10:F4} {(numpy is { } n ? n.ToString("F4", CultureInfo.InvariantCulture) : "-"),10} {(numpy is { } m ? (ours / m).ToString("F2", CultureInfo.InvariantCulture) : "-"),7}"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    // The run path: rows streamed one by one to trace.partial/ and packed into trace.npz.
    private static void StreamTrace(string dir, double[] theta, int rows, int cols)
    {
        string root = Path.Combine(dir, "runs");
        using var writer = new FilesystemArtifactStore().CreateRun(new RunCreateRequest { OutputRoot = root, RunId = "bench", Dimension = cols, Overwrite = true });
        for (int t = 0; t < rows; t++)
        {
            writer.Append(new TraceRow { Step = t, Loss = 1.0, Theta = theta.AsSpan(t * cols, cols), GradNorm = 1, StepNorm = 1, BaseLr = 1 });
        }
        writer.Complete(new System.Text.Json.Nodes.JsonObject { ["status"] = "ok" }, null, null);
    }

    private static string Py(string s) => "'" + s.Replace("\\", "\\\\").Replace("'", "\\'") + "'";
}
