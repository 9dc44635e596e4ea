using System.Text.Json.Nodes;
using DluxShera.Artifacts;
using DluxShera.Contracts;
using DluxShera.Numpy;
using Xunit;

namespace DluxShera.Tests;

/// <summary>
/// Traces larger than memory or 2 GiB: <c>inspect</c>, <c>plot</c> and the signals stream them in chunks and, past a
/// budget, decimate them (issue 10, item 3). The streaming paths are tested with tiny chunks against the whole
/// trace loaded the ordinary way, and the "over 2 GiB" path with a sparse file (nothing large is written).
/// </summary>
public class LargeTraceTests
{
    [Fact]
    public void The_rows_kept_are_every_kth_row_plus_the_lowest_loss_and_the_last()
    {
        // 1001 rows, at most 12: k = ⌈1000 / 10⌉ = 100 leaves room for the lowest-loss row (537) and the last.
        Assert.Equal([0, 100, 200, 300, 400, 500, 537, 600, 700, 800, 900, 1000], TraceSample.ChooseRows(1001, 12, 537));
        // 1000 rows: k = ⌈999 / 10⌉ = 100, rows 0…900, then the last (999); the lowest-loss row is already there.
        Assert.Equal([0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 999], TraceSample.ChooseRows(1000, 12, 300));
        Assert.Equal([0, 1, 2, 3, 4], TraceSample.ChooseRows(5, 5, 2));
        Assert.Empty(TraceSample.ChooseRows(0, 10, -1));
    }

    [Theory]
    [InlineData("npz", 1000)]
    [InlineData("npz", 40)]
    [InlineData("partial", 40)]
    [InlineData("partial", 7)]
    public void A_trace_read_in_tiny_chunks_holds_exactly_the_chosen_rows_of_the_whole_trace(string source, int maxRows)
    {
        using var tmp = RepoPaths.Temp();
        string dir = FittedRun(tmp, steps: 300);
        if (source == "partial") UnpackIntoPartial(dir);
        var whole = RunArtifacts.LoadTrace(dir);
        Assert.Equal(301, whole.Steps);

        // 50-byte chunks: every read crosses rows (θ rows are 16 bytes), and a partial trace's seekable files skip ahead.
        var sample = new FilesystemRunReader(dir).LoadTraceSample(maxRows, chunkBytes: 50);
        int lowest = Array.IndexOf(whole.Loss, whole.Loss.Min());
        Assert.Equal(TraceSample.ChooseRows(301, maxRows, lowest), sample.Rows);
        Assert.Equal(301, sample.TotalRows);
        Assert.Equal(maxRows >= 301, sample.IsComplete);
        for (int i = 0; i < sample.Rows.Length; i++)
        {
            int row = (int)sample.Rows[i];
            Assert.Equal(whole.Loss[row], sample.Trace.Loss[i]);
            Assert.Equal(whole.ThetaAt(row).ToArray(), sample.Trace.ThetaAt(i).ToArray());
            foreach (var (name, values) in whole.Channels) Assert.Equal(values[row], sample.Trace.Channels[name][i]);
        }
        Assert.Equal(whole.Channels.Keys.Order(), sample.Trace.Channels.Keys.Order());
    }

    [Theory]
    [InlineData("npz")]
    [InlineData("partial")]
    public void Theta_streamed_in_tiny_chunks_is_every_row_of_the_trace_in_order(string source)
    {
        using var tmp = RepoPaths.Temp();
        string dir = FittedRun(tmp, steps: 300);
        if (source == "partial") UnpackIntoPartial(dir);
        var whole = RunArtifacts.LoadTrace(dir);

        // 40-byte chunks hold two θ rows of 16 bytes: derived.npz is decoded through this pass, so a row skipped or
        // repeated at a chunk edge would shift every derived value after it.
        var streamed = new List<double>();
        long expectedFirst = 0;
        var (rows, dim) = new FilesystemRunReader(dir).ForEachThetaChunk((first, values) =>
        {
            Assert.Equal(expectedFirst, first);
            expectedFirst += values.Length / whole.Dimension;
            streamed.AddRange(values.ToArray());
            return true;
        }, chunkBytes: 40);
        Assert.Equal((301L, whole.Dimension), (rows, dim));
        Assert.Equal(whole.Theta, streamed.ToArray());
    }

