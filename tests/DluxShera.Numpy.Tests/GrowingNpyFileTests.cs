using System.IO.Compression;
using DluxShera.Contracts;
using DluxShera.Numpy;
using Xunit;

namespace DluxShera.Tests;

/// <summary>
/// Growing .npy files (trace channels written row by row) and what a reader recovers from one whose writer was
/// killed: the rows its data holds, whatever the header says, without a torn last row. Files are built byte by
/// byte from the .npy format (header for N rows, then little-endian rows), so the expected rows are known exactly.
/// </summary>
public class GrowingNpyFileTests
{
    private static byte[] Doubles(params double[] v) => v.SelectMany(BitConverter.GetBytes).ToArray();

    /// <summary>A file whose header claims <paramref name="headerRows"/> rows of 3 doubles, followed by <paramref name="data"/>.</summary>
    private static string Killed(TempDirectory tmp, int headerRows, byte[] data)
    {
        string path = tmp.Combine("theta.npy");
        File.WriteAllBytes(path, [.. NpyHeader.Encode(NpyDtype.Float64, [headerRows, 3]), .. data]);
        return path;
    }

    // Three complete rows (1..9) and half of a fourth: what a writer killed mid-row leaves after flushing two.
    private static readonly byte[] ThreeRowsAndAHalf = [.. Doubles(1, 2, 3, 4, 5, 6, 7, 8, 9), .. new byte[12]];

    [Theory]
    [InlineData(100L, 24L, 4L)]
    [InlineData(24L, 24L, 1L)]
    [InlineData(23L, 24L, 0L)]
    [InlineData(-5L, 8L, 0L)]     // a file shorter than its header
    [InlineData(8L, 0L, 0L)]      // rows of zero bytes hold nothing to count
    [InlineData(3L * int.MaxValue, 2, 3L * int.MaxValue / 2)]  // 64-bit throughout (> 2 GiB)
    public void CompleteRows_counts_whole_rows_only(long dataBytes, long rowBytes, long expected)
    {
        Assert.Equal(expected, NpyFile.CompleteRows(dataBytes, rowBytes));
    }

    [Fact]
    public void Rows_on_disk_ignore_the_header_and_the_torn_last_row()
    {
        using var tmp = RepoPaths.Temp();
        string path = Killed(tmp, 2, ThreeRowsAndAHalf);
        Assert.Equal(3, NpyFile.RowsOnDisk(path));
        Assert.Equal([2, 3], NpyFile.Load(path).Shape);   // a plain load believes the header

        var recovered = NpyFile.LoadRecoveredRows(path);
        Assert.Equal([3, 3], recovered.Shape);
        Assert.Equal(new double[] { 1, 2, 3, 4, 5, 6, 7, 8, 9 }, recovered.ToDoubles());
    }

    [Theory]
    [InlineData(2L, 2)]
    [InlineData(0L, 0)]
    [InlineData(10L, 3)]
    [InlineData(-1L, 3)]
    public void Recovery_can_be_capped_to_agree_with_other_channels(long maxRows, int expected)
    {
        using var tmp = RepoPaths.Temp();
        var a = NpyFile.LoadRecoveredRows(Killed(tmp, 0, ThreeRowsAndAHalf), maxRows);
        Assert.Equal([expected, 3], a.Shape);
        Assert.Equal(Enumerable.Range(1, 3 * expected).Select(i => (double)i), a.ToDoubles());
    }

    [Fact]
    public void A_one_dimensional_channel_is_recovered_value_by_value()
    {
        using var tmp = RepoPaths.Temp();
        string path = tmp.Combine("loss.npy");
        File.WriteAllBytes(path, [.. NpyHeader.Encode(NpyDtype.Float64, [0]), .. Doubles(5, 4, 3, 2, 1), 1, 2, 3]);
        Assert.Equal(new double[] { 5, 4, 3, 2, 1 }, NpyFile.LoadRecoveredRows(path).ToDoubles());
        Assert.Equal(5, NpyFile.RowsOnDisk(path));
    }

    [Fact]
    public void Recovery_refuses_arrays_without_rows_and_missing_files()
    {
        using var tmp = RepoPaths.Temp();
        string scalar = tmp.Combine("scalar.npy");
        File.WriteAllBytes(scalar, [.. NpyHeader.Encode(NpyDtype.Float64, []), .. Doubles(1)]);
        var e = Assert.Throws<ArtifactException>(() => NpyFile.LoadRecoveredRows(scalar));
        Assert.Equal($"{scalar}: expected a C-ordered array with a first axis to recover rows from.", e.Message);

        string fortran = tmp.Combine("fortran.npy");
        byte[] header = NpyHeader.Encode(NpyDtype.Float64, [2, 2]);
        int at = header.AsSpan().IndexOf("False"u8);
        "True "u8.CopyTo(header.AsSpan(at));   // same length: the header stays aligned
        File.WriteAllBytes(fortran, [.. header, .. Doubles(1, 2, 3, 4)]);
        var f = Assert.Throws<ArtifactException>(() => NpyFile.LoadRecoveredRows(fortran));
        Assert.True(f.Message.Contains("expected a C-ordered array", StringComparison.Ordinal), f.Message);

        string missing = tmp.Combine("missing.npy");
        Assert.Equal($"{missing}: file not found.", Assert.Throws<ArtifactException>(() => NpyFile.LoadRecoveredRows(missing)).Message);
    }

