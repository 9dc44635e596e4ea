using System.IO.Compression;
using System.Text.Json.Nodes;
using DluxShera.Artifacts;
using DluxShera.Contracts;
using DluxShera.Numpy;
using Xunit;

namespace DluxShera.Tests;

/// <summary>
/// The streaming trace readers (<see cref="FilesystemRunReader.LoadTraceSample"/>, <see cref="FilesystemRunReader.ForEachThetaChunk"/>)
/// on the trace files docs/artifacts.md describes: trace.npz entries named as numpy names them (<c>x.npy</c> → <c>x</c>,
/// any other entry name as it is), trace.partial/ after a kill, and damaged archives. Expected values are the numbers the
/// test wrote and the documented messages.
/// </summary>
public class TraceStreamingReaderTests
{
    private static JsonObject Meta(int dim) => new() { ["theta"] = new JsonObject { ["dim"] = dim } };

    private static FilesystemRunWriter Create(TempDirectory tmp, string id, int dim) =>
        (FilesystemRunWriter)new FilesystemArtifactStore().CreateRun(new RunCreateRequest { OutputRoot = tmp.Path, RunId = id, Dimension = dim });

    // Row t: loss 10 − t, θ_i = t + i/2.
    private static void AppendRow(IRunWriter writer, int t, int dim) =>
        writer.Append(new TraceRow(t, 10.0 - t, [.. Enumerable.Range(0, dim).Select(i => t + 0.5 * i)], 2.0 * t, 0.25 * t, 1e-3, true));

    // A complete run whose trace.npz is then replaced by the given zip entries (name → .npy bytes), as another tool may write it.
    private static string RunWithTraceEntries(TempDirectory tmp, params (string Entry, NdArray Array)[] entries)
    {
        string dir = tmp.Combine("r");
        RunArtifacts.SaveRun(dir, new TraceData { Loss = [1], Theta = [0, 0], Dimension = 2 }, Meta(2), new JsonObject { ["status"] = "ok" });
        string trace = Path.Combine(dir, "trace.npz");
        File.Delete(trace);
        using var zip = ZipFile.Open(trace, ZipArchiveMode.Create);
        foreach (var (name, array) in entries)
        {
            using var s = zip.CreateEntry(name, CompressionLevel.NoCompression).Open();
            NpyFile.Write(s, array);
        }
        return dir;
    }

    private static NdArray Theta(int rows) => new(Enumerable.Range(0, 2 * rows).Select(i => (double)i).ToArray(), rows, 2);