    [Fact]
    public void Plot_max_rows_writes_a_decimated_sample_and_records_its_rows()
    {
        using var tmp = RepoPaths.Temp();
        string dir = FittedRun(tmp, steps: 300);
        var whole = RunArtifacts.LoadTrace(dir);
        var r = Dluxshera.Invoke("plot", dir, "--plugins", RepoPaths.PluginsJson, "--max-rows", "10");
        Assert.True(r.ExitCode == 0, r.ToString());
        var (signals, described) = Signals(dir);
        var rows = described["trace_rows"]!["rows"]!.AsArray().Select(v => v!.GetValue<long>()).ToArray();
        Assert.Equal(301, described["trace_rows"]!["total"]!.GetValue<long>());
        Assert.Equal(TraceSample.ChooseRows(301, 10, Array.IndexOf(whole.Loss, whole.Loss.Min())), rows);
        // Row i of a signal is trace row rows[i]: the generic recipe's loss signal is the trace's loss there.
        var loss = signals["loss"].ToDoubles();
        Assert.Equal(rows.Select(t => whole.Loss[t]), loss);
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(dir, RunLayout.Figures), "panel_*.png"));

        // Without a limit a trace this small is kept whole, and says so.
        Assert.Equal(0, Dluxshera.Invoke("plot", dir, "--plugins", RepoPaths.PluginsJson).ExitCode);
        var (_, all) = Signals(dir);
        Assert.Null(all["trace_rows"]!["rows"]);
        Assert.Equal(301, all["trace_rows"]!["kept"]!.GetValue<long>());

        var bad = Dluxshera.Invoke("plot", dir, "--plugins", RepoPaths.PluginsJson, "--max-rows", "2");
        Assert.True(bad.ExitCode == 2, bad.ToString());
        Assert.Contains("--max-rows 2: expected at least 3", bad.Stderr);
    }

    [Fact]
    public void A_decimated_plot_of_a_shera_run_has_the_full_run_s_signals_at_the_kept_rows_derived_fluxes_included()
    {
        using var tmp = RepoPaths.Temp();
        var run = Dluxshera.Invoke("run", RepoPaths.Example("shera-eigen.json"), "--quiet", "--out", tmp.Path, "--plugins", RepoPaths.PluginsJson,
            "--set", "run.id=s", "--set", "run.figures=false", "--set", "run.uncertainty=false", "--set", "optimizer.options.num_steps=6");
        Assert.True(run.ExitCode == 0, run.ToString());
        string dir = tmp.Combine("s");
        Assert.True(File.Exists(Path.Combine(dir, RunLayout.Derived)), "the SHERA run should record derived values (raw fluxes)");
        var whole = NpzFile.Load(Path.Combine(dir, RunLayout.Signals));
        var plot = Dluxshera.Invoke("plot", dir, "--plugins", RepoPaths.PluginsJson, "--max-rows", "4", "--out", tmp.Combine("replot"));
        Assert.True(plot.ExitCode == 0, plot.ToString());
        var (sampled, described) = Signals(tmp.Combine("replot"));
        var rows = described["trace_rows"]!["rows"]!.AsArray().Select(v => (int)v!.GetValue<long>()).ToArray();
        Assert.InRange(rows.Length, 3, 4); // 0, 3, 6 of rows 0…6, and the lowest-loss row if it is not one of them
        Assert.Contains("binary.raw_flux_error_ppm", sampled.Keys);
        foreach (var (name, array) in whole.Where(kv => kv.Key != "_signals_meta_json"))
        {
            int k = array.Shape.Length > 1 ? array.Shape[1] : 1;
            var expected = rows.SelectMany(r => array.ToDoubles().AsSpan(r * k, k).ToArray());
            Assert.Equal(expected, sampled[name].ToDoubles());
        }
    }

    [Fact]
    public void A_partial_trace_over_2_GiB_is_inspected_and_plotted_by_streaming()
    {
        using var tmp = RepoPaths.Temp();
        const int d = 1000;
        const long rows = 300_000; // θ: 300,000 × 1000 × 8 B = 2.4 GB (> 2 GiB), in a sparse file: nothing is written
        string dir = FittedRun(tmp, steps: 1, dimension: d);
        File.Delete(Path.Combine(dir, RunLayout.Trace));
        string partial = Directory.CreateDirectory(Path.Combine(dir, RunLayout.PartialTraceDirectory)).FullName;
        foreach (var (name, dtype, row) in new (string, NpyDtype, int[])[]
        {
            ("loss", NpyDtype.Float64, []), ("theta", NpyDtype.Float64, [d]), ("grad_norm", NpyDtype.Float64, []),
            ("step_norm", NpyDtype.Float64, []), ("base_lr", NpyDtype.Float64, []), ("accepted", NpyDtype.Bool, []),
        })
        {
            // As a killed writer leaves them: the header still says 0 rows, the data (zeros here) holds 300,000.
            using var f = File.Create(Path.Combine(partial, name + ".npy"));
            byte[] header = NpyHeader.Encode(dtype, [0, .. row]);
            f.Write(header);
            f.SetLength(header.Length + rows * row.Aggregate(1L, (a, b) => a * b) * NpyHeader.ItemSize(dtype));
        }
        Assert.True(new FileInfo(Path.Combine(partial, "theta.npy")).Length > (2L << 30));

        var inspect = Dluxshera.Invoke("inspect", dir);
        Assert.True(inspect.ExitCode == 0, inspect.ToString());
        Assert.Contains($"{rows} trace rows × D = {d}", inspect.Stdout);

        var plot = Dluxshera.Invoke("plot", dir, "--plugins", RepoPaths.PluginsJson, "--max-rows", "20");
        Assert.True(plot.ExitCode == 0, plot.ToString());
        var (signals, described) = Signals(dir);
        Assert.Equal(rows, described["trace_rows"]!["total"]!.GetValue<long>());
        var kept = described["trace_rows"]!["rows"]!.AsArray().Select(v => v!.GetValue<long>()).ToArray();
        Assert.Equal(TraceSample.ChooseRows(rows, 20, 0), kept);
        Assert.Equal(rows - 1, kept[^1]);
        Assert.Equal(kept.Length, signals["loss"].Shape[0]);
    }

    private static (Dictionary<string, NdArray> Arrays, JsonObject Described) Signals(string dir)
    {
        var arrays = NpzFile.Load(Path.Combine(dir, RunLayout.Signals));
        var described = JsonNode.Parse((byte[])arrays["_signals_meta_json"].Data)!.AsObject();
        return (arrays, described);
    }

    // A finished gd run on Rosenbrock (figures off): a real trace.npz to read back.
    private static string FittedRun(TempDirectory tmp, int steps, int dimension = 2)
    {
        string spec = tmp.Combine("spec.json");
        File.WriteAllText(spec, $$"""
            {
              "run": { "id": "big", "figures": false },
              "objective": { "name": "rosenbrock", "options": { "dimension": {{dimension}} } },
              "optimizer": { "name": "gd", "options": { "num_steps": {{steps}}, "learning_rate": 0.002 } }
            }
            """);
        var r = Dluxshera.Invoke("run", spec, "--out", tmp.Path, "--plugins", RepoPaths.PluginsJson, "--quiet");
        Assert.True(r.ExitCode is 0 or 1, r.ToString());
        return tmp.Combine("big");
    }

    // trace.npz's entries are .npy files: unpacked into trace.partial/, they are what a killed run leaves.
    private static void UnpackIntoPartial(string dir)
    {
        string npz = Path.Combine(dir, RunLayout.Trace);
        string partial = Directory.CreateDirectory(Path.Combine(dir, RunLayout.PartialTraceDirectory)).FullName;
        System.IO.Compression.ZipFile.ExtractToDirectory(npz, partial);
        File.Delete(npz);
    }
}