    [Fact]
    public void Appended_rows_are_loadable_after_each_flush_and_the_header_keeps_its_length()
    {
        using var tmp = RepoPaths.Temp();
        string path = tmp.Combine("theta.npy");
        using (var file = new AppendableNpyFile(path, NpyDtype.Float64, 3))
        {
            long headerBytes = new FileInfo(path).Length;
            Assert.Equal(0, headerBytes % 64);                      // numpy aligns the data to 64 bytes
            Assert.Equal([0, 3], NpyFile.Load(path).Shape);
            file.Append([1.0, 2, 3]);
            file.Append([4.0, 5, 6]);
            Assert.Equal(2, file.Rows);
            file.Flush();
            Assert.Equal(new double[] { 1, 2, 3, 4, 5, 6 }, NpyFile.Load(path).ToDoubles());
            for (int i = 0; i < 998; i++) file.Append([i, i, i]);
            file.Flush();
            Assert.Equal([1000, 3], NpyFile.Load(path).Shape);
            Assert.Equal(headerBytes + 1000 * 24, new FileInfo(path).Length);
        }
        Assert.Equal(997.0, NpyFile.Load(path).ToDoubles()[^1]);
    }

    [Fact]
    public void Appending_the_wrong_type_or_row_length_is_refused()
    {
        using var tmp = RepoPaths.Temp();
        using var doubles = new AppendableNpyFile(tmp.Combine("d.npy"), NpyDtype.Float64, 3);
        Assert.Equal($"{doubles.Path}: row of 16 bytes, expected 24.", Assert.Throws<ArgumentException>(() => doubles.Append([1.0, 2.0])).Message);
        Assert.Contains("appending a bool to a Float64 array", Assert.Throws<InvalidOperationException>(() => doubles.Append(true)).Message);
        Assert.Contains("appending a long to a Float64 array", Assert.Throws<InvalidOperationException>(() => doubles.Append(7L)).Message);
        using var flags = new AppendableNpyFile(tmp.Combine("b.npy"), NpyDtype.Bool);
        Assert.Contains("appending doubles to a Bool array", Assert.Throws<InvalidOperationException>(() => flags.Append(1.0)).Message);
        Assert.Equal(0, doubles.Rows);
        Assert.Equal(0, flags.Rows);
    }

    [Fact]
    public void Bool_and_long_channels_round_trip()
    {
        using var tmp = RepoPaths.Temp();
        string accepted = tmp.Combine("accepted.npy"), steps = tmp.Combine("step.npy");
        using (var a = new AppendableNpyFile(accepted, NpyDtype.Bool))
        using (var s = new AppendableNpyFile(steps, NpyDtype.Int64))
        {
            a.Append(true);
            a.Append(false);
            a.Append(true);
            s.Append(-3L);
            s.Append(long.MaxValue);
            Assert.Equal(3, a.Rows);
        }
        Assert.Equal(new[] { true, false, true }, (bool[])NpyFile.Load(accepted).Data);
        Assert.Equal(new[] { -3L, long.MaxValue }, (long[])NpyFile.Load(steps).Data);
        Assert.Equal([0x01, 0x00, 0x01], File.ReadAllBytes(accepted)[^3..]);
    }

    [Fact]
    public void An_empty_file_is_created_complete_and_reopened_for_appending_without_truncation()
    {
        using var tmp = RepoPaths.Temp();
        string path = tmp.Combine("loss.npy");
        AppendableNpyFile.CreateEmpty(path, NpyDtype.Float64);
        Assert.Equal([0], NpyFile.Load(path).Shape);
        using (var file = AppendableNpyFile.OpenEmpty(path, NpyDtype.Float64))
        {
            file.Append(2.5);
            file.Append(-1.0);
        }
        Assert.Equal(new[] { 2.5, -1.0 }, NpyFile.Load(path).ToDoubles());
        long length = new FileInfo(path).Length;
        var e = Assert.Throws<IOException>(() => AppendableNpyFile.OpenEmpty(path, NpyDtype.Float64));
        Assert.Contains($"found {length} bytes", e.Message);
        Assert.Equal(new[] { 2.5, -1.0 }, NpyFile.Load(path).ToDoubles());   // refused, not truncated
    }

    [Fact]
    public void Abandon_writes_what_it_can_and_closes_once()
    {
        using var tmp = RepoPaths.Temp();
        string path = tmp.Combine("loss.npy");
        var file = new AppendableNpyFile(path, NpyDtype.Float64);
        file.Append(1.0);
        file.Append(2.0);
        file.Abandon();
        file.Abandon();
        file.Dispose();
        Assert.Equal(new[] { 1.0, 2.0 }, NpyFile.Load(path).ToDoubles());
        File.Delete(path);   // closed: nothing holds the file
    }

