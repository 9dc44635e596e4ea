using System.Text.Json.Nodes;
using DluxShera.Artifacts;
using DluxShera.Contracts;
using DluxShera.Numpy;
using Xunit;

namespace DluxShera.Tests;

public class RunArtifactsTests
{
    private static readonly IndexMap Map = new([
        new IndexMapEntry("binary.x_position_as", 0, 1, [1], "astrometry"),
        new IndexMapEntry("primary.zernike_coeffs_nm", 1, 4, [3], "primary.zernikes"),
    ]);

    private static JsonObject Meta(int dim, IndexMap? map = null) => new()
    {
        ["created_at"] = "2026-11-27T00:00:00Z",
        ["theta"] = new JsonObject
        {
            ["dim"] = dim,
            ["theta_space"] = "primitive",
            ["index_map"] = new JsonObject { ["layout_hash"] = (map ?? Map).LayoutHash },
        },
    };

    private static TraceData Trace(int steps, int dim) => new()
    {
        Loss = Enumerable.Range(0, steps).Select(t => 1.0 / (t + 1)).ToArray(),
        Theta = Enumerable.Range(0, steps * dim).Select(i => i * 0.25).ToArray(),
        Dimension = dim,
        Channels = new Dictionary<string, double[]> { ["grad_norm"] = Enumerable.Range(0, steps).Select(t => 2.0 * t).ToArray() },
    };

    [SkippableFact]
    public void Save_run_writes_the_v0_layout_that_numpy_reads()
    {
        using var tmp = RepoPaths.Temp();
        string dir = tmp.Combine("runs", "r1");
        RunArtifacts.SaveRun(dir, Trace(5, 4), Meta(4), new JsonObject { ["status"] = "ok", ["num_steps_completed"] = 4 }, new RunArtifacts.Optional
        {
            CheckpointBest = new Checkpoint([1, 2, 3, 4], 4, 0.2),
            CheckpointFinal = new Checkpoint([1, 2, 3, 5], 4, 0.2),
            Signals = new Dictionary<string, NdArray> { ["binary.x_error_uas"] = NdArray.Vector([3, 2, 1, 0.5, 0.25]) },
            Precond = new Dictionary<string, NdArray> { ["lr_vec"] = NdArray.Vector([1, 1, 1, 1]), ["precond"] = NdArray.Vector([2, 2, 2, 2]) },
        });
        var summary = RunArtifacts.LoadSummary(dir);
        Assert.True(summary["has_checkpoint_best"]!.GetValue<bool>());
        Assert.True(summary["has_signals"]!.GetValue<bool>());
        Assert.True(summary["has_precond"]!.GetValue<bool>());
        Assert.False(summary["has_curvature"]!.GetValue<bool>());
        var meta = RunArtifacts.LoadMeta(dir);
        Assert.Equal("dluxshera-run-v0", meta["artifact_schema"]!.GetValue<string>());
        var manifest = meta["manifest"]!.AsArray().Select(m => m!["file"]!.GetValue<string>()).ToList();
        Assert.Contains("trace.npz", manifest);
        Assert.Contains("summary.json", manifest);
        Assert.Equal(4, RunArtifacts.LoadCheckpoint(dir, "best")!.Step);

        string script = $$"""
            import numpy as np, json
            d = {{Py(dir)}}
            t = np.load(d + '/trace.npz')
            assert t['theta'].shape == (5, 4) and t['loss'].shape == (5,), t['theta'].shape
            assert t['theta'][4, 3] == 19 * 0.25 and t['loss'][3] == 0.25
            assert t['grad_norm'].tolist() == [0, 2, 4, 6, 8]
            b = np.load(d + '/checkpoint_best.npz')
            assert b['theta_best'].tolist() == [1, 2, 3, 4] and int(b['best_step']) == 4 and float(b['best_loss']) == 0.2
            f = np.load(d + '/checkpoint_final.npz')
            assert f['theta_final'].tolist() == [1, 2, 3, 5] and int(f['final_step']) == 4
            s = np.load(d + '/signals.npz')
            assert s['binary.x_error_uas'].tolist() == [3, 2, 1, 0.5, 0.25]
            p = np.load(d + '/precond.npz')
            assert p['precond'].tolist() == [2, 2, 2, 2]
            m = json.load(open(d + '/meta.json'))
            assert m['artifact_schema'] == 'dluxshera-run-v0' and m['theta']['dim'] == 4
            print('ok')
            """;
        Assert.Equal("ok", PythonNumpy.Run(script).Trim());
    }

    [Fact]
    public void Crash_mid_run_leaves_flushed_rows_and_a_failed_summary()
    {
        using var tmp = RepoPaths.Temp();
        var store = new FilesystemArtifactStore();
        var writer = (FilesystemRunWriter)store.CreateRun(new RunCreateRequest { OutputRoot = tmp.Path, RunId = "crashed", Dimension = 2 });
        writer.WriteMeta(Meta(2, IndexMap.SingleVector(2)));
        for (int t = 0; t < 10; t++) writer.Append(new TraceRow(t, 10 - t, [t, -t], 1, 1, 0.1, true));
        writer.Flush();
        // No Complete and no Dispose: the process "died" here.
        string dir = tmp.Combine("crashed");
        Assert.Equal("failed", RunArtifacts.LoadSummary(dir)["status"]!.GetValue<string>());
        var trace = RunArtifacts.LoadTrace(dir);
        Assert.Equal(10, trace.Steps);
        Assert.Equal(-9.0, trace.ThetaAt(9)[1]);
        Assert.False(File.Exists(Path.Combine(dir, "trace.npz")));
    }

