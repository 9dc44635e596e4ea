using DluxShera.Contracts;
using DluxShera.Numpy;
using Xunit;

namespace DluxShera.Tests;

public class NpyRoundTripTests
{
    public static TheoryData<NpyDtype, int[]> Cases()
    {
        var data = new TheoryData<NpyDtype, int[]>();
        foreach (var dtype in Enum.GetValues<NpyDtype>())
        {
            foreach (var shape in new[] { Array.Empty<int>(), [0], [7], [3, 4], [2, 3, 5], [2, 0, 3] })
            {
                data.Add(dtype, shape);
            }
        }
        return data;
    }

    internal static NdArray Sample(NpyDtype dtype, int[] shape)
    {
        int n = shape.Aggregate(1, (a, b) => a * b);
        var rng = new Random(42 + n);
        Array data = dtype switch
        {
            NpyDtype.Float64 => Enumerable.Range(0, n).Select(i => rng.NextDouble() * 1e3 - 500 + i * 1e-12).ToArray(),
            NpyDtype.Float32 => Enumerable.Range(0, n).Select(i => (float)(rng.NextDouble() - 0.5)).ToArray(),
            NpyDtype.Int64 => Enumerable.Range(0, n).Select(i => (long)rng.NextInt64(long.MinValue, long.MaxValue)).ToArray(),
            NpyDtype.Int32 => Enumerable.Range(0, n).Select(i => rng.Next(int.MinValue, int.MaxValue)).ToArray(),
            NpyDtype.Bool => Enumerable.Range(0, n).Select(i => rng.Next(2) == 1).ToArray(),
            _ => Enumerable.Range(0, n).Select(i => (byte)rng.Next(256)).ToArray(),
        };
        return new NdArray(data, shape);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Npy_round_trip_preserves_dtype_shape_and_values(NpyDtype dtype, int[] shape)
    {
        var original = Sample(dtype, shape);
        using var stream = new MemoryStream();
        NpyFile.Write(stream, original);
        Assert.Equal(0, NpyHeader.Encode(dtype, shape).Length % 64);
        stream.Position = 0;
        var read = NpyFile.Read(stream, "memory");
        Assert.Equal(dtype, read.Dtype);
        Assert.Equal(shape, read.Shape);
        Assert.Equal(original.Data.Cast<object>(), read.Data.Cast<object>());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Npz_round_trip_stored_and_deflated(bool compressed)
    {
        var arrays = new Dictionary<string, NdArray>
        {
            ["a"] = Sample(NpyDtype.Float64, [4, 3]),
            ["flags"] = Sample(NpyDtype.Bool, [9]),
            ["n"] = NdArray.Scalar(7L),
        };
        using var stream = new MemoryStream();
        NpzFile.Write(stream, arrays, compressed);
        stream.Position = 0;
        var read = NpzFile.Read(stream, "memory.npz");
        Assert.Equal(arrays.Keys.Order(), read.Keys.Order());
        foreach (var (k, v) in arrays) Assert.Equal(v.Data.Cast<object>(), read[k].Data.Cast<object>());
    }

    [Fact]
    public void Appendable_file_is_a_valid_npy_after_every_flush()
    {
        using var tmp = RepoPaths.Temp();
        string path = tmp.Combine("theta.npy");
        using var file = new AppendableNpyFile(path, NpyDtype.Float64, 3);
        for (int t = 0; t < 5; t++) file.Append([t, t + 0.5, -t]);
        file.Flush();
        var read = NpyFile.Load(path);
        Assert.Equal([5, 3], read.Shape);
        Assert.Equal(new[] { 4.0, 4.5, -4.0 }, ((double[])read.Data)[12..]);
        file.Append([9, 9, 9]);
        file.Flush();
        Assert.Equal([6, 3], NpyFile.Load(path).Shape);
    }
}
