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
        stream.Write(DataBytes(array));
    }

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
        Array data = header.Dtype switch
        {
            NpyDtype.Float64 => new double[count],
            NpyDtype.Float32 => new float[count],
            NpyDtype.Int64 => new long[count],
            NpyDtype.Int32 => new int[count],
            NpyDtype.Bool => new bool[count],
            _ => new byte[count],
        };
        var bytes = BytesOf(data);
        int total = 0;
        while (total < bytes.Length)
        {
            int n;
            try
            {
                n = stream.Read(bytes[total..]);
            }
            catch (InvalidDataException e)
            {
                throw new ArtifactException($"{source}: corrupt compressed data ({e.Message}).", e);
            }
            if (n == 0)
            {
                throw new ArtifactException($"{source}: truncated .npy data: shape {NdArray.FormatShape(header.Shape)} of {NpyHeader.Descr(header.Dtype)} needs {bytes.Length} bytes, found {total}.");
            }
            total += n;
        }
        var result = new NdArray(data, header.Shape);
        return header.FortranOrder && header.Shape.Length > 1 ? ToCOrder(result) : result;
    }

    /// <summary>The raw little-endian bytes of an array's data.</summary>
    /// <param name="array">The array.</param>
    public static ReadOnlySpan<byte> DataBytes(NdArray array) => BytesOf(array.Data);

    private static Span<byte> BytesOf(Array data) => data switch
    {
        double[] d => MemoryMarshal.AsBytes(d.AsSpan()),
        float[] f => MemoryMarshal.AsBytes(f.AsSpan()),
        long[] l => MemoryMarshal.AsBytes(l.AsSpan()),
        int[] i => MemoryMarshal.AsBytes(i.AsSpan()),
        bool[] b => MemoryMarshal.AsBytes(b.AsSpan()),
        byte[] u => u.AsSpan(),
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
