using System.IO.Compression;
using System.Text.Json.Nodes;
using DluxShera.Contracts;
using DluxShera.Numpy;
using Xunit;

namespace DluxShera.Tests;

/// <summary>
/// Our .npy/.npz reader and writer against bytes numpy itself wrote (golden/, made by golden/make_golden.py
/// with Debian's python3-numpy). These run without numpy: a changed header byte, padding, dtype string or
/// layout_hash separator fails here even on a machine that has no Python.
/// </summary>
public class GoldenNumpyFileTests
{
    private static string Golden(string name) => Path.Combine(RepoPaths.Root, "tests", "DluxShera.Numpy.Tests", "golden", name);

    /// <summary>The arrays make_golden.py saves, stated here from their closed forms.</summary>
    public static TheoryData<string> Names() => new(Expected.Keys);

    // numpy's np.nan is the positive quiet NaN 0x7FF8…; .NET's double.NaN has the sign bit set.
    private static readonly double NumpyNaN = BitConverter.Int64BitsToDouble(0x7FF8000000000000);

    private static readonly Dictionary<string, NdArray> Expected = new()
    {
        ["f8_2x3"] = new NdArray(Enumerable.Range(0, 6).Select(i => i / 7.0).ToArray(), 2, 3),
        ["f4_5"] = new NdArray(new[] { 0.5f, -1.25f, 3.0f, 1e-3f, -0.0f }, 5),
        ["i8_2x2"] = new NdArray(new[] { -(1L << 62), -1L, 0L, (1L << 62) + 7 }, 2, 2),
        ["i4_0"] = new NdArray(Array.Empty<int>(), 0),
        ["i4_2x0x3"] = new NdArray(Array.Empty<int>(), 2, 0, 3),
        ["b1_3"] = new NdArray(new[] { true, false, true }, 3),
        ["u1_4"] = new NdArray(new byte[] { 0, 1, 127, 255 }, 4),
        ["f8_scalar"] = NdArray.Scalar(2.5),
        ["f8_nonfinite"] = new NdArray(new[] { NumpyNaN, double.PositiveInfinity, double.NegativeInfinity, double.Epsilon }, 4),
    };