    [Fact]
    public void Disposing_without_complete_leaves_a_loadable_failed_run()
    {
        using var tmp = RepoPaths.Temp();
        using (var writer = new FilesystemArtifactStore().CreateRun(new RunCreateRequest { OutputRoot = tmp.Path, RunId = "r", Dimension = 1 }))
        {
            writer.WriteMeta(Meta(1, IndexMap.SingleVector(1)));
            writer.Append(new TraceRow(0, 1.0, [0.5], 1, 0, 0.1, true));
        }
        string dir = tmp.Combine("r");
        Assert.Equal("failed", RunArtifacts.LoadSummary(dir)["status"]!.GetValue<string>());
        Assert.Equal(1, RunArtifacts.LoadTrace(dir).Steps);
        Assert.False(Directory.Exists(Path.Combine(dir, RunLayout.PartialTraceDirectory)));
    }

    [Theory]
    [InlineData("../escape")]
    [InlineData("a/b")]
    [InlineData("a\\b")]
    [InlineData("..")]
    [InlineData("bad\u0007bell")]
    [InlineData("")]
    public void Unsafe_run_ids_are_refused(string id)
    {
        using var tmp = RepoPaths.Temp();
        var e = Assert.Throws<ArtifactException>(() => new FilesystemArtifactStore().CreateRun(new RunCreateRequest { OutputRoot = tmp.Path, RunId = id, Dimension = 1 }));
        Assert.Contains("is refused", e.Message);
    }

    [Fact]
    public void Existing_run_is_never_overwritten_unless_asked()
    {
        using var tmp = RepoPaths.Temp();
        var store = new FilesystemArtifactStore();
        store.CreateRun(new RunCreateRequest { OutputRoot = tmp.Path, RunId = "same", Dimension = 1 }).Dispose();
        var e = Assert.Throws<ArtifactException>(() => store.CreateRun(new RunCreateRequest { OutputRoot = tmp.Path, RunId = "same", Dimension = 1 }));
        Assert.Contains("already exists", e.Message);
        Assert.Contains("--overwrite", e.Message);
        store.CreateRun(new RunCreateRequest { OutputRoot = tmp.Path, RunId = "same", Dimension = 1, Overwrite = true }).Dispose();
    }

    [Fact]
    public void Generated_run_ids_sort_by_time()
    {
        string a = RunIds.Generate(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero));
        string b = RunIds.Generate(new DateTimeOffset(2026, 1, 2, 3, 4, 6, TimeSpan.Zero));
        Assert.Matches("^20260102T030405Z-[0-9a-f]{6}$", a);
        Assert.True(string.CompareOrdinal(a, b) < 0);
        Assert.Null(RunIds.Problem(a));
    }

    [Fact]
    public void Other_artifact_schema_is_refused_naming_the_file()
    {
        using var tmp = RepoPaths.Temp();
        string dir = tmp.Combine("r");
        RunArtifacts.SaveRun(dir, Trace(2, 4), Meta(4), new JsonObject { ["status"] = "ok" });
        string metaPath = Path.Combine(dir, "meta.json");
        File.WriteAllText(metaPath, File.ReadAllText(metaPath).Replace("dluxshera-run-v0", "dluxshera-run-v9"));
        var e = Assert.Throws<ArtifactException>(() => RunArtifacts.LoadMeta(dir));
        Assert.Contains(metaPath, e.Message);
        Assert.Contains("'dluxshera-run-v9'; expected 'dluxshera-run-v0'", e.Message);
    }

    [Fact]
    public void Trace_dimension_mismatch_with_meta_is_reported()
    {
        using var tmp = RepoPaths.Temp();
        string dir = tmp.Combine("r");
        RunArtifacts.SaveRun(dir, Trace(3, 4), Meta(4), new JsonObject { ["status"] = "ok" });
        string metaPath = Path.Combine(dir, "meta.json");
        var meta = JsonNode.Parse(File.ReadAllText(metaPath))!;
        meta["theta"]!["dim"] = 5;
        File.WriteAllText(metaPath, meta.ToJsonString());
        var e = Assert.Throws<ArtifactException>(() => RunArtifacts.LoadTrace(dir));
        Assert.Contains("trace.npz: theta has shape (3, 4); meta.json says theta.dim = 5", e.Message);
    }

    [Fact]
    public void Layout_hash_mismatch_is_reported_with_both_hashes()
    {
        using var tmp = RepoPaths.Temp();
        string dir = tmp.Combine("r");
        RunArtifacts.SaveRun(dir, Trace(2, 4), Meta(4), new JsonObject { ["status"] = "ok" });
        var other = new IndexMap([new IndexMapEntry("binary.y_position_as", 0, 4, [4])]);
        var e = Assert.Throws<ArtifactException>(() => new FilesystemRunReader(dir).CheckLayout(other));
        Assert.Contains(Map.LayoutHash, e.Message);
        Assert.Contains(other.LayoutHash, e.Message);
        new FilesystemRunReader(dir).CheckLayout(Map);
    }

    private static string Py(string s) => "'" + s.Replace("\\", "\\\\").Replace("'", "\\'") + "'";
}