    [Fact]
    public void DataBytes_are_little_endian_ieee_and_twos_complement()
    {
        Assert.Equal([0, 0, 0, 0, 0, 0, 0xF0, 0x3F], NpyFile.DataBytes(NdArray.Vector([1.0])).ToArray());
        Assert.Equal([1, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF], NpyFile.DataBytes(new NdArray(new[] { 1, -1 }, 2)).ToArray());
        Assert.Equal([0, 0, 0x80, 0x3F], NpyFile.DataBytes(new NdArray(new[] { 1.0f }, 1)).ToArray());
    }
}

/// <summary>.npz archives assembled entry by entry and inspected without loading their data.</summary>
public class NpzHeaderTests
{
    [Fact]
    public void An_npy_file_added_as_an_entry_loads_back_under_its_name()
    {
        using var tmp = RepoPaths.Temp();
        string npy = tmp.Combine("theta.npy"), npz = tmp.Combine("trace.npz");
        NpyFile.Save(npy, new NdArray(new double[] { 1, 2, 3, 4, 5, 6 }, 2, 3));
        using (var zip = ZipFile.Open(npz, ZipArchiveMode.Create))
        {
            NpzFile.AddNpyFile(zip, "theta", npy);
        }
        var loaded = NpzFile.Load(npz);
        Assert.Equal(["theta"], loaded.Keys);
        Assert.Equal([2, 3], loaded["theta"].Shape);
        Assert.Equal(new double[] { 1, 2, 3, 4, 5, 6 }, loaded["theta"].ToDoubles());
        using var check = ZipFile.OpenRead(npz);
        Assert.Equal("theta.npy", check.Entries.Single().FullName);
    }

    [Theory]
    [InlineData("")]
    [InlineData("a/b")]
    [InlineData("a\\b")]
    public void Entry_names_that_are_empty_or_hold_path_separators_are_refused(string name)
    {
        using var tmp = RepoPaths.Temp();
        var e = Assert.Throws<ArgumentException>(() => NpzFile.Save(tmp.Combine("x.npz"), new Dictionary<string, NdArray> { [name] = NdArray.Scalar(1.0) }));
        Assert.Contains($"'{name}'", e.Message);
    }

    [Fact]
    public void Headers_give_every_entrys_dtype_and_shape()
    {
        using var tmp = RepoPaths.Temp();
        string npz = tmp.Combine("a.npz");
        NpzFile.Save(npz, new Dictionary<string, NdArray>
        {
            ["loss"] = NdArray.Vector([1.0, 2.0, 3.0]), ["step"] = new NdArray(new long[] { 0, 1, 2, 3 }, 2, 2),
        });
        var headers = NpzFile.ReadHeaders(npz, verifyData: true);
        Assert.Equal(["loss", "step"], headers.Keys.Order());
        Assert.Equal(NpyDtype.Float64, headers["loss"].Dtype);
        Assert.Equal([3], headers["loss"].Shape);
        Assert.Equal(NpyDtype.Int64, headers["step"].Dtype);
        Assert.Equal([2, 2], headers["step"].Shape);
    }

    [Fact]
    public void Verifying_data_finds_an_entry_shorter_than_its_header()
    {
        using var tmp = RepoPaths.Temp();
        string npz = tmp.Combine("trace.npz");
        using (var zip = ZipFile.Open(npz, ZipArchiveMode.Create))
        {
            using var s = zip.CreateEntry("loss.npy").Open();
            s.Write(NpyHeader.Encode(NpyDtype.Float64, [4]));
            s.Write(new byte[20]);   // 4 doubles need 32 bytes
        }
        Assert.Equal([4], NpzFile.ReadHeaders(npz)["loss"].Shape);   // headers alone do not look at the data
        var e = Assert.Throws<ArtifactException>(() => NpzFile.ReadHeaders(npz, verifyData: true));
        Assert.Equal($"{npz}[loss.npy]: truncated .npy data: shape (4,) of <f8 needs 32 bytes, found 20.", e.Message);
    }

    [Fact]
    public void Headers_of_a_missing_or_non_zip_file_are_refused_with_its_name()
    {
        using var tmp = RepoPaths.Temp();
        string missing = tmp.Combine("missing.npz");
        Assert.Equal($"{missing}: file not found.", Assert.Throws<ArtifactException>(() => NpzFile.ReadHeaders(missing)).Message);
        string text = tmp.Combine("text.npz");
        File.WriteAllText(text, "not a zip at all, just text that is long enough to look for a directory");
        Assert.StartsWith($"{text}: not a valid .npz (zip) archive", Assert.Throws<ArtifactException>(() => NpzFile.ReadHeaders(text)).Message);
    }
}
