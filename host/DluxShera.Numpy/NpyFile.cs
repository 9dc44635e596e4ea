using System.IO.Compression;
using System.Runtime.InteropServices;
using DluxShera.Contracts;

namespace DluxShera.Numpy;

/// <summary>Reads and writes single arrays in numpy's <c>.npy</c> format.</summary>
public static class NpyFile
{
    /// <summary>Writes <paramref name="array"/> as .npy to <paramref name="stream"/> (exactly what <c>np.save</c> writes).</summary>
    /// <param name="stream">The destination.</param>
    /// <param name="array">The array.</param>
    public static void Write(Stream stream, NdArray array)
    {
        stream.Write(NpyHeader.Encode(array.Dtype, array.Shape));
        WriteData(stream, array.Data, ChunkElements);
    }

    // Arrays over 2 GiB have more bytes than a span can address: data moves in chunks of elements.
    internal const int ChunkElements = 1 << 24;

    /// <summary>Writes the raw bytes of <paramref name="data"/> in chunks of <paramref name="chunkElements"/> elements.</summary>
    internal static void WriteData(Stream stream, Array data, int chunkElements)
    {
        for (int start = 0; start < data.Length; start += chunkElements)
        {
            stream.Write(BytesOf(data, start, Math.Min(chunkElements, data.Length - start)));
        }
    }

    /// <summary>Fills <paramref name="data"/> from <paramref name="stream"/> in chunks; throws when the stream ends first.</summary>
    internal static void ReadData(Stream stream, Array data, int chunkElements, NpyHeader header, string source)
    {
        long total = 0;
        long needed = (long)data.Length * NpyHeader.ItemSize(header.Dtype);
        for (int start = 0; start < data.Length; start += chunkElements)
        {
            var chunk = BytesOf(data, start, Math.Min(chunkElements, data.Length - start));
            int filled = 0;
            while (filled < chunk.Length)
            {
                int n;
                try
                {
                    n = stream.Read(chunk[filled..]);
                }
                catch (InvalidDataException e)
                {
                    throw new ArtifactException($"{source}: corrupt compressed data ({e.Message}).", e);
                }
                if (n == 0)
                {
                    throw new ArtifactException($"{source}: truncated .npy data: shape {NdArray.FormatShape(header.Shape)} of {NpyHeader.Descr(header.Dtype)} needs {needed} bytes, found {total}.");
                }
                filled += n;
                total += n;
            }
        }
    }

    /// <summary>Complete rows (along the first axis) that <paramref name="dataBytes"/> bytes of data hold; 64-bit throughout.</summary>
    /// <param name="dataBytes">Bytes after the header.</param>
    /// <param name="rowBytes">Bytes of one row.</param>
    public static long CompleteRows(long dataBytes, long rowBytes) =>
        rowBytes <= 0 ? 0 : Math.Max(dataBytes, 0) / rowBytes;

    /// <summary>
    /// Loads the rows of a growing .npy that its data actually holds, whatever its header says: a file whose
    /// header was not rewritten after the last rows (a killed or terminated writer) loses nothing, and a torn
    /// last row is dropped. <paramref name="maxRows"/> caps the rows read (to agree with other channels).
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="maxRows">At most this many rows, or -1 for all complete rows.</param>
    public static NdArray LoadRecoveredRows(string path, long maxRows = -1)
    {
        if (!File.Exists(path)) throw new ArtifactException($"{path}: file not found.");
        using var stream = File.OpenRead(path);
        var header = NpyHeader.Read(stream, path);
        if (header.Shape.Length == 0 || header.FortranOrder) throw new ArtifactException($"{path}: expected a C-ordered array with a first axis to recover rows from.");
        long rows = RowsOnDisk(header, stream.Length);
        if (maxRows >= 0) rows = Math.Min(rows, maxRows);
        int[] shape = [checked((int)rows), .. header.Shape[1..]];
        long count = rows * RowElements(header);
        if (count > Array.MaxLength) throw new ArtifactException($"{path}: {rows} rows of {NdArray.FormatShape(header.Shape[1..])} are too many elements for one array.");
        var data = NewArray(header.Dtype, count);
        stream.Position = header.DataOffset;
        ReadData(stream, data, ChunkElements, header with { Shape = shape }, path);
        return new NdArray(data, shape);
    }

