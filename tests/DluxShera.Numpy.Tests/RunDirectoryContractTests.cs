using System.Security.Cryptography;
using System.Text.Json.Nodes;
using DluxShera.Artifacts;
using DluxShera.Contracts;
using DluxShera.Numpy;
using Xunit;

namespace DluxShera.Tests;

/// <summary>
/// The run directory as docs/artifacts.md documents it (layout, staged creation, provisional summary, manifest,
/// checkpoints, gradients, readers' checks and messages), written and read through the store. Expected values are
/// the documented names and the numbers the test wrote, never a run read back as its own truth.
/// </summary>
public class RunDirectoryContractTests
{
    private static JsonObject Meta(int dim) => new()
    {
        ["theta"] = new JsonObject { ["dim"] = dim, ["index_map"] = new JsonObject { ["layout_hash"] = IndexMap.SingleVector(dim).LayoutHash } },
    };

    private static FilesystemRunWriter Create(TempDirectory tmp, string id, int dim, bool overwrite = false) =>
        (FilesystemRunWriter)new FilesystemArtifactStore().CreateRun(new RunCreateRequest { OutputRoot = tmp.Path, RunId = id, Dimension = dim, Overwrite = overwrite });

    // Row t: loss 10 − t, θ_i = t + i/2, |g| = 2t, step norm t/4, accepted unless t ≡ 1 (mod 3).
    private static void AppendRow(IRunWriter writer, int t, int dim)
    {
        double[] theta = [.. Enumerable.Range(0, dim).Select(i => t + 0.5 * i)];
        writer.Append(new TraceRow(t, 10.0 - t, theta, 2.0 * t, 0.25 * t, 1e-3, t % 3 != 1));
    }

