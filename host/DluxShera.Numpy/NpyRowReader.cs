using System.Buffers.Binary;
using DluxShera.Contracts;

namespace DluxShera.Numpy;

/// <summary>
/// Reads a C-ordered .npy array row by row (rows along the first axis) as float64 without holding it: memory is one
/// chunk of rows plus what the caller keeps, so a trace of any size (over 2 GiB, over RAM) can be reduced or
/// decimated. A seekable stream (a .npy file) skips the rows between those wanted; a zip entry is read through.
/// </summary>
public static class NpyRowReader
{
    /// <summary>Default chunk: 16 MiB of rows per read.</summary>
    public const int DefaultChunkBytes = 16 << 20;

    /// <summary>The rows <paramref name="rows"/> (ascending, each below <paramref name="rowsAvailable"/>) as one
    /// row-major float64 array of <c>rows.Count × row elements</c>.</summary>
    /// <param name="stream">Positioned at the first data byte (just after the header).</param>
    /// <param name="header">The array's header.</param>
    /// <param name="rowsAvailable">Rows the stream holds (the header's, or fewer for a recovered partial trace).</param>
    /// <param name="rows">The rows wanted, ascending.</param>
    /// <param name="chunkBytes">Bytes read at a time (at least one row).</param>
    /// <param name="source">File (and entry) for error messages.</param>
    /// <exception cref="ArtifactException">Truncated data, a Fortran-ordered or 0-d array, or a row too large for one array.</exception>
    /// <exception cref="ArgumentException"><paramref name="rows"/> not ascending, repeated, negative or not below <paramref name="rowsAvailable"/>.</exception>
    public static double[] ReadRows(Stream stream, NpyHeader header, long rowsAvailable, IReadOnlyList<long> rows, int chunkBytes, string source)
    {
        long rowElements = RowElements(header, source);
        if ((long)rows.Count * rowElements > Array.MaxLength) throw new ArtifactException($"{source}: {rows.Count} rows of {rowElements} elements are too many for one array.");
        RequireAscendingRows(rows, rowsAvailable, source);
        var result = new double[rows.Count * rowElements];
        if (stream.CanSeek)
        {
            ReadRowsSeeking(stream, header, rowsAvailable, rows, chunkBytes, source, result);
            return result;
        }
        int kept = 0;
        Scan(stream, header, rowsAvailable, chunkBytes, source, (first, values) =>
        {
            long count = values.Length / rowElements;
            while (kept < rows.Count && rows[kept] < first + count)
            {
                values.Slice(checked((int)((rows[kept] - first) * rowElements)), (int)rowElements).CopyTo(result.AsSpan((int)(kept * rowElements)));
                kept++;
            }
            return kept < rows.Count;
        });
        return result;
    }

    // Checked up front for both paths: a repeated row or a step back inside one chunk would otherwise be copied
    // silently (each path only compares the first row of a chunk with what came before).
    private static void RequireAscendingRows(IReadOnlyList<long> rows, long rowsAvailable, string source)
    {
        for (int i = 0; i < rows.Count; i++)
        {
            if (rows[i] < 0 || rows[i] >= rowsAvailable || (i > 0 && rows[i] <= rows[i - 1]))
            {
                throw new ArgumentException($"rows must be ascending, unique and below the {rowsAvailable} rows of {source}; row {rows[i]} (position {i}) is not", nameof(rows));
            }
        }
    }

    // A file: each read covers the wanted rows that fit in one chunk from the first of them, and the rows between
    // groups are skipped by seeking (a strided sample of a huge trace reads little more than its own rows).
    private static void ReadRowsSeeking(Stream stream, NpyHeader header, long rowsAvailable, IReadOnlyList<long> rows, int chunkBytes, string source, double[] result)
    {
        long rowElements = RowElements(header, source);
        long rowBytes = rowElements * NpyHeader.ItemSize(header.Dtype);
        long rowsPerChunk = Math.Max(1, chunkBytes / Math.Max(rowBytes, 1));
        long dataStart = stream.Position;
        var values = Array.Empty<double>();
        var bytes = Array.Empty<byte>();
        for (int i = 0; i < rows.Count;)
        {
            long first = rows[i];
            int j = i;
            while (j + 1 < rows.Count && rows[j + 1] < first + rowsPerChunk) j++;
            long count = rows[j] - first + 1;
            if (bytes.Length < count * rowBytes)
            {
                bytes = new byte[count * rowBytes];
                values = new double[count * rowElements];
            }
            stream.Position = dataStart + first * rowBytes;
            var chunk = bytes.AsSpan(0, checked((int)(count * rowBytes)));
            try
            {
                stream.ReadExactly(chunk);
            }
            catch (EndOfStreamException e)
            {
                throw new ArtifactException($"{source}: truncated .npy data: {rowsAvailable} rows of {rowBytes} bytes expected, the data ends before row {first + count}.", e);
            }
            var converted = values.AsSpan(0, (int)(count * rowElements));
            Convert(chunk, header.Dtype, converted);
            for (int k = i; k <= j; k++)
            {
                converted.Slice((int)((rows[k] - first) * rowElements), (int)rowElements).CopyTo(result.AsSpan((int)(k * rowElements)));
            }
            i = j + 1;
        }
    }