    /// <summary>The complete rows a growing .npy holds by its size (header rows ignored).</summary>
    /// <param name="path">The file.</param>
    public static long RowsOnDisk(string path)
    {
        using var stream = File.OpenRead(path);
        var header = NpyHeader.Read(stream, path);
        return RowsOnDisk(header, stream.Length);
    }

    private static long RowsOnDisk(NpyHeader header, long fileLength) =>
        CompleteRows(fileLength - header.DataOffset, RowElements(header) * NpyHeader.ItemSize(header.Dtype));

    private static long RowElements(NpyHeader header)
    {
        long n = 1;
        for (int k = 1; k < header.Shape.Length; k++) n *= header.Shape[k];
        return n;
    }

    private static Array NewArray(NpyDtype dtype, long count) => dtype switch
    {
        NpyDtype.Float64 => new double[count],
        NpyDtype.Float32 => new float[count],
        NpyDtype.Int64 => new long[count],
        NpyDtype.Int32 => new int[count],
        NpyDtype.Bool => new bool[count],
        _ => new byte[count],
    };

    /// <summary>Writes a .npy file atomically.</summary>
    /// <param name="path">The file path.</param>
    /// <param name="array">The array.</param>
    public static void Save(string path, NdArray array) => AtomicFile.Write(path, s => Write(s, array));

    /// <summary>Reads a .npy file.</summary>
    /// <param name="path">The file path.</param>
    public static NdArray Load(string path)
    {
        if (!File.Exists(path)) throw new ArtifactException($"{path}: file not found.");
        using var stream = File.OpenRead(path);
        return Read(stream, path);
    }

    /// <summary>Reads one array from <paramref name="stream"/>.</summary>
    /// <param name="stream">Positioned at the magic string.</param>
    /// <param name="source">File (and entry) name for error messages.</param>
    public static NdArray Read(Stream stream, string source)
    {
        var header = NpyHeader.Read(stream, source);
        long count = header.Count;
        if (count > Array.MaxLength) throw new ArtifactException($"{source}: array of {count} elements is too large.");
        var data = NewArray(header.Dtype, count);
        ReadData(stream, data, ChunkElements, header, source);
        var result = new NdArray(data, header.Shape);
        return header.FortranOrder && header.Shape.Length > 1 ? ToCOrder(result) : result;
    }

    /// <summary>The raw little-endian bytes of an array's data (arrays under 2 GiB; larger ones are written in chunks).</summary>
    /// <param name="array">The array.</param>
    public static ReadOnlySpan<byte> DataBytes(NdArray array) => BytesOf(array.Data, 0, array.Data.Length);

    private static Span<byte> BytesOf(Array data, int start, int length) => data switch
    {
        double[] d => MemoryMarshal.AsBytes(d.AsSpan(start, length)),
        float[] f => MemoryMarshal.AsBytes(f.AsSpan(start, length)),
        long[] l => MemoryMarshal.AsBytes(l.AsSpan(start, length)),
        int[] i => MemoryMarshal.AsBytes(i.AsSpan(start, length)),
        bool[] b => MemoryMarshal.AsBytes(b.AsSpan(start, length)),
        byte[] u => u.AsSpan(start, length),
        _ => throw new ArgumentException("unsupported element type"),
    };

    // Fortran order is transposed to C order so that every NdArray we hand out is C-ordered.
    private static NdArray ToCOrder(NdArray f)
    {
        int[] shape = f.Shape;
        int rank = shape.Length;
        var src = f.Data;
        var dst = Array.CreateInstance(src.GetType().GetElementType()!, src.Length);
        var index = new int[rank];
        for (int c = 0; c < src.Length; c++)
        {
            // c walks C order; compute the Fortran offset of the same index.
            int fo = 0, stride = 1;
            for (int k = 0; k < rank; k++)
            {
                fo += index[k] * stride;
                stride *= shape[k];
            }
            Array.Copy(src, fo, dst, c, 1);
            for (int k = rank - 1; k >= 0; k--)
            {
                if (++index[k] < shape[k]) break;
                index[k] = 0;
            }
        }
        return new NdArray(dst, shape);
    }
}