    [Fact]
    public void A_new_run_directory_is_a_loadable_failed_run_before_any_row()
    {
        using var tmp = RepoPaths.Temp();
        using var writer = Create(tmp, "r1", 3);
        string dir = tmp.Combine("r1");
        Assert.Equal(dir, writer.RunDirectory);
        Assert.Equal("r1", writer.RunId);

        var summary = RunArtifacts.LoadSummary(dir);
        Assert.Equal("r1", summary["run_id"]!.GetValue<string>());
        Assert.Equal("failed", summary["status"]!.GetValue<string>());
        Assert.Equal(StopReasons.Error, summary["stop_reason"]!.GetValue<string>());
        Assert.StartsWith("run incomplete: the process ended before the run finished", summary["message"]!.GetValue<string>());
        Assert.Equal(0, summary["num_steps_completed"]!.GetValue<int>());
        var meta = RunArtifacts.LoadMeta(dir);
        Assert.Equal("dluxshera-run-v0", meta["artifact_schema"]!.GetValue<string>());
        Assert.Equal("r1", meta["run_id"]!.GetValue<string>());
        Assert.Equal(3, meta["theta"]!["dim"]!.GetValue<int>());

        // trace.partial/ holds the six documented channels, valid zero-row .npy files.
        string partial = Path.Combine(dir, "trace.partial");
        Assert.Equal(["accepted.npy", "base_lr.npy", "grad_norm.npy", "loss.npy", "step_norm.npy", "theta.npy"],
            Directory.GetFiles(partial).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal([0, 3], NpyFile.Load(Path.Combine(partial, "theta.npy")).Shape);
        Assert.Equal(NpyDtype.Bool, NpyFile.Load(Path.Combine(partial, "accepted.npy")).Dtype);
        Assert.Equal((0L, 3, partial), new FilesystemRunReader(dir).TraceShape());
        Assert.Equal(0, RunArtifacts.LoadTrace(dir).Steps);

        // Nothing else is left in the output root: the staging directory was renamed, not copied.
        Assert.Equal([dir], Directory.GetFileSystemEntries(tmp.Path));
        Assert.True(File.Exists(Path.Combine(dir, RunLiveness.LockFile)));
        Assert.Equal(RunProcessState.Live, RunLiveness.Probe(dir));
    }

    [Fact]
    public void A_completed_run_has_the_documented_files_flags_checkpoints_gradients_and_manifest()
    {
        using var tmp = RepoPaths.Temp();
        string dir = tmp.Combine("done");
        using (var writer = Create(tmp, "done", 2))
        {
            writer.WriteMeta(new JsonObject { ["theta"] = new JsonObject { ["dim"] = 2 }, ["artifact_schema"] = "mine", ["run_id"] = "other" });
            for (int t = 0; t < 5; t++) AppendRow(writer, t, 2);
            writer.RecordGradient(0, [1.0, -1.0]);
            writer.RecordGradient(4, [0.5, 0.25]);
            Assert.Equal("gradient of length 3; expected D = 2.", Assert.Throws<ArgumentException>(() => writer.RecordGradient(5, [1.0, 2, 3])).Message);
            writer.WriteArrays("precond.npz", new Dictionary<string, NdArray> { ["precond"] = NdArray.Vector([2.0, 3.0]) });
            writer.AppendDiagnostics(new JsonObject { ["step"] = 0 });
            writer.AppendDiagnostics(new JsonObject { ["step"] = 4 });
            writer.Complete(new JsonObject { ["status"] = "ok", ["run_id"] = "ignored" }, new Checkpoint([1.0, 2.0], 3, 0.5), new Checkpoint([3.0, 4.0], 4, 0.75));
            Assert.Equal("run done was already completed.", Assert.Throws<InvalidOperationException>(() => writer.Complete(new JsonObject(), null, null)).Message);
        }

        var meta = RunArtifacts.LoadMeta(dir);
        Assert.Equal("dluxshera-run-v0", meta["artifact_schema"]!.GetValue<string>());   // the writer's, not the caller's
        Assert.Equal("done", meta["run_id"]!.GetValue<string>());
        var summary = RunArtifacts.LoadSummary(dir);
        Assert.Equal("done", summary["run_id"]!.GetValue<string>());
        Assert.Equal("ok", summary["status"]!.GetValue<string>());
        foreach (var (flag, expected) in new Dictionary<string, bool>
        {
            ["has_signals"] = false, ["has_precond"] = true, ["has_curvature"] = false, ["has_checkpoint_best"] = true,
            ["has_checkpoint_final"] = true, ["has_grads"] = true, ["has_diag_steps"] = true, ["has_samples"] = false,
            ["has_warmup"] = false, ["has_figures"] = false,
        })
        {
            Assert.True(expected == summary[flag]!.GetValue<bool>(), flag);
        }

        // trace.partial/ is gone once packed; trace.npz holds every channel.
        Assert.False(Directory.Exists(Path.Combine(dir, "trace.partial")));
        var trace = NpzFile.Load(Path.Combine(dir, "trace.npz"));
        Assert.Equal(["accepted", "base_lr", "grad_norm", "loss", "step_norm", "theta"], trace.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(new[] { 10.0, 9, 8, 7, 6 }, trace["loss"].ToDoubles());
        Assert.Equal(new[] { true, false, true, true, false }, (bool[])trace["accepted"].Data);
        Assert.Equal(new[] { 0, 0.25, 0.5, 0.75, 1 }, trace["step_norm"].ToDoubles());
        Assert.Equal(new[] { 4.0, 4.5 }, trace["theta"].ToDoubles()[8..]);

        var grads = NpzFile.Load(Path.Combine(dir, "grads.npz"));
        Assert.Equal(new[] { 0L, 4L }, (long[])grads["step"].Data);
        Assert.Equal([2, 2], grads["grad"].Shape);
        Assert.Equal(new[] { 1.0, -1, 0.5, 0.25 }, grads["grad"].ToDoubles());

        var best = NpzFile.Load(Path.Combine(dir, "checkpoint_best.npz"));
        Assert.Equal(["best_loss", "best_step", "theta_best"], best.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(3L, ((long[])best["best_step"].Data)[0]);
        Assert.Empty(best["best_step"].Shape);
        var final = RunArtifacts.LoadCheckpoint(dir, "final")!;
        Assert.Equal(new[] { 3.0, 4.0 }, final.Theta);
        Assert.Equal((4, 0.75), (final.Step, final.Loss));
        Assert.Equal("{\"step\":0}\n{\"step\":4}\n", File.ReadAllText(Path.Combine(dir, "diag_steps.jsonl")));

        // The manifest: every file but meta.json and dot-files, sorted, with its size and SHA-256.
        var manifest = meta["manifest"]!.AsArray();
        var files = Directory.GetFiles(dir).Select(Path.GetFileName).Where(f => f != "meta.json" && !f!.StartsWith('.')).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(files, manifest.Select(m => m!["file"]!.GetValue<string>()));
        foreach (var entry in manifest)
        {
            byte[] bytes = File.ReadAllBytes(Path.Combine(dir, entry!["file"]!.GetValue<string>()));
            Assert.Equal(bytes.Length, entry["bytes"]!.GetValue<long>());
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), entry["sha256"]!.GetValue<string>());
        }
        Assert.DoesNotContain(".lock", Directory.GetFiles(dir).Select(Path.GetFileName));   // released at completion
        Assert.Equal(RunProcessState.None, RunLiveness.Probe(dir));
    }

    [Fact]
    public void A_writer_dropped_without_completing_counts_the_steps_it_recorded()
    {
        using var tmp = RepoPaths.Temp();
        using (var writer = Create(tmp, "dropped", 1))
        {
            for (int t = 0; t < 4; t++) AppendRow(writer, t, 1);
        }
        var summary = RunArtifacts.LoadSummary(tmp.Combine("dropped"));
        Assert.Equal("failed", summary["status"]!.GetValue<string>());
        Assert.Equal(StopReasons.Error, summary["stop_reason"]!.GetValue<string>());
        Assert.Equal(3, summary["num_steps_completed"]!.GetValue<int>());   // T − 1: rows 0…3 are 3 steps
        Assert.Contains("ended without completing", summary["message"]!.GetValue<string>());
        Assert.False(summary["has_checkpoint_best"]!.GetValue<bool>());
        Assert.Equal(4, RunArtifacts.LoadTrace(tmp.Combine("dropped")).Steps);
    }

    [Fact]
    public void A_row_of_the_wrong_dimension_and_artifact_names_that_are_not_plain_npz_are_refused()
    {
        using var tmp = RepoPaths.Temp();
        using var writer = Create(tmp, "r", 2);
        var e = Assert.Throws<ArgumentException>(() => writer.Append(new TraceRow(7, 1.0, [1.0, 2, 3], 0, 0, 0, true)));
        Assert.Equal("trace row 7 has θ of length 3; the run was created with D = 2.", e.Message);
        foreach (string bad in new[] { "../x.npz", "sub/x.npz", "x.npy", ".hidden.npz", "x.npz.tmp" })
        {
            var a = Assert.Throws<ArgumentException>(() => writer.WriteArrays(bad, new Dictionary<string, NdArray>()));
            Assert.Equal($"'{bad}' is not a valid artifact file name (a plain name ending in .npz expected).", a.Message);
        }
    }

    [Fact]
    public void Overwriting_replaces_the_old_run_whole_and_leaves_no_aside_copy()
    {
        using var tmp = RepoPaths.Temp();
        using (var first = Create(tmp, "same", 1))
        {
            AppendRow(first, 0, 1);
            first.Complete(new JsonObject { ["status"] = "ok" }, null, null);
        }
        File.WriteAllText(tmp.Combine("same", "stray.txt"), "from the old run");
        using (Create(tmp, "same", 2, overwrite: true))
        {
        }
        Assert.False(File.Exists(tmp.Combine("same", "stray.txt")));
        Assert.Equal(2, RunArtifacts.LoadMeta(tmp.Combine("same"))["theta"]!["dim"]!.GetValue<int>());
        Assert.Equal([tmp.Combine("same")], Directory.GetFileSystemEntries(tmp.Path));

        // A file (not a directory) under the run id is replaced too when asked, refused otherwise.
        File.WriteAllText(tmp.Combine("afile"), "x");
        var e = Assert.Throws<ArtifactException>(() => Create(tmp, "afile", 1));
        Assert.Equal($"run directory {tmp.Combine("afile")} already exists; choose another run id or pass --overwrite to replace it.", e.Message);
        using (Create(tmp, "afile", 1, overwrite: true))
        {
        }
        Assert.True(Directory.Exists(tmp.Combine("afile")));
        Assert.Equal([tmp.Combine("afile"), tmp.Combine("same")], Directory.GetFileSystemEntries(tmp.Path).Order(StringComparer.Ordinal));   // the file set aside is gone
    }

    [Fact]
    public void A_negative_dimension_is_refused_before_anything_is_written()
    {
        using var tmp = RepoPaths.Temp();
        var e = Assert.Throws<ArtifactException>(() => Create(tmp, "neg", -1));
        Assert.Equal("run 'neg': θ dimension D = -1 is negative; expected D ≥ 0.", e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(tmp.Path));
        using (Create(tmp, "zero", 0))
        {
        }
        Assert.Equal([0, 0], NpzFile.Load(tmp.Combine("zero", "trace.npz"))["theta"].Shape);   // D = 0 is allowed: (T, 0)
    }

    [Fact]
    public void Creating_a_run_clears_stale_temporaries_in_the_output_root_and_names_runs_without_an_id()
    {
        using var tmp = RepoPaths.Temp();
        using var gone = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("true") { UseShellExecute = false })!;
        gone.WaitForExit();
        string stale = tmp.Combine($".old.creating.{gone.Id}@{Environment.MachineName}.0123456789abcdef0123456789abcdef");
        Directory.CreateDirectory(stale);
        using var writer = new FilesystemArtifactStore().CreateRun(new RunCreateRequest { OutputRoot = tmp.Path, Dimension = 1 });
        Assert.False(Directory.Exists(stale));
        Assert.Matches("^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{6}$", writer.RunId);
        Assert.Equal(tmp.Combine(writer.RunId), writer.RunDirectory);
    }

