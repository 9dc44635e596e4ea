using DluxShera.Contracts;
using DluxShera.Numpy;
using Xunit;

namespace DluxShera.Tests;

/// <summary>
/// Streaming rows out of a .npy (how plot, inspect and derived values read traces of any size). The files are built
/// from the spec (<see cref="NpyHeaderSpecTests.NpyWithDict"/>) with values that are a closed form of their index, so
/// the expected rows are known without reading them back through our own code.
/// </summary>
public class NpyRowReaderTests
{
    // A (rows, 3) array with a[r, c] = 3r + c, as little-endian bytes of the given dtype.
    private static byte[] File(NpyDtype dtype, int rows, int cols = 3)
    {
        string descr = dtype switch
        {
            NpyDtype.Float64 => "<f8", NpyDtype.Float32 => "<f4", NpyDtype.Int64 => "<i8", NpyDtype.Int32 => "<i4",
            NpyDtype.Bool => "|b1", _ => "|u1",
        };
        var data = new List<byte>();
        for (int i = 0; i < rows * cols; i++)
        {
            data.AddRange(dtype switch
            {
                NpyDtype.Float64 => BitConverter.GetBytes((double)i),
                NpyDtype.Float32 => BitConverter.GetBytes((float)i),
                NpyDtype.Int64 => BitConverter.GetBytes((long)i),
                NpyDtype.Int32 => BitConverter.GetBytes(i),
                NpyDtype.Bool => [(byte)(i % 2)],
                _ => [(byte)i],
            });
        }
        return NpyHeaderSpecTests.NpyWithDict($"{{'descr': '{descr}', 'fortran_order': False, 'shape': ({rows}, {cols}), }}", [.. data]);
    }

    private static double Expected(NpyDtype dtype, long i) => dtype == NpyDtype.Bool ? i % 2 : i;

    private static (Stream Stream, NpyHeader Header) Open(byte[] bytes, bool seekable)
    {
        var memory = new MemoryStream(bytes);
        Stream stream = seekable ? memory : new ForwardOnly(memory);
        var header = NpyHeader.Read(stream, "rows.npy");
        if (seekable) stream.Position = header.DataOffset;
        return (stream, header);
    }