    [Fact]
    public void A_killed_run_that_recorded_gradients_is_sampled_from_its_trace_channels_only()
    {
        // RecordGradient streams grad_step.npy (K,) and grad.npy (K, D) into trace.partial/ beside the trace channels.
        // K < T here: those two are not trace channels, and reading them as T-row channels would run past their data.
        using var tmp = RepoPaths.Temp();
        var writer = Create(tmp, "killed", 2);
        for (int t = 0; t < 5; t++) AppendRow(writer, t, 2);
        writer.RecordGradient(0, [1.0, 2.0]);
        writer.RecordGradient(4, [3.0, 4.0]);
        writer.Flush();
        // "Killed": never completed, so trace.partial/ is what is left.
        var reader = new FilesystemRunReader(tmp.Combine("killed"));
        var sample = reader.LoadTraceSample();
        Assert.Equal([0, 1, 2, 3, 4], sample.Rows);
        Assert.Equal(new[] { 10.0, 9, 8, 7, 6 }, sample.Trace.Loss);
        Assert.Equal(["accepted", "base_lr", "grad_norm", "step_norm"], sample.Trace.Channels.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(reader.LoadTrace().Channels.Keys.Order(StringComparer.Ordinal), sample.Trace.Channels.Keys.Order(StringComparer.Ordinal));
        writer.Dispose();
    }

    [Fact]
    public void Trace_npz_entries_are_named_as_numpy_names_them_and_scalar_channels_of_t_rows_are_kept()
    {
        // numpy's NpzFile: files = [k[:-4] if k.endswith('.npy') else k for k in zip.namelist()].
        using var tmp = RepoPaths.Temp();
        string dir = RunWithTraceEntries(tmp,
            ("loss.npy", NdArray.Vector([3.0, 1, 2])),
            ("theta.npy", Theta(3)),
            ("bare", NdArray.Vector([7.0, 8, 9])),              // no extension: named "bare"
            ("short.npy", NdArray.Vector([1.0, 2])),             // not T rows: left out
            ("matrix.npy", new NdArray(new double[] { 1, 2, 3, 4, 5, 6 }, 3, 2)));   // not 1-D: left out
        var sample = new FilesystemRunReader(dir).LoadTraceSample();
        Assert.Equal(new[] { 3.0, 1, 2 }, sample.Trace.Loss);
        Assert.Equal(new[] { 0.0, 1, 2, 3, 4, 5 }, sample.Trace.Theta);
        Assert.Equal(["bare"], sample.Trace.Channels.Keys);
        Assert.Equal(new[] { 7.0, 8, 9 }, sample.Trace.Channels["bare"]);

        // The same trace with entries that lack the extension altogether.
        string plain = RunWithTraceEntries(RepoPaths.Temp(), ("loss", NdArray.Vector([5.0, 4])), ("theta", Theta(2)));
        var second = new FilesystemRunReader(plain).LoadTraceSample();
        Assert.Equal(new[] { 5.0, 4 }, second.Trace.Loss);
        Assert.Equal((2L, 2), new FilesystemRunReader(plain).ForEachThetaChunk((_, _) => true));
    }

    [Fact]
    public void A_scalar_loss_in_trace_npz_is_refused_naming_the_entry()
    {
        using var tmp = RepoPaths.Temp();
        string dir = RunWithTraceEntries(tmp, ("loss.npy", NdArray.Scalar(1.0)), ("theta.npy", Theta(1)));
        var e = Assert.Throws<ArtifactException>(() => new FilesystemRunReader(dir).LoadTraceSample());
        Assert.Equal($"{Path.Combine(dir, "trace.npz")}[loss.npy]: loss has shape (); expected (T,).", e.Message);
    }

    [Fact]
    public void A_bad_array_header_inside_trace_npz_is_reported_naming_the_archive_and_the_entry()
    {
        using var tmp = RepoPaths.Temp();
        string dir = RunWithTraceEntries(tmp, ("loss.npy", NdArray.Vector([1.0])), ("theta.npy", Theta(1)));
        string trace = Path.Combine(dir, "trace.npz");
        // Overwrite theta.npy's magic string in place (a stored entry: its bytes sit in the file as they are).
        byte[] bytes = File.ReadAllBytes(trace);
        int at = IndexOf(bytes, "theta.npy"u8.ToArray(), 0);
        at = IndexOf(bytes, [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'], at);
        bytes[at + 1] = (byte)'X';
        File.WriteAllBytes(trace, bytes);
        var reader = new FilesystemRunReader(dir);
        string expected = $"{trace}[theta.npy]: not a .npy array (the file does not start with the \\x93NUMPY magic string).";
        Assert.Equal(expected, Assert.Throws<ArtifactException>(() => reader.LoadTraceSample()).Message);
        Assert.Equal(expected, Assert.Throws<ArtifactException>(() => reader.ForEachThetaChunk((_, _) => true)).Message);
    }

    [Fact]
    public void A_deflated_entry_whose_data_is_not_deflate_is_a_corrupt_zip_entry()
    {
        using var tmp = RepoPaths.Temp();
        string dir = tmp.Combine("r");
        RunArtifacts.SaveRun(dir, new TraceData { Loss = [1, 2], Theta = [0, 0, 1, 1], Dimension = 2 }, Meta(2), new JsonObject { ["status"] = "ok" });
        string trace = Path.Combine(dir, "trace.npz");
        // np.savez_compressed's layout: deflated entries. Then every byte of theta's compressed data set to 0xFF,
        // which is no valid deflate block (BTYPE 11 is reserved).
        NpzFile.Save(trace, new Dictionary<string, NdArray> { ["loss"] = NdArray.Vector([1.0, 2]), ["theta"] = Theta(2) }, compressed: true);
        byte[] bytes = File.ReadAllBytes(trace);
        using (var zip = new ZipArchive(new MemoryStream(bytes), ZipArchiveMode.Read))
        {
            Assert.Equal(2, zip.Entries.Count);
        }
        // The local file header (PKWARE APPNOTE 4.3.7): 30 bytes, the name (length at offset 26), the extra field
        // (length at 28), then the data.
        int local = IndexOf(bytes, "theta.npy"u8.ToArray(), 0) - 30;
        Assert.Equal(0x04034b50, BitConverter.ToInt32(bytes, local));
        int data = local + 30 + BitConverter.ToUInt16(bytes, local + 26) + BitConverter.ToUInt16(bytes, local + 28);
        for (int i = data; i < data + 8; i++) bytes[i] = 0xFF;
        File.WriteAllBytes(trace, bytes);
        var e = Assert.Throws<ArtifactException>(() => new FilesystemRunReader(dir).ForEachThetaChunk((_, _) => true));
        Assert.StartsWith($"{trace}[theta.npy]: corrupt zip entry (", e.Message);
    }

    [Fact]
    public void A_trace_npz_that_is_not_a_zip_archive_is_refused_in_one_line()
    {
        using var tmp = RepoPaths.Temp();
        string dir = RunWithTraceEntries(tmp, ("loss.npy", NdArray.Vector([1.0])), ("theta.npy", Theta(1)));
        string trace = Path.Combine(dir, "trace.npz");
        File.WriteAllText(trace, "this is not a zip archive, just text that happens to be long enough to look for a directory");
        var e = Assert.Throws<ArtifactException>(() => new FilesystemRunReader(dir).LoadTraceSample());
        Assert.StartsWith($"{trace}: not a valid .npz (zip) archive, or truncated (", e.Message);
        Assert.EndsWith(").", e.Message);
        Assert.DoesNotContain("\n", e.Message);
    }

    [Fact]
    public void A_run_without_trace_npz_or_trace_partial_is_refused_by_the_streaming_readers()
    {
        using var tmp = RepoPaths.Temp();
        string dir = RunWithTraceEntries(tmp, ("loss.npy", NdArray.Vector([1.0])), ("theta.npy", Theta(1)));
        string trace = Path.Combine(dir, "trace.npz");
        File.Delete(trace);
        var reader = new FilesystemRunReader(dir);
        string expected = $"{trace}: file not found (and no trace.partial/ to recover from).";
        Assert.Equal(expected, Assert.Throws<ArtifactException>(() => reader.LoadTraceSample()).Message);
        Assert.Equal(expected, Assert.Throws<ArtifactException>(() => reader.ForEachThetaChunk((_, _) => true)).Message);
        Assert.Equal(expected, Assert.Throws<ArtifactException>(() => reader.TraceShape()).Message);
        Assert.Equal(expected, Assert.Throws<ArtifactException>(() => reader.LoadTrace()).Message);
    }

    [Fact]
    public void A_partial_trace_missing_a_required_channel_lists_the_channels_it_has_in_order()
    {
        using var tmp = RepoPaths.Temp();
        var writer = Create(tmp, "k", 1);
        AppendRow(writer, 0, 1);
        writer.Flush();
        string partial = tmp.Combine("k", "trace.partial");
        File.Delete(Path.Combine(partial, "theta.npy"));
        var reader = new FilesystemRunReader(tmp.Combine("k"));
        Assert.Equal($"{partial}: arrays 'loss' and 'theta' are required (found: loss, grad_norm, step_norm, base_lr, accepted).",
            Assert.Throws<ArtifactException>(() => reader.LoadTraceSample()).Message);
        Assert.Equal($"{partial}: array 'theta' is required (found: loss, grad_norm, step_norm, base_lr, accepted).",
            Assert.Throws<ArtifactException>(() => reader.ForEachThetaChunk((_, _) => true)).Message);
        writer.Dispose();
    }

    [Fact]
    public void Theta_of_another_width_or_with_other_rows_than_loss_is_refused_by_the_streaming_readers()
    {
        using var tmp = RepoPaths.Temp();
        // meta.json says D = 2; theta is (3, 3).
        string wide = RunWithTraceEntries(tmp, ("loss.npy", NdArray.Vector([3.0, 2, 1])), ("theta.npy", new NdArray(new double[9], 3, 3)));
        string source = $"{Path.Combine(wide, "trace.npz")}[theta.npy]";
        string expected = $"{source}: theta has shape (3, 3); meta.json says theta.dim = 2, so (T, 2) was expected.";
        var reader = new FilesystemRunReader(wide);
        Assert.Equal(expected, Assert.Throws<ArtifactException>(() => reader.LoadTraceSample()).Message);
        Assert.Equal(expected, Assert.Throws<ArtifactException>(() => reader.ForEachThetaChunk((_, _) => true)).Message);

        using var tmp2 = RepoPaths.Temp();
        string shortTheta = RunWithTraceEntries(tmp2, ("loss.npy", NdArray.Vector([3.0, 2, 1])), ("theta.npy", Theta(2)));
        Assert.Equal($"{Path.Combine(shortTheta, "trace.npz")}[theta.npy]: theta has 2 rows; expected 3 to match loss.",
            Assert.Throws<ArtifactException>(() => new FilesystemRunReader(shortTheta).LoadTraceSample()).Message);
    }

    [Fact]
    public void A_trace_whose_every_loss_is_nan_keeps_no_lowest_loss_row()
    {
        // A run that diverged from its first step: no row has a lowest loss (numpy's nanargmin raises), so the sample
        // is the every-k-th rows and the last only. 10 rows, at most 4: k = ⌈9/2⌉ = 5 keeps 0, 5 and 9.
        using var tmp = RepoPaths.Temp();
        string dir = tmp.Combine("nan");
        RunArtifacts.SaveRun(dir, new TraceData { Loss = [.. Enumerable.Repeat(double.NaN, 10)], Theta = [.. Enumerable.Range(0, 10).Select(i => (double)i)], Dimension = 1 },
            new JsonObject { ["theta"] = new JsonObject { ["dim"] = 1 } }, new JsonObject { ["status"] = "failed" });
        var sample = new FilesystemRunReader(dir).LoadTraceSample(maxRows: 4);
        Assert.Equal([0, 5, 9], sample.Rows);
        Assert.Equal(new[] { 0.0, 5, 9 }, sample.Trace.Theta);
    }

    [Fact]
    public void Trace_shape_checks_every_entry_against_its_crc_as_numpy_does()
    {
        // TraceShape reads headers only, but streams the data through: a flipped value in loss must not pass.
        using var tmp = RepoPaths.Temp();
        string dir = RunWithTraceEntries(tmp, ("loss.npy", NdArray.Vector([3.0, 2, 1])), ("theta.npy", Theta(3)));
        string trace = Path.Combine(dir, "trace.npz");
        Assert.Equal((3L, 2, trace), new FilesystemRunReader(dir).TraceShape());
        byte[] bytes = File.ReadAllBytes(trace);
        int at = IndexOf(bytes, BitConverter.GetBytes(2.0), IndexOf(bytes, "loss.npy"u8.ToArray(), 0));
        BitConverter.GetBytes(2.5).CopyTo(bytes, at);
        File.WriteAllBytes(trace, bytes);
        var e = Assert.Throws<ArtifactException>(() => new FilesystemRunReader(dir).TraceShape());
        Assert.Contains("CRC-32", e.Message);
    }

    [Fact]
    public void The_readers_leave_trace_npz_closed_after_reading_it_and_after_refusing_it()
    {
        // .NET on Unix takes flock(LOCK_SH) for every read-only FileStream, so a handle a reader leaked would make the
        // next exclusive open (FileShare.None, flock LOCK_EX: what a writer replacing the file, or RunLiveness, takes)
        // fail. After each reader returns, an exclusive open must succeed.
        using var tmp = RepoPaths.Temp();
        string dir = RunWithTraceEntries(tmp, ("loss.npy", NdArray.Vector([3.0, 2, 1])), ("theta.npy", Theta(3)));
        string trace = Path.Combine(dir, "trace.npz");
        void OpenExclusively() => new FileStream(trace, FileMode.Open, FileAccess.ReadWrite, FileShare.None).Dispose();
        var reader = new FilesystemRunReader(dir);
        OpenExclusively();
        Assert.Equal(3, reader.LoadTraceSample().Rows.Length);
        OpenExclusively();
        reader.ForEachThetaChunk((_, _) => true);
        OpenExclusively();
        reader.TraceShape();
        OpenExclusively();
        Assert.Equal(3, reader.LoadTrace().Steps);
        OpenExclusively();

        File.WriteAllText(trace, "not a zip archive, and long enough that the reader looks for its central directory");
        Assert.Throws<ArtifactException>(() => reader.LoadTraceSample());
        OpenExclusively();
    }

    private static int IndexOf(byte[] haystack, byte[] needle, int from)
    {
        for (int i = from; i <= haystack.Length - needle.Length; i++)
        {
            if (haystack.AsSpan(i, needle.Length).SequenceEqual(needle)) return i;
        }
        throw new InvalidOperationException("pattern not found");
    }
}