    /// <summary>Calls <paramref name="onChunk"/> with consecutive chunks of rows (as float64) from the first to the last
    /// of <paramref name="rowsAvailable"/> rows; it returns false to stop early.</summary>
    /// <param name="stream">Positioned at the first data byte.</param>
    /// <param name="header">The array's header.</param>
    /// <param name="rowsAvailable">Rows to read.</param>
    /// <param name="chunkBytes">Bytes read at a time (at least one row).</param>
    /// <param name="source">File (and entry) for error messages.</param>
    /// <param name="onChunk">Receives the first row's index and the chunk's values; returns whether to go on.</param>
    public static void ForEachChunk(Stream stream, NpyHeader header, long rowsAvailable, int chunkBytes, string source, RowChunkHandler onChunk) =>
        Scan(stream, header, rowsAvailable, chunkBytes, source, onChunk);

    private static void Scan(Stream stream, NpyHeader header, long rowsAvailable, int chunkBytes, string source, RowChunkHandler onChunk)
    {
        long rowElements = RowElements(header, source);
        int itemSize = NpyHeader.ItemSize(header.Dtype);
        long rowBytes = rowElements * itemSize;
        if (rowBytes > Array.MaxLength) throw new ArtifactException($"{source}: one row of {rowElements} elements is too large to read at once.");
        long rowsPerChunk = Math.Max(1, chunkBytes / Math.Max(rowBytes, 1));
        var bytes = new byte[Math.Min(rowsPerChunk, Math.Max(rowsAvailable, 1)) * rowBytes];
        var values = new double[bytes.Length / itemSize];
        long row = 0;
        while (row < rowsAvailable)
        {
            int count = (int)Math.Min(rowsPerChunk, rowsAvailable - row);
            var chunk = bytes.AsSpan(0, checked((int)(count * rowBytes)));
            int filled = 0;
            while (filled < chunk.Length)
            {
                int n = stream.Read(chunk[filled..]);
                if (n == 0)
                {
                    throw new ArtifactException($"{source}: truncated .npy data: {rowsAvailable} rows of {rowBytes} bytes expected, the data ends in row {row + filled / rowBytes}.");
                }
                filled += n;
            }
            var converted = values.AsSpan(0, (int)(count * rowElements));
            Convert(chunk, header.Dtype, converted);
            if (!onChunk(row, converted)) return;
            row += count;
        }
    }

    private static long RowElements(NpyHeader header, string source)
    {
        if (header.Shape.Length == 0 || header.FortranOrder) throw new ArtifactException($"{source}: expected a C-ordered array with a first axis to read rows from.");
        long n = 1;
        for (int k = 1; k < header.Shape.Length; k++) n *= header.Shape[k];
        return n;
    }

    private static void Convert(ReadOnlySpan<byte> bytes, NpyDtype dtype, Span<double> values)
    {
        if (dtype == NpyDtype.Float64 && BitConverter.IsLittleEndian)
        {
            System.Runtime.InteropServices.MemoryMarshal.Cast<byte, double>(bytes).CopyTo(values);
            return;
        }
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = dtype switch
            {
                NpyDtype.Float64 => BinaryPrimitives.ReadDoubleLittleEndian(bytes[(8 * i)..]),
                NpyDtype.Float32 => BinaryPrimitives.ReadSingleLittleEndian(bytes[(4 * i)..]),
                NpyDtype.Int64 => BinaryPrimitives.ReadInt64LittleEndian(bytes[(8 * i)..]),
                NpyDtype.Int32 => BinaryPrimitives.ReadInt32LittleEndian(bytes[(4 * i)..]),
                _ => bytes[i],
            };
        }
    }
}

/// <summary>Receives one chunk of rows: the index of its first row and its values (row-major, as float64).</summary>
/// <param name="firstRow">The chunk's first row.</param>
/// <param name="values">The chunk's values.</param>
/// <returns>Whether to read on.</returns>
public delegate bool RowChunkHandler(long firstRow, ReadOnlySpan<double> values);