    public static TheoryData<NpyDtype, bool> DtypesAndStreams()
    {
        var data = new TheoryData<NpyDtype, bool>();
        foreach (var dtype in Enum.GetValues<NpyDtype>())
        {
            data.Add(dtype, true);
            data.Add(dtype, false);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(DtypesAndStreams))]
    public void Rows_of_every_dtype_come_back_as_float64_from_files_and_forward_only_streams(NpyDtype dtype, bool seekable)
    {
        // 23 rows × 3, read back 20 bytes at a time: chunks cross rows, and a file skips the rows between groups.
        var (stream, header) = Open(File(dtype, 23), seekable);
        long[] rows = [0, 1, 5, 6, 21, 22];
        var read = NpyRowReader.ReadRows(stream, header, 23, rows, chunkBytes: 20, "rows.npy");
        Assert.Equal(rows.SelectMany(r => new[] { Expected(dtype, 3 * r), Expected(dtype, 3 * r + 1), Expected(dtype, 3 * r + 2) }), read);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Every_row_read_in_one_large_chunk_or_row_by_row_is_the_whole_array(bool seekable)
    {
        foreach (int chunkBytes in new[] { 1, 24, 1 << 20 })
        {
            var (stream, header) = Open(File(NpyDtype.Float64, 10), seekable);
            var all = NpyRowReader.ReadRows(stream, header, 10, [.. Enumerable.Range(0, 10).Select(i => (long)i)], chunkBytes, "rows.npy");
            Assert.Equal(Enumerable.Range(0, 30).Select(i => (double)i), all);
        }
    }

    [Fact]
    public void A_row_of_a_file_is_read_only_if_the_file_holds_it_even_when_the_header_claims_more()
    {
        // rowsAvailable (what a recovered partial trace holds) caps the rows, whatever the header says (10 here).
        var (stream, header) = Open(File(NpyDtype.Float64, 10), seekable: true);
        var e = Assert.Throws<ArgumentException>(() => NpyRowReader.ReadRows(stream, header, 4, [1, 5], 1 << 20, "rows.npy"));
        Assert.Equal("rows must be ascending, unique and below the 4 rows of rows.npy; row 5 (position 1) is not (Parameter 'rows')", e.Message);
        var (forward, h2) = Open(File(NpyDtype.Float64, 10), seekable: false);
        var f = Assert.Throws<ArgumentException>(() => NpyRowReader.ReadRows(forward, h2, 4, [1, 5], 1 << 20, "rows.npy"));
        Assert.Equal(e.Message, f.Message);
    }

    [Theory]
    [InlineData(true, new long[] { 3, 2 })]
    [InlineData(true, new long[] { 2, 2 })]
    [InlineData(true, new long[] { -1 })]
    [InlineData(true, new long[] { 0, 10 })]
    [InlineData(false, new long[] { 3, 2 })]
    [InlineData(false, new long[] { 2, 2 })]
    [InlineData(false, new long[] { -1 })]
    [InlineData(false, new long[] { 0, 10 })]
    public void Rows_out_of_order_repeated_or_negative_are_refused(bool seekable, long[] rows)
    {
        var (stream, header) = Open(File(NpyDtype.Float64, 10), seekable);
        // Row 2 and 3 share one 48-byte chunk; a repeat or a step back is caught within a chunk as well as across chunks.
        var e = Assert.Throws<ArgumentException>(() => NpyRowReader.ReadRows(stream, header, 10, rows, 48, "rows.npy"));
        Assert.StartsWith("rows must be ascending, unique and below the 10 rows of rows.npy", e.Message);
    }

    [Fact]
    public void A_strided_sample_of_a_file_reads_little_more_than_its_own_rows()
    {
        // 10,000 rows of one double; rows 0, 1000, …, 9000 with 64-byte chunks: each group is one row, so about
        // 10 × 64 bytes are read, not 80,000 (the seek skips the rows between).
        var bytes = NpyHeaderSpecTests.NpyWithDict("{'descr': '<f8', 'fortran_order': False, 'shape': (10000,), }",
            [.. Enumerable.Range(0, 10_000).SelectMany(i => BitConverter.GetBytes(i * 0.5))]);
        var counting = new CountingStream(bytes);
        var header = NpyHeader.Read(counting, "big.npy");
        counting.Position = header.DataOffset;
        long before = counting.BytesRead;
        long[] rows = [.. Enumerable.Range(0, 10).Select(i => i * 1000L)];
        var read = NpyRowReader.ReadRows(counting, header, 10_000, rows, chunkBytes: 64, "big.npy");
        Assert.Equal(rows.Select(r => r * 0.5), read);
        Assert.InRange(counting.BytesRead - before, 80, 10 * 64);

        // Rows close together share a read: 3 rows inside one 64-byte chunk cost one read of 3 rows.
        counting.Position = header.DataOffset;
        before = counting.BytesRead;
        Assert.Equal(new[] { 50.0, 51, 53 }, NpyRowReader.ReadRows(counting, header, 10_000, [100, 102, 106], 64, "big.npy"));
        Assert.Equal(7 * 8, counting.BytesRead - before);
    }

    [Theory]
    [InlineData(1, 1)]      // less than a row: still one row per chunk
    [InlineData(24, 1)]
    [InlineData(50, 2)]
    [InlineData(72, 3)]
    [InlineData(1 << 20, 10)]
    public void ForEachChunk_hands_out_consecutive_chunks_of_whole_rows(int chunkBytes, int rowsPerChunk)
    {
        var (stream, header) = Open(File(NpyDtype.Float64, 10), seekable: false);
        var firsts = new List<long>();
        var values = new List<double>();
        NpyRowReader.ForEachChunk(stream, header, 10, chunkBytes, "rows.npy", (first, chunk) =>
        {
            firsts.Add(first);
            Assert.Equal(0, chunk.Length % 3);
            values.AddRange(chunk.ToArray());
            return true;
        });
        Assert.Equal(Enumerable.Range(0, (10 + rowsPerChunk - 1) / rowsPerChunk).Select(k => (long)k * rowsPerChunk), firsts);
        Assert.Equal(Enumerable.Range(0, 30).Select(i => (double)i), values);
    }

    [Fact]
    public void ForEachChunk_stops_when_the_handler_says_so_and_reads_nothing_for_zero_rows()
    {
        var (stream, header) = Open(File(NpyDtype.Int32, 10), seekable: false);
        int calls = 0;
        NpyRowReader.ForEachChunk(stream, header, 10, 24, "rows.npy", (first, chunk) =>
        {
            calls++;
            return first < 4;   // rows 0–1, 2–3, 4–5, then stop
        });
        Assert.Equal(3, calls);

        var (empty, eh) = Open(File(NpyDtype.Float64, 0), seekable: false);
        NpyRowReader.ForEachChunk(empty, eh, 0, 24, "empty.npy", (_, _) => throw new InvalidOperationException("no rows to hand out"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_truncated_channel_is_an_error_naming_the_file_and_where_the_data_ends(bool seekable)
    {
        byte[] bytes = File(NpyDtype.Float64, 5, 2);
        var (stream, header) = Open(bytes[..^20], seekable);  // the last row and a half are gone
        var e = Assert.Throws<ArtifactException>(() => NpyRowReader.ReadRows(stream, header, 5, [0, 4], 16, "t.npy"));
        Assert.Equal(seekable
            ? "t.npy: truncated .npy data: 5 rows of 16 bytes expected, the data ends before row 5."
            : "t.npy: truncated .npy data: 5 rows of 16 bytes expected, the data ends in row 3.", e.Message);
    }

    [Fact]
    public void Arrays_without_rows_to_stream_are_refused()
    {
        var scalar = NpyHeaderSpecTests.NpyWithDict("{'descr': '<f8', 'fortran_order': False, 'shape': (), }", BitConverter.GetBytes(1.0));
        var (s, h) = Open(scalar, seekable: false);
        Assert.Equal("s.npy: expected a C-ordered array with a first axis to read rows from.",
            Assert.Throws<ArtifactException>(() => NpyRowReader.ForEachChunk(s, h, 1, 64, "s.npy", (_, _) => true)).Message);
        var fortran = NpyHeaderSpecTests.NpyWithDict("{'descr': '<f8', 'fortran_order': True, 'shape': (2, 2), }", new byte[32]);
        var (f, fh) = Open(fortran, seekable: true);
        Assert.Equal("f.npy: expected a C-ordered array with a first axis to read rows from.",
            Assert.Throws<ArtifactException>(() => NpyRowReader.ReadRows(f, fh, 2, [0], 64, "f.npy")).Message);
    }

    [Fact]
    public void Requests_larger_than_one_array_are_refused_before_anything_is_allocated()
    {
        // Headers only: (5000, 2^20) doubles is 40 GB that nobody writes; 3000 such rows exceed Array.MaxLength.
        var wide = NpyHeader.Read(new MemoryStream(NpyHeaderSpecTests.NpyWithDict("{'descr': '<f8', 'fortran_order': False, 'shape': (5000, 1048576), }", [])), "w.npy");
        long[] rows = [.. Enumerable.Range(0, 3000).Select(i => (long)i)];
        Assert.Equal("w.npy: 3000 rows of 1048576 elements are too many for one array.",
            Assert.Throws<ArtifactException>(() => NpyRowReader.ReadRows(Stream.Null, wide, 5000, rows, 64, "w.npy")).Message);

        var huge = NpyHeader.Read(new MemoryStream(NpyHeaderSpecTests.NpyWithDict("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 300000000), }", [])), "h.npy");
        Assert.Equal("h.npy: one row of 300000000 elements is too large to read at once.",
            Assert.Throws<ArtifactException>(() => NpyRowReader.ForEachChunk(Stream.Null, huge, 2, 64, "h.npy", (_, _) => true)).Message);
    }

    /// <summary>A forward-only stream that also returns short reads (at most 7 bytes), like a zip entry.</summary>
    internal sealed class ForwardOnly(Stream inner) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, Math.Min(count, 7));
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>A seekable stream over bytes that counts the bytes it hands out (every read, whichever overload, ends in Read(byte[])).</summary>
    private sealed class CountingStream(byte[] bytes) : Stream
    {
        private readonly MemoryStream _inner = new(bytes);

        public long BytesRead { get; private set; }

        public override bool CanRead => true;
        public override bool CanSeek => true;
        public override bool CanWrite => false;
        public override long Length => _inner.Length;
        public override long Position { get => _inner.Position; set => _inner.Position = value; }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count)
        {
            int n = _inner.Read(buffer, offset, count);
            BytesRead += n;
            return n;
        }

        public override long Seek(long offset, SeekOrigin origin) => _inner.Seek(offset, origin);
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
