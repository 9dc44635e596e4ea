namespace DluxShera.Contracts;

/// <summary>Element types of <c>.npy</c> arrays the workbench reads and writes.</summary>
public enum NpyDtype
{
    /// <summary><c>&lt;f8</c>, .NET <see cref="double"/>.</summary>
    Float64,

    /// <summary><c>&lt;f4</c>, .NET <see cref="float"/>.</summary>
    Float32,

    /// <summary><c>&lt;i8</c>, .NET <see cref="long"/>.</summary>
    Int64,

    /// <summary><c>&lt;i4</c>, .NET <see cref="int"/>.</summary>
    Int32,

    /// <summary><c>|b1</c>, .NET <see cref="bool"/>.</summary>
    Bool,

    /// <summary><c>|u1</c>, .NET <see cref="byte"/>.</summary>
    UInt8,
}

/// <summary>A dense n-dimensional array in C order: a flat .NET array plus a shape.</summary>
public sealed class NdArray
{
    /// <summary>Wraps <paramref name="data"/> (not copied) with <paramref name="shape"/>.</summary>
    /// <param name="data">A <c>double[]</c>, <c>float[]</c>, <c>long[]</c>, <c>int[]</c>, <c>bool[]</c> or <c>byte[]</c>.</param>
    /// <param name="shape">The shape; its product must equal the data length. Empty for a 0-d scalar.</param>
    /// <exception cref="ArgumentException">Unsupported element type or shape mismatch.</exception>
    public NdArray(Array data, params int[] shape)
    {
        Dtype = data switch
        {
            double[] => NpyDtype.Float64,
            float[] => NpyDtype.Float32,
            long[] => NpyDtype.Int64,
            int[] => NpyDtype.Int32,
            bool[] => NpyDtype.Bool,
            byte[] => NpyDtype.UInt8,
            _ => throw new ArgumentException($"Unsupported array element type {data.GetType().GetElementType()}; expected double, float, long, int, bool or byte."),
        };
        long count = 1;
        foreach (int s in shape)
        {
            if (s < 0) throw new ArgumentException($"Negative dimension in shape ({string.Join(", ", shape)}).");
            count *= s;
        }
        if (count != data.Length)
        {
            throw new ArgumentException($"Shape ({string.Join(", ", shape)}) holds {count} elements but the data has {data.Length}.");
        }
        Data = data;
        Shape = shape;
    }

    /// <summary>The element type.</summary>
    public NpyDtype Dtype { get; }

    /// <summary>The shape (C order).</summary>
    public int[] Shape { get; }

    /// <summary>The flat data.</summary>
    public Array Data { get; }

    /// <summary>Number of elements.</summary>
    public int Count => Data.Length;

    /// <summary>A 0-d scalar array of one double.</summary>
    /// <param name="value">The value.</param>
    public static NdArray Scalar(double value) => new(new[] { value });

    /// <summary>A 0-d scalar array of one long.</summary>
    /// <param name="value">The value.</param>
    public static NdArray Scalar(long value) => new(new[] { value });

    /// <summary>A 1-d array over <paramref name="values"/>.</summary>
    /// <param name="values">The values (not copied).</param>
    public static NdArray Vector(double[] values) => new(values, values.Length);

    /// <summary>The data as doubles (converted when the dtype is not float64).</summary>
    public double[] ToDoubles() => Data switch
    {
        double[] d => d,
        float[] f => Array.ConvertAll(f, x => (double)x),
        long[] l => Array.ConvertAll(l, x => (double)x),
        int[] i => Array.ConvertAll(i, x => (double)x),
        bool[] b => Array.ConvertAll(b, x => x ? 1.0 : 0.0),
        byte[] u => Array.ConvertAll(u, x => (double)x),
        _ => throw new InvalidOperationException("unreachable"),
    };

    /// <summary>The shape as numpy prints it, e.g. <c>(3, 2)</c> or <c>(4,)</c>.</summary>
    public string ShapeText => FormatShape(Shape);

    /// <summary>A shape as numpy prints it: <c>()</c>, <c>(4,)</c>, <c>(3, 2)</c>.</summary>
    /// <param name="shape">The dimensions.</param>
    public static string FormatShape(IReadOnlyList<int> shape) =>
        shape.Count == 1 ? $"({shape[0]},)" : $"({string.Join(", ", shape)})";
}
