using System.IO.Compression;
using DluxShera.Contracts;
using DluxShera.Numpy;
using Xunit;

namespace DluxShera.Tests;

/// <summary>
/// .npy/.npz behaviour at the edges: arrays larger than one write chunk, headers claiming more than one array can
/// hold, damaged zip entries, entries not named *.npy, appending after a disk error. Expected bytes and values are
/// closed forms of the index, or the spec's layout (<see cref="NpyHeaderSpecTests.NpyWithDict"/>).
/// </summary>
public class NpyFileEdgeTests
{
    [Fact]
    public void An_array_longer_than_one_write_chunk_is_written_and_read_whole()
    {
        // 2^24 + 5 bytes: data moves in chunks of 2^24 elements, so the last 5 are a second chunk.
        int n = (1 << 24) + 5;
        var values = new byte[n];
        for (int i = 0; i < n; i++) values[i] = (byte)(i % 251);
        using var stream = new MemoryStream();
        NpyFile.Write(stream, new NdArray(values, n));
        byte[] bytes = stream.ToArray();
        Assert.Equal(128 + n, bytes.Length);
        for (int i = n - 10; i < n; i++) Assert.Equal((byte)(i % 251), bytes[128 + i]);

        var read = (byte[])NpyFile.Read(new MemoryStream(bytes), "big.npy").Data;
        Assert.Equal(n, read.Length);
        for (int i = 0; i < n; i += 4099) Assert.Equal((byte)(i % 251), read[i]);
        Assert.Equal((byte)((n - 1) % 251), read[^1]);
    }

    [Fact]
    public void A_header_claiming_more_elements_than_one_array_holds_is_refused_before_reading()
    {
        byte[] bytes = NpyHeaderSpecTests.NpyWithDict("{'descr': '<f8', 'fortran_order': False, 'shape': (3000, 1048576), }", []);
        var e = Assert.Throws<ArtifactException>(() => NpyFile.Read(new MemoryStream(bytes), "huge.npy"));
        Assert.Equal($"huge.npy: array of {3000L * 1048576} elements is too large.", e.Message);
    }

    [Fact]
    public void Recovering_more_rows_than_one_array_holds_is_refused_naming_the_rows()
    {
        // A sparse file (nothing is written): a (0, 2^20) header, then 2048 rows of 8 MiB by its length.
        using var tmp = RepoPaths.Temp();
        string path = tmp.Combine("theta.npy");
        using (var f = File.Create(path))
        {
            byte[] header = NpyHeader.Encode(NpyDtype.Float64, [0, 1 << 20]);
            f.Write(header);
            f.SetLength(header.Length + 2048L * (8 << 20));
        }
        Assert.Equal(2048, NpyFile.RowsOnDisk(path));
        var e = Assert.Throws<ArtifactException>(() => NpyFile.LoadRecoveredRows(path));
        Assert.Equal($"{path}: 2048 rows of (1048576,) are too many elements for one array.", e.Message);
        Assert.Equal([2, 1 << 20], NpyFile.LoadRecoveredRows(path, maxRows: 2).Shape);   // a cap that fits is fine
    }

    [Fact]
    public void Recovered_rows_of_a_3d_channel_keep_the_row_shape()
    {
        using var tmp = RepoPaths.Temp();
        string path = tmp.Combine("grid.npy");
        // Rows of 2 × 2 int64 values 0, 1, 2, …; the header says 0 rows, the data holds 2 and a torn third.
        File.WriteAllBytes(path, [.. NpyHeader.Encode(NpyDtype.Int64, [0, 2, 2]), .. Enumerable.Range(0, 10).SelectMany(i => BitConverter.GetBytes((long)i))]);
        var a = NpyFile.LoadRecoveredRows(path);
        Assert.Equal([2, 2, 2], a.Shape);
        Assert.Equal(Enumerable.Range(0, 8).Select(i => (long)i), (long[])a.Data);
    }