    [Fact]
    public void Readers_refuse_inconsistent_runs_with_one_line_naming_the_file()
    {
        using var tmp = RepoPaths.Temp();
        string dir = tmp.Combine("r");
        RunArtifacts.SaveRun(dir, new TraceData { Loss = [3, 2, 1], Theta = [1, 2, 3, 4, 5, 6], Dimension = 2 }, Meta(2), new JsonObject { ["status"] = "ok" });
        string meta = Path.Combine(dir, "meta.json"), summary = Path.Combine(dir, "summary.json"), trace = Path.Combine(dir, "trace.npz");
        var reader = new FilesystemRunReader(dir);
        Assert.Equal((3L, 2, trace), reader.TraceShape());

        Assert.Equal("checkpoint 'middle' is unknown; expected 'best' or 'final'.", Assert.Throws<ArgumentException>(() => reader.LoadCheckpoint("middle")).Message);
        Assert.Null(reader.LoadCheckpoint("best"));
        Assert.Null(reader.LoadArrays("curvature.npz"));

        File.WriteAllText(summary, "{\n  \"status\": \"ok\",\n  oops\n}");
        var bad = Assert.Throws<ArtifactException>(() => reader.LoadSummary());
        Assert.StartsWith($"{summary}: invalid JSON at line 3, position 3: ", bad.Message);
        File.WriteAllText(summary, "[1, 2]");
        Assert.Equal($"{summary}: expected a JSON object.", Assert.Throws<ArtifactException>(() => reader.LoadSummary()).Message);
        File.Delete(summary);
        Assert.Equal($"{summary}: file not found.", Assert.Throws<ArtifactException>(() => reader.LoadSummary()).Message);

        var m = JsonNode.Parse(File.ReadAllText(meta))!.AsObject();
        m.Remove("artifact_schema");
        File.WriteAllText(meta, m.ToJsonString());
        Assert.Equal($"{meta}: artifact_schema is '(missing)'; expected 'dluxshera-run-v0'.", Assert.Throws<ArtifactException>(() => reader.LoadMeta()).Message);
        m["artifact_schema"] = "dluxshera-run-v0";
        m["theta"]!.AsObject().Remove("dim");
        m["theta"]!.AsObject().Remove("index_map");
        File.WriteAllText(meta, m.ToJsonString());
        string noDim = $"{meta}: theta.dim is missing; it is needed to check the trace.";
        Assert.Equal(noDim, Assert.Throws<ArtifactException>(() => reader.TraceShape()).Message);
        Assert.Equal(noDim, Assert.Throws<ArtifactException>(() => reader.LoadTrace()).Message);
        Assert.Equal(noDim, Assert.Throws<ArtifactException>(() => reader.LoadTraceSample()).Message);
        Assert.Equal(noDim, Assert.Throws<ArtifactException>(() => reader.ForEachThetaChunk((_, _) => true)).Message);
        var layout = Assert.Throws<ArtifactException>(() => reader.CheckLayout(IndexMap.SingleVector(2)));
        Assert.Equal($"{meta}: theta.index_map.layout_hash is '(missing)' but the model's layout hash is '{IndexMap.SingleVector(2).LayoutHash}'; this run was made with another parameter layout.", layout.Message);

        Assert.Equal($"{tmp.Combine("nope")}: run directory not found.", Assert.Throws<ArtifactException>(() => new FilesystemRunReader(tmp.Combine("nope"))).Message);
    }