    [Theory]
    [MemberData(nameof(Names))]
    public void Our_npy_bytes_equal_numpys(string name)
    {
        using var stream = new MemoryStream();
        NpyFile.Write(stream, Expected[name]);
        Assert.Equal(File.ReadAllBytes(Golden(name + ".npy")), stream.ToArray());
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void We_read_numpys_npy(string name)
    {
        var read = NpyFile.Load(Golden(name + ".npy"));
        AssertSame(Expected[name], read);
    }

    [Fact]
    public void We_read_fortran_order_and_format_version_2()
    {
        var fortran = NpyFile.Load(Golden("i4_fortran_2x3.npy"));
        Assert.Equal([2, 3], fortran.Shape);
        Assert.Equal(new[] { 0, 1, 2, 3, 4, 5 }, (int[])fortran.Data); // converted to C order
        AssertSame(Expected["f8_2x3"], NpyFile.Load(Golden("f8_v2_2x3.npy")));
    }

    [Theory]
    [InlineData("savez.npz")]
    [InlineData("savez_compressed.npz")]
    public void We_read_numpys_npz(string file)
    {
        var z = NpzFile.Load(Golden(file));
        Assert.Equal(["a", "flags", "n"], z.Keys.Order());
        AssertSame(Expected["f8_2x3"], z["a"]);
        AssertSame(Expected["b1_3"], z["flags"]);
        AssertSame(NdArray.Scalar(7L), z["n"]);
    }

    [Theory]
    [InlineData(false, "savez.npz")]
    [InlineData(true, "savez_compressed.npz")]
    public void Our_npz_members_are_named_and_encoded_as_numpys(bool compressed, string golden)
    {
        var arrays = new Dictionary<string, NdArray> { ["a"] = Expected["f8_2x3"], ["flags"] = Expected["b1_3"], ["n"] = NdArray.Scalar(7L) };
        using var ours = new MemoryStream();
        NpzFile.Write(ours, arrays, compressed);
        ours.Position = 0;
        using var ourZip = new ZipArchive(ours, ZipArchiveMode.Read);
        using var theirZip = ZipFile.OpenRead(Golden(golden));
        Assert.Equal(theirZip.Entries.Select(e => e.FullName).Order(), ourZip.Entries.Select(e => e.FullName).Order());
        foreach (var entry in theirZip.Entries)
        {
            Assert.Equal(Bytes(entry), Bytes(ourZip.GetEntry(entry.FullName)!));
            bool ourDeflated = ourZip.GetEntry(entry.FullName)!.CompressedLength != entry.Length;
            Assert.Equal(compressed, ourDeflated);
        }
    }

    [Fact]
    public void Layout_hash_equals_pythons_sha256_of_the_compact_json()
    {
        var golden = JsonNode.Parse(File.ReadAllText(Golden("layout_hash.json")))!;
        var entries = new List<IndexMapEntry>();
        int start = 0;
        foreach (var pair in golden["pairs"]!.AsArray())
        {
            int[] shape = pair![1]!.AsArray().Select(x => x!.GetValue<int>()).ToArray();
            int length = shape.Aggregate(1, (a, b) => a * b);
            entries.Add(new IndexMapEntry(pair[0]!.GetValue<string>(), start, start + length, shape));
            start += length;
        }
        var map = new IndexMap(entries);
        Assert.Equal(golden["layout_json"]!.GetValue<string>(), IndexMap.LayoutJson(map.Entries));
        Assert.Equal(golden["layout_hash"]!.GetValue<string>(), map.LayoutHash);
    }

    private static byte[] Bytes(ZipArchiveEntry entry)
    {
        using var s = entry.Open();
        using var m = new MemoryStream();
        s.CopyTo(m);
        return m.ToArray();
    }

    private static void AssertSame(NdArray expected, NdArray actual)
    {
        Assert.Equal(expected.Dtype, actual.Dtype);
        Assert.Equal(expected.Shape, actual.Shape);
        Assert.Equal(expected.Data.Cast<object>(), actual.Data.Cast<object>());
    }
}

public class AtomicFileTests
{
    [Fact]
    public void A_failed_write_leaves_the_old_content_and_no_temporary_file()
    {
        using var tmp = RepoPaths.Temp();
        string path = tmp.Combine("summary.json");
        File.WriteAllText(path, "old");
        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, s =>
        {
            s.Write("new but half"u8);
            throw new InvalidOperationException("disk on fire");
        }));
        Assert.Equal("old", File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFiles(tmp.Path));
    }

    [Fact]
    public void A_write_replaces_the_file_creates_missing_folders_and_leaves_nothing_else()
    {
        using var tmp = RepoPaths.Temp();
        string path = tmp.Combine("a", "b", "meta.json");
        AtomicFile.WriteText(path, "first");
        AtomicFile.WriteText(path, "µ second");
        Assert.Equal("µ second", File.ReadAllText(path));
        Assert.Equal("µ second"u8.ToArray(), File.ReadAllBytes(path)); // UTF-8 without a BOM
        Assert.Equal([path], Directory.GetFiles(tmp.Combine("a", "b")));
    }

    [Fact]
    public void A_reader_never_sees_a_partial_file_under_the_final_name()
    {
        using var tmp = RepoPaths.Temp();
        string path = tmp.Combine("trace.npz");
        AtomicFile.Write(path, s => s.Write(new byte[1000]));
        AtomicFile.Write(path, s =>
        {
            s.Write(new byte[10]);
            Assert.Equal(1000, new FileInfo(path).Length); // mid-write, the final name still holds the old file
            s.Write(new byte[2000]);
        });
        Assert.Equal(2010, new FileInfo(path).Length);
    }
}