    [Fact]
    public void Npz_entries_not_named_npy_keep_their_name()
    {
        using var tmp = RepoPaths.Temp();
        string path = tmp.Combine("odd.npz");
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Create))
        {
            foreach (string name in new[] { "plain", "double.npy.npy", "x.NPY" })
            {
                using var s = zip.CreateEntry(name).Open();
                s.Write(NpyHeaderSpecTests.NpyWithDict("{'descr': '<f8', 'fortran_order': False, 'shape': (), }", BitConverter.GetBytes(1.5)));
            }
        }
        Assert.Equal(["double.npy", "plain", "x.NPY"], NpzFile.Load(path).Keys.Order(StringComparer.Ordinal));
        Assert.Equal(["double.npy", "plain", "x.NPY"], NpzFile.ReadHeaders(path).Keys.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_damaged_entry_is_refused_by_its_crc_32_as_numpy_refuses_it(bool compressed)
    {
        // Scrambled bytes in the middle of a deflate stream can decode without any error into other numbers, and a
        // stored entry has no structure to break at all: only the CRC-32 the zip headers record tells (numpy's
        // zipfile raises "Bad CRC-32 for file 'loss.npy'" on this file).
        using var tmp = RepoPaths.Temp();
        string path = tmp.Combine("trace.npz");
        var rng = new Random(7);
        NpzFile.Save(path, new Dictionary<string, NdArray> { ["loss"] = NdArray.Vector([.. Enumerable.Range(0, 20_000).Select(i => Math.Round(rng.NextDouble(), 2))]) }, compressed);
        Assert.Equal(20_000, NpzFile.Load(path)["loss"].Count);
        byte[] bytes = File.ReadAllBytes(path);
        for (int i = bytes.Length / 3; i < bytes.Length / 3 + 64; i++) bytes[i] ^= 0x5A;
        File.WriteAllBytes(path, bytes);

        var e = Assert.Throws<ArtifactException>(() => NpzFile.Load(path));
        Assert.StartsWith($"{path}[loss.npy]: ", e.Message);
        Assert.Matches("damaged data: CRC-32 is [0-9a-f]{8}, the archive records [0-9a-f]{8}\\.$|corrupt", e.Message);
        var h = Assert.Throws<ArtifactException>(() => NpzFile.ReadHeaders(path, verifyData: true));
        Assert.StartsWith($"{path}[loss.npy]: ", h.Message);
        Assert.Equal([20_000], NpzFile.ReadHeaders(path)["loss"].Shape);   // headers alone read only the intact start
    }

    [Fact]
    public void The_crc_32_of_an_entry_numpy_wrote_is_accepted()
    {
        // golden/savez*.npz were written by numpy's zipfile with its CRC-32s; both load and verify.
        string dir = Path.Combine(RepoPaths.Root, "tests", "DluxShera.Numpy.Tests", "golden");
        foreach (string file in new[] { "savez.npz", "savez_compressed.npz" })
        {
            Assert.Equal(3, NpzFile.Load(Path.Combine(dir, file)).Count);
            Assert.Equal(3, NpzFile.ReadHeaders(Path.Combine(dir, file), verifyData: true).Count);
        }
    }

    [Fact]
    public void Reading_an_npz_from_a_stream_names_the_source_in_errors()
    {
        var e = Assert.Throws<ArtifactException>(() => NpzFile.Read(new MemoryStream(new byte[100]), "mem.npz"));
        Assert.StartsWith("mem.npz: not a valid .npz (zip) archive, or truncated (", e.Message);
        Assert.Equal($"{Path.Combine(Path.GetTempPath(), "no-such.npz")}: file not found.",
            Assert.Throws<ArtifactException>(() => NpzFile.Load(Path.Combine(Path.GetTempPath(), "no-such.npz"))).Message);
        Assert.Equal($"{Path.Combine(Path.GetTempPath(), "no-such.npy")}: file not found.",
            Assert.Throws<ArtifactException>(() => NpyFile.Load(Path.Combine(Path.GetTempPath(), "no-such.npy"))).Message);
    }

    [Fact]
    public void An_appendable_file_refuses_to_open_anything_but_an_empty_one_and_is_readable_by_others_while_open()
    {
        using var tmp = RepoPaths.Temp();
        string path = tmp.Combine("loss.npy");
        File.WriteAllBytes(path, [.. NpyHeader.Encode(NpyDtype.Float64, [0]), .. BitConverter.GetBytes(1.0)]);
        var e = Assert.Throws<IOException>(() => AppendableNpyFile.OpenEmpty(path, NpyDtype.Float64));
        Assert.Equal($"{path}: expected an empty .npy of 128 header bytes to append to, found 136 bytes.", e.Message);
        File.Delete(path);   // the refused open released the file

        using var file = new AppendableNpyFile(path, NpyDtype.Float64);
        file.Append(4.0);
        file.Flush();
        using (var reader = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
        {
            Assert.Equal(136, reader.Length);   // a reader may look while the writer holds it
        }
        file.Append(5.0);
        file.Append(6.0);
        Assert.Equal([1], NpyFile.Load(path).Shape);   // unflushed rows are not yet in the header
        file.Flush();
        Assert.Equal(new[] { 4.0, 5, 6 }, NpyFile.Load(path).ToDoubles());
        Assert.Equal(tmp.Combine("loss.npy"), file.Path);
        Assert.Equal(NpyDtype.Float64, file.Dtype);
    }

    [Fact]
    public void Flush_after_dispose_and_abandon_after_dispose_do_nothing()
    {
        using var tmp = RepoPaths.Temp();
        string path = tmp.Combine("acc.npy");
        var file = new AppendableNpyFile(path, NpyDtype.Bool);
        file.Append(true);
        file.Dispose();
        file.Flush();
        file.Abandon();
        file.Dispose();
        Assert.Equal(new[] { true }, (bool[])NpyFile.Load(path).Data);
        File.Delete(path);
    }

    [Fact]
    public void The_header_is_rewritten_only_when_rows_were_added_since_the_last_flush()
    {
        using var tmp = RepoPaths.Temp();
        string path = tmp.Combine("x.npy");
        using var file = new AppendableNpyFile(path, NpyDtype.Float64);
        file.Append(1.0);
        file.Flush();
        // Overwrite the header's shape on disk behind the writer's back: a flush with nothing new must leave it,
        // a flush after a new row must restore the true count.
        byte[] lie = NpyHeader.Encode(NpyDtype.Float64, [7]);
        using (var other = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite)) other.Write(lie);
        file.Flush();
        Assert.Equal([7], NpyHeader.Read(new MemoryStream(File.ReadAllBytes(path)), path).Shape);
        file.Append(2.0);
        file.Flush();
        Assert.Equal([2], NpyHeader.Read(new MemoryStream(File.ReadAllBytes(path)), path).Shape);
    }

    [Fact]
    public void A_bad_header_inside_an_npz_is_reported_naming_the_archive_and_the_entry()
    {
        using var tmp = RepoPaths.Temp();
        string path = tmp.Combine("trace.npz");
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Create))
        {
            using var s = zip.CreateEntry("loss.npy").Open();
            s.Write(NpyHeaderSpecTests.NpyWithDict("{'descr': '>f8', 'fortran_order': False, 'shape': (1,), }", BitConverter.GetBytes(1.0)));
        }
        const string tail = ": unsupported dtype '>f8' (supported: <f8, <f4, <i8, <i4, |b1, |u1).";
        Assert.Equal($"{path}[loss.npy]{tail}", Assert.Throws<ArtifactException>(() => NpzFile.Load(path)).Message);
        Assert.Equal($"{path}[loss.npy]{tail}", Assert.Throws<ArtifactException>(() => NpzFile.ReadHeaders(path)).Message);
    }

    [Fact]
    public void An_entry_with_bytes_after_its_array_is_checked_over_the_whole_entry()
    {
        // The CRC-32 covers every byte of the entry; bytes after the array (numpy never writes them, other tools may)
        // must be read too, or a valid archive would fail its check.
        using var tmp = RepoPaths.Temp();
        string path = tmp.Combine("padded.npz");
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Create))
        {
            using var s = zip.CreateEntry("x.npy", System.IO.Compression.CompressionLevel.Optimal).Open();
            s.Write(NpyHeaderSpecTests.NpyWithDict("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", [.. BitConverter.GetBytes(1.5), .. BitConverter.GetBytes(-2.0)]));
            s.Write(new byte[100_000]);
        }
        Assert.Equal(new[] { 1.5, -2.0 }, NpzFile.Load(path)["x"].ToDoubles());
        Assert.Equal([2], NpzFile.ReadHeaders(path, verifyData: true)["x"].Shape);
    }

    [Fact]
    public void A_truncated_forward_only_stream_names_the_row_where_the_data_ends()
    {
        // 6 rows of 2 doubles read 3 rows (48 bytes) at a time; the data stops 4 bytes into row 4, the second row of
        // the second chunk.
        byte[] bytes = NpyHeaderSpecTests.NpyWithDict("{'descr': '<f8', 'fortran_order': False, 'shape': (6, 2), }", new byte[4 * 16 + 4]);
        var stream = new NpyRowReaderTests.ForwardOnly(new MemoryStream(bytes));
        var header = NpyHeader.Read(stream, "t.npy");
        var e = Assert.Throws<ArtifactException>(() => NpyRowReader.ForEachChunk(stream, header, 6, 48, "t.npy", (_, _) => true));
        Assert.Equal("t.npy: truncated .npy data: 6 rows of 16 bytes expected, the data ends in row 4.", e.Message);
    }

    [Fact]
    public void A_header_dict_that_stops_mid_way_without_padding_is_a_one_line_error()
    {
        // A header length that ends the text right after a value (no padding, no newline): the parser must run off the
        // end into its own message, not an index error.
        foreach (string dict in new[] { "{'descr': '<f8'", "{'descr':", "{'descr'", "{", "{'descr': '<f8', 'fortran_order': False, 'shape': (1," })
        {
            byte[] text = System.Text.Encoding.Latin1.GetBytes(dict);
            byte[] file = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, (byte)text.Length, 0, .. text];
            var e = Assert.Throws<ArtifactException>(() => NpyFile.Read(new MemoryStream(file), "cut.npy"));
            Assert.StartsWith("cut.npy: malformed .npy header (", e.Message);
        }
    }
}