    [Theory]
    [InlineData("no_loss")]
    [InlineData("no_theta")]
    [InlineData("short_loss")]
    [InlineData("loss_2d")]
    [InlineData("theta_1d")]
    public void A_trace_npz_without_a_consistent_loss_and_theta_is_refused_by_every_reader(string damage)
    {
        using var tmp = RepoPaths.Temp();
        string dir = tmp.Combine("r");
        RunArtifacts.SaveRun(dir, new TraceData { Loss = [3, 2, 1], Theta = [1, 2, 3, 4, 5, 6], Dimension = 2 }, Meta(2), new JsonObject { ["status"] = "ok" });
        string trace = Path.Combine(dir, "trace.npz");
        var arrays = new Dictionary<string, NdArray>
        {
            ["loss"] = NdArray.Vector([3.0, 2, 1]), ["theta"] = new NdArray(new double[] { 1, 2, 3, 4, 5, 6 }, 3, 2), ["grad_norm"] = NdArray.Vector([0.0, 1, 2]),
        };
        string expected;
        switch (damage)
        {
            case "no_loss":
                arrays.Remove("loss");
                expected = "arrays 'loss' and 'theta' are required (found: theta, grad_norm)";
                break;
            case "no_theta":
                arrays.Remove("theta");
                expected = "arrays 'loss' and 'theta' are required (found: loss, grad_norm)";
                break;
            case "short_loss":
                arrays["loss"] = NdArray.Vector([3.0, 2]);
                expected = "loss has shape (2,); expected (3,) to match theta's T";
                break;
            case "loss_2d":
                arrays["loss"] = new NdArray(new double[] { 3, 2, 1 }, 3, 1);
                expected = "loss has shape (3, 1); expected (3,) to match theta's T";
                break;
            default:
                arrays["theta"] = NdArray.Vector([1.0, 2, 3, 4, 5, 6]);
                expected = "theta has shape (6,); meta.json says theta.dim = 2, so (T, 2) was expected";
                break;
        }
        NpzFile.Save(trace, arrays);
        var reader = new FilesystemRunReader(dir);
        var shape = Assert.Throws<ArtifactException>(() => reader.TraceShape());
        Assert.Equal($"{trace}: {expected}.", shape.Message);
        var load = Assert.Throws<ArtifactException>(() => reader.LoadTrace());
        Assert.StartsWith($"{trace}", load.Message);
        Assert.Throws<ArtifactException>(() => reader.LoadTraceSample());
    }

    [Fact]
    public void A_partial_trace_is_read_to_the_rows_every_channel_holds_and_only_t_long_channels_are_kept()
    {
        using var tmp = RepoPaths.Temp();
        var writer = Create(tmp, "killed", 2);
        for (int t = 0; t < 6; t++) AppendRow(writer, t, 2);
        writer.Flush();
        // "Killed": no Complete. The loss channel gets a seventh value its siblings never got.
        string partial = tmp.Combine("killed", "trace.partial");
        using (var f = new FileStream(Path.Combine(partial, "loss.npy"), FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) f.Write(BitConverter.GetBytes(99.0));
        var reader = new FilesystemRunReader(tmp.Combine("killed"));
        Assert.Equal((6L, 2, partial), reader.TraceShape());
        var trace = reader.LoadTrace();
        Assert.Equal(6, trace.Steps);
        Assert.Equal(new[] { 10.0, 9, 8, 7, 6, 5 }, trace.Loss);
        Assert.Equal(["accepted", "base_lr", "grad_norm", "step_norm"], trace.Channels.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(new[] { 1.0, 0, 1, 1, 0, 1 }, trace.Channels["accepted"]);

        var sample = reader.LoadTraceSample(maxRows: 3, chunkBytes: 16);
        Assert.Equal([0, 5], sample.Rows);   // every 3rd… k = ⌈5/1⌉ = 5: rows 0 and 5, the lowest loss (5) is the last
        Assert.Equal(new[] { 10.0, 5 }, sample.Trace.Loss);
        Assert.Equal(new[] { 0.0, 0.5, 5, 5.5 }, sample.Trace.Theta);
        Assert.False(sample.IsComplete);
        Assert.Equal(6, sample.TotalRows);
        var whole = reader.LoadTraceSample();
        Assert.True(whole.IsComplete);
        Assert.Equal(new[] { 0.0, 2, 4, 6, 8, 10 }, whole.Trace.Channels["grad_norm"]);

        var firsts = new List<long>();
        var (rows, dim) = reader.ForEachThetaChunk((first, values) =>
        {
            firsts.Add(first);
            return first < 2;
        }, chunkBytes: 32);
        Assert.Equal((6L, 2), (rows, dim));
        Assert.Equal([0, 2], firsts);   // two 16-byte θ rows a chunk; stopped after the handler said no
        writer.Dispose();
    }

    [Theory]
    [InlineData(1000L, 12L, 537L, new long[] { 0, 100, 200, 300, 400, 500, 537, 600, 700, 800, 900, 999 })]
    [InlineData(1001L, 12L, 537L, new long[] { 0, 100, 200, 300, 400, 500, 537, 600, 700, 800, 900, 1000 })]
    [InlineData(1000L, 12L, 300L, new long[] { 0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 999 })]
    [InlineData(5L, 5L, 2L, new long[] { 0, 1, 2, 3, 4 })]
    [InlineData(6L, 5L, -1L, new long[] { 0, 2, 4, 5 })]     // k = ⌈5/3⌉ = 2
    [InlineData(6L, 5L, 6L, new long[] { 0, 2, 4, 5 })]      // a row beyond the trace is not added
    [InlineData(10L, 1L, 3L, new long[] { 0, 3, 9 })]        // at least 3: first, the kept row, last (k = 9)
    [InlineData(0L, 10L, -1L, new long[0])]
    [InlineData(-3L, 10L, -1L, new long[0])]
    [InlineData(0L, -1L, -1L, new long[0])]                  // an empty trace keeps nothing, whatever the budget
    public void The_rows_kept_are_every_kth_row_plus_the_lowest_loss_and_the_last(long total, long maxRows, long keep, long[] expected)
    {
        // k = ⌈(T − 1)/(max − 2)⌉ leaves room for the kept row and the last.
        Assert.Equal(expected, TraceSample.ChooseRows(total, maxRows, keep));
    }

    [Theory]
    [InlineData(1, 100_000)]               // 256 MiB / (7 × 8 B) = 4.8 M rows: capped at 100,000
    [InlineData(4_000_000, 8)]             // 256 MiB / (4,000,006 × 8 B) = 8.4 rows
    [InlineData(100_000_000, 3)]           // never fewer than 3
    public void The_default_row_budget_is_256_MiB_of_values_between_3_and_100000_rows(int dimension, long expected)
    {
        Assert.Equal(expected, TraceSample.DefaultRowsFor(dimension));
    }

    [Fact]
    public void Recording_added_artifacts_refreshes_flags_manifest_and_meta_entries()
    {
        using var tmp = RepoPaths.Temp();
        string dir = tmp.Combine("r");
        RunArtifacts.SaveRun(dir, new TraceData { Loss = [1], Theta = [0], Dimension = 1 }, Meta(1), new JsonObject { ["status"] = "ok" });
        Assert.False(RunArtifacts.LoadSummary(dir)["has_signals"]!.GetValue<bool>());
        NpzFile.Save(Path.Combine(dir, "signals.npz"), new Dictionary<string, NdArray> { ["s"] = NdArray.Scalar(1.0) });
        Directory.CreateDirectory(Path.Combine(dir, "figures"));
        File.WriteAllText(Path.Combine(dir, "figures", "a.png"), "png");
        RunArtifacts.RecordAddedArtifacts(dir, new Dictionary<string, JsonNode?> { ["signals"] = new JsonObject { ["recipe"] = "generic" } });
        var summary = RunArtifacts.LoadSummary(dir);
        Assert.True(summary["has_signals"]!.GetValue<bool>());
        Assert.True(summary["has_figures"]!.GetValue<bool>());
        Assert.Equal("ok", summary["status"]!.GetValue<string>());
        var meta = RunArtifacts.LoadMeta(dir);
        Assert.Equal("generic", meta["signals"]!["recipe"]!.GetValue<string>());
        var files = meta["manifest"]!.AsArray().Select(e => e!["file"]!.GetValue<string>()).ToList();
        Assert.Contains("signals.npz", files);
        Assert.Contains("figures/a.png", files);   // subdirectories with '/' separators
        RunArtifacts.RecordAddedArtifacts(dir);   // no entries: nothing else changes
        Assert.Equal("generic", RunArtifacts.LoadMeta(dir)["signals"]!["recipe"]!.GetValue<string>());
    }

    [Fact]
    public void Save_run_writes_the_named_channels_and_accepted_flags()
    {
        using var tmp = RepoPaths.Temp();
        string dir = tmp.Combine("r");
        RunArtifacts.SaveRun(dir, new TraceData
        {
            Loss = [3, 2, 1], Theta = [0, 1, 2], Dimension = 1,
            Channels = new Dictionary<string, double[]> { ["grad_norm"] = [5, 4, 3], ["step_norm"] = [0, 1, 2], ["base_lr"] = [0.1, 0.2, 0.3], ["accepted"] = [1, 0, 1] },
        }, Meta(1), new JsonObject { ["status"] = "ok" }, new RunArtifacts.Optional
        {
            Curvature = new Dictionary<string, NdArray> { ["curv_diag"] = NdArray.Vector([1.0]) },
            Grads = new Dictionary<string, NdArray> { ["step"] = NdArray.Scalar(0L) },
            DiagSteps = [new JsonObject { ["step"] = 1 }],
        });
        var trace = NpzFile.Load(Path.Combine(dir, "trace.npz"));
        Assert.Equal(new[] { 5.0, 4, 3 }, trace["grad_norm"].ToDoubles());
        Assert.Equal(new[] { 0.0, 1, 2 }, trace["step_norm"].ToDoubles());
        Assert.Equal(new[] { 0.1, 0.2, 0.3 }, trace["base_lr"].ToDoubles());
        Assert.Equal(new[] { true, false, true }, (bool[])trace["accepted"].Data);
        var summary = RunArtifacts.LoadSummary(dir);
        Assert.True(summary["has_curvature"]!.GetValue<bool>());
        Assert.True(summary["has_grads"]!.GetValue<bool>());
        Assert.True(summary["has_diag_steps"]!.GetValue<bool>());

        // Without channels: NaN norms and every step accepted.
        RunArtifacts.SaveRun(tmp.Combine("bare"), new TraceData { Loss = [1, 0], Theta = [0, 0], Dimension = 1 }, Meta(1), new JsonObject { ["status"] = "ok" });
        var bare = NpzFile.Load(tmp.Combine("bare", "trace.npz"));
        Assert.All(bare["grad_norm"].ToDoubles(), v => Assert.True(double.IsNaN(v)));
        Assert.Equal(new[] { true, true }, (bool[])bare["accepted"].Data);
    }

    [Fact]
    public void A_run_whose_artifacts_cannot_be_written_says_failed_with_the_cause_and_keeps_its_rows()
    {
        // Something in the way of trace.npz (as a full or read-only disk would be): the rename into place fails.
        using var tmp = RepoPaths.Temp();
        string dir = tmp.Combine("blocked");
        var writer = Create(tmp, "blocked", 1);
        for (int t = 0; t < 3; t++) AppendRow(writer, t, 1);
        Directory.CreateDirectory(Path.Combine(dir, "trace.npz", "in-the-way"));
        Assert.ThrowsAny<IOException>(() => writer.Complete(new JsonObject { ["status"] = "ok", ["message"] = "converged" }, null, null));

        var summary = RunArtifacts.LoadSummary(dir);
        Assert.Equal("failed", summary["status"]!.GetValue<string>());
        Assert.Equal(StopReasons.Error, summary["stop_reason"]!.GetValue<string>());
        string message = summary["message"]!.GetValue<string>();
        Assert.StartsWith("converged; writing the run's artifacts failed: ", message);
        Assert.EndsWith("; the rows streamed so far are in trace.partial/", message);
        Assert.False(string.IsNullOrWhiteSpace(summary["storage_error"]!.GetValue<string>()));
        Assert.DoesNotContain("\n", summary["storage_error"]!.GetValue<string>());
        Assert.Equal(RunProcessState.None, RunLiveness.Probe(dir));   // no longer running, even though it failed
        Directory.Delete(Path.Combine(dir, "trace.npz"), recursive: true);
        var trace = RunArtifacts.LoadTrace(dir);
        Assert.Equal(new[] { 10.0, 9, 8 }, trace.Loss);
        writer.Dispose();   // already completed: nothing more is written
        Assert.Equal(message, RunArtifacts.LoadSummary(dir)["message"]!.GetValue<string>());
    }

    [Fact]
    public void The_lowest_loss_row_kept_in_a_sample_is_the_first_of_equal_lowest_losses_as_numpys_argmin()
    {
        using var tmp = RepoPaths.Temp();
        string dir = tmp.Combine("tie");
        double[] loss = [9, 8, 1, 7, 6, 5, 4, 1, 3, 2];   // the lowest loss, 1, at rows 2 and 7
        RunArtifacts.SaveRun(dir, new TraceData { Loss = loss, Theta = [.. Enumerable.Range(0, 10).Select(i => (double)i)], Dimension = 1 }, Meta(1), new JsonObject { ["status"] = "ok" });
        // 10 rows, at most 4: k = ⌈9/2⌉ = 5 keeps 0, 5 and 9, plus argmin(loss) = 2.
        var sample = new FilesystemRunReader(dir).LoadTraceSample(maxRows: 4, chunkBytes: 16);
        Assert.Equal([0, 2, 5, 9], sample.Rows);
        Assert.Equal(new[] { 9.0, 1, 5, 2 }, sample.Trace.Loss);
        Assert.Equal(new[] { 0.0, 2, 5, 9 }, sample.Trace.Theta);
    }
    [Fact]
    public void The_provisional_files_are_indented_json_with_a_final_newline_and_every_channel_has_its_documented_shape()
    {
        using var tmp = RepoPaths.Temp();
        using var writer = Create(tmp, "fresh", 3);
        string dir = tmp.Combine("fresh");
        foreach (string file in new[] { "meta.json", "summary.json" })
        {
            string text = File.ReadAllText(Path.Combine(dir, file));
            Assert.StartsWith("{\n  \"", text);
            Assert.EndsWith("\n}\n", text);
        }
        Assert.Equal("[]", RunArtifacts.LoadMeta(dir)["manifest"]!.ToJsonString());   // no artifact file yet

        // docs/artifacts.md: loss, grad_norm, step_norm, base_lr (T,) <f8; theta (T, D) <f8; accepted (T,) |b1.
        string partial = Path.Combine(dir, "trace.partial");
        foreach (var (name, shape, dtype) in new (string, int[], NpyDtype)[]
        {
            ("loss", [0], NpyDtype.Float64), ("theta", [0, 3], NpyDtype.Float64), ("grad_norm", [0], NpyDtype.Float64),
            ("step_norm", [0], NpyDtype.Float64), ("base_lr", [0], NpyDtype.Float64), ("accepted", [0], NpyDtype.Bool),
        })
        {
            var array = NpyFile.Load(Path.Combine(partial, name + ".npy"));
            Assert.True(shape.SequenceEqual(array.Shape), $"{name}: shape {array.ShapeText}");
            Assert.Equal(dtype, array.Dtype);
        }
    }

    [Fact]
    public void The_scalar_channels_constant_lists_the_documented_trace_channels_in_order()
    {
        string docs = File.ReadAllText(Path.Combine(RepoPaths.Root, "docs", "artifacts.md"));
        string row = docs.Split('\n').Single(l => l.StartsWith("| `trace.npz` |", StringComparison.Ordinal));
        Assert.Contains(string.Join(", ", RunLayout.ScalarChannels.Select(c => $"`{c}`")) + " (T,) `<f8`", row);
        Assert.Equal(3, RunLayout.ScalarChannels.Count);
    }

    [Fact]
    public void Meta_written_during_the_run_is_on_disk_before_completion_and_completion_releases_the_lock_at_once()
    {
        // docs/artifacts.md: "The full meta.json replaces the provisional one before the engine starts."
        using var tmp = RepoPaths.Temp();
        string dir = tmp.Combine("m");
        using var writer = Create(tmp, "m", 2);
        writer.WriteMeta(new JsonObject { ["theta"] = new JsonObject { ["dim"] = 2 }, ["objective"] = new JsonObject { ["name"] = "rosenbrock" } });
        var meta = RunArtifacts.LoadMeta(dir);
        Assert.Equal("rosenbrock", meta["objective"]!["name"]!.GetValue<string>());
        Assert.Equal("m", meta["run_id"]!.GetValue<string>());
        Assert.Equal(["summary.json"], meta["manifest"]!.AsArray().Select(e => e!["file"]!.GetValue<string>()));   // trace.partial/ and dot-files are not artifacts
        AppendRow(writer, 0, 2);
        writer.Complete(new JsonObject { ["status"] = "ok" }, null, null);
        Assert.Equal(RunProcessState.None, RunLiveness.Probe(dir));   // before the writer is disposed
        Assert.False(File.Exists(Path.Combine(dir, RunLiveness.LockFile)));
    }

    [Fact]
    public void Opening_a_run_removes_the_temporaries_its_dead_writers_left_in_it_and_in_figures()
    {
        using var tmp = RepoPaths.Temp();
        string dir = tmp.Combine("r");
        RunArtifacts.SaveRun(dir, new TraceData { Loss = [1], Theta = [0], Dimension = 1 }, Meta(1), new JsonObject { ["status"] = "ok" });
        Directory.CreateDirectory(Path.Combine(dir, "figures"));
        using var gone = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("true") { UseShellExecute = false })!;
        gone.WaitForExit();
        string dead = $"{gone.Id}@{Environment.MachineName}", alive = StaleTemporaries.Owner;
        string[] stale = [Path.Combine(dir, $".signals.npz.{dead}.{Guid.NewGuid():N}.tmp"), Path.Combine(dir, "figures", $".a.png.{dead}.{Guid.NewGuid():N}.tmp")];
        string[] kept = [Path.Combine(dir, $".signals.npz.{alive}.{Guid.NewGuid():N}.tmp"), Path.Combine(dir, "figures", $".a.png.{alive}.{Guid.NewGuid():N}.tmp")];
        foreach (string f in stale.Concat(kept)) File.WriteAllText(f, "half-written");
        _ = new FilesystemRunReader(dir);
        Assert.All(stale, f => Assert.False(File.Exists(f), f));
        Assert.All(kept, f => Assert.True(File.Exists(f), f));   // this process is still writing them
    }

    [Fact]
    public void Optional_arrays_and_checkpoints_are_read_back_and_a_checkpoint_missing_an_array_names_it()
    {
        using var tmp = RepoPaths.Temp();
        string dir = tmp.Combine("r");
        RunArtifacts.SaveRun(dir, new TraceData { Loss = [1], Theta = [0, 0], Dimension = 2 }, Meta(2), new JsonObject { ["status"] = "ok" },
            new RunArtifacts.Optional { Precond = new Dictionary<string, NdArray> { ["precond"] = NdArray.Vector([2.0, 3.0]) } });
        var reader = new FilesystemRunReader(dir);
        Assert.Equal(new[] { 2.0, 3.0 }, reader.LoadArrays("precond.npz")!["precond"].ToDoubles());
        string best = Path.Combine(dir, "checkpoint_best.npz");
        NpzFile.Save(best, new Dictionary<string, NdArray> { ["theta_best"] = NdArray.Vector([1.0, 2.0]), ["best_loss"] = NdArray.Scalar(0.5) });
        Assert.Equal($"{best}: array 'best_step' is missing (found: theta_best, best_loss).", Assert.Throws<ArtifactException>(() => reader.LoadCheckpoint("best")).Message);
    }

    [Fact]
    public void When_summary_json_cannot_be_rewritten_either_completion_still_fails_with_the_first_cause()
    {
        // trace.npz and summary.json both blocked (directories in their place): neither the atomic rewrite nor the
        // in-place one can record the failure; the caller still gets the error that stopped the run.
        using var tmp = RepoPaths.Temp();
        string dir = tmp.Combine("stuck");
        var writer = Create(tmp, "stuck", 1);
        for (int t = 0; t < 3; t++) AppendRow(writer, t, 1);
        Directory.CreateDirectory(Path.Combine(dir, "trace.npz", "in-the-way"));
        File.Delete(Path.Combine(dir, "summary.json"));
        Directory.CreateDirectory(Path.Combine(dir, "summary.json", "in-the-way"));
        var e = Assert.ThrowsAny<IOException>(() => writer.Complete(new JsonObject { ["status"] = "ok" }, null, null));
        Assert.Contains("trace.npz", e.Message);
        Assert.DoesNotContain("summary.json", e.Message);
        Assert.Equal(RunProcessState.None, RunLiveness.Probe(dir));
        Assert.Equal(3, NpyFile.LoadRecoveredRows(Path.Combine(dir, "trace.partial", "loss.npy")).Shape[0]);   // the rows stay
        writer.Dispose();
    }

    [Fact]
    public void A_writer_dropped_while_its_artifacts_cannot_be_written_records_both_causes_and_does_not_throw()
    {
        using var tmp = RepoPaths.Temp();
        string dir = tmp.Combine("dropped");
        var writer = Create(tmp, "dropped", 1);
        for (int t = 0; t < 2; t++) AppendRow(writer, t, 1);
        Directory.CreateDirectory(Path.Combine(dir, "trace.npz", "in-the-way"));
        writer.Dispose();
        var summary = RunArtifacts.LoadSummary(dir);
        Assert.Equal("failed", summary["status"]!.GetValue<string>());
        string message = summary["message"]!.GetValue<string>();
        Assert.StartsWith("the run ended without completing (an unexpected error); trace holds the rows recorded so far; writing the run's artifacts failed: ", message);
        Assert.Equal(1, summary["num_steps_completed"]!.GetValue<int>());
        Assert.Equal(RunProcessState.None, RunLiveness.Probe(dir));
    }

    [Fact]
    public void A_storage_failure_in_a_run_without_a_message_gives_the_cause_alone()
    {
        using var tmp = RepoPaths.Temp();
        string dir = tmp.Combine("bare");
        var writer = Create(tmp, "bare", 1);
        AppendRow(writer, 0, 1);
        Directory.CreateDirectory(Path.Combine(dir, "trace.npz", "in-the-way"));
        Assert.ThrowsAny<IOException>(() => writer.Complete(new JsonObject { ["status"] = "ok", ["message"] = "" }, null, null));
        var summary = RunArtifacts.LoadSummary(dir);
        string message = summary["message"]!.GetValue<string>();
        Assert.StartsWith("writing the run's artifacts failed: ", message);
        Assert.Equal($"writing the run's artifacts failed: {summary["storage_error"]!.GetValue<string>()}; the rows streamed so far are in trace.partial/", message);
        writer.Dispose();
    }
    [Fact]
    public void Streamed_rows_reach_the_disk_within_about_a_second_without_an_explicit_flush()
    {
        // docs/artifacts.md: rows stream to trace.partial/ "flushed about once a second", so a killed run loses at most
        // the last second. The first row may still be buffered; a row appended more than a second later flushes both.
        using var tmp = RepoPaths.Temp();
        using var writer = Create(tmp, "s", 2);
        AppendRow(writer, 0, 2);
        Thread.Sleep(1100);
        AppendRow(writer, 1, 2);
        string partial = tmp.Combine("s", "trace.partial");
        foreach (string channel in new[] { "loss", "theta", "grad_norm", "step_norm", "base_lr", "accepted" })
        {
            Assert.True(2 == NpyFile.RowsOnDisk(Path.Combine(partial, channel + ".npy")), channel);
        }
        Assert.Equal(new[] { 10.0, 9 }, NpyFile.LoadRecoveredRows(Path.Combine(partial, "loss.npy")).ToDoubles());
    }
}
