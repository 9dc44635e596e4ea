using System.Text;
using DluxShera.Contracts;
using DluxShera.Numpy;
using Xunit;

namespace DluxShera.Tests;

public class NpyCorruptionTests
{
    private static byte[] NpyBytes(NdArray a)
    {
        using var s = new MemoryStream();
        NpyFile.Write(s, a);
        return s.ToArray();
    }

    [Fact]
    public void Truncated_zip_is_reported_with_the_file_name()
    {
        using var tmp = RepoPaths.Temp();
        string path = tmp.Combine("trace.npz");
        NpzFile.Save(path, new Dictionary<string, NdArray> { ["loss"] = NdArray.Vector(new double[1000]) });
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<ArtifactException>(() => NpzFile.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("not a valid .npz", e.Message);
    }

    [Fact]
    public void Missing_magic_is_reported()
    {
        var e = Assert.Throws<ArtifactException>(() => NpyFile.Read(new MemoryStream(Encoding.ASCII.GetBytes("hello world, not numpy")), "x.npy"));
        Assert.Contains("x.npy: not a .npy array", e.Message);
    }

    [Fact]
    public void Malformed_header_dict_is_reported()
    {
        var bytes = NpyBytes(NdArray.Vector([1.0, 2.0]));
        int at = Encoding.ASCII.GetString(bytes).IndexOf("'shape'", StringComparison.Ordinal);
        Encoding.ASCII.GetBytes("'shapx'").CopyTo(bytes, at);
        var e = Assert.Throws<ArtifactException>(() => NpyFile.Read(new MemoryStream(bytes), "bad.npy"));
        Assert.Contains("bad.npy: malformed .npy header", e.Message);
        Assert.Contains("unexpected key 'shapx'", e.Message);
    }

    [Theory]
    [InlineData(">f8")]
    [InlineData("<c16")]
    [InlineData("<U4")]
    public void Unsupported_dtype_is_reported_with_the_supported_list(string descr)
    {
        var bytes = NpyBytes(NdArray.Vector([1.0, 2.0]));
        string text = Encoding.Latin1.GetString(bytes).Replace("'<f8'", $"'{descr}'".PadRight(5));
        var e = Assert.Throws<ArtifactException>(() => NpyFile.Read(new MemoryStream(Encoding.Latin1.GetBytes(text)), "d.npy"));
        Assert.Contains($"unsupported dtype '{descr}'", e.Message);
        Assert.Contains("<f8, <f4, <i8, <i4, |b1, |u1", e.Message);
    }

    [Fact]
    public void Truncated_data_is_reported_with_sizes()
    {
        var bytes = NpyBytes(NdArray.Vector(new double[10]));
        var e = Assert.Throws<ArtifactException>(() => NpyFile.Read(new MemoryStream(bytes[..^8]), "t.npy"));
        Assert.Contains("truncated .npy data", e.Message);
        Assert.Contains("needs 80 bytes, found 72", e.Message);
    }

    [Fact]
    public void Unsupported_format_version_is_reported()
    {
        var bytes = NpyBytes(NdArray.Vector([1.0]));
        bytes[6] = 9;
        var e = Assert.Throws<ArtifactException>(() => NpyFile.Read(new MemoryStream(bytes), "v.npy"));
        Assert.Contains("format version 9.0 is not supported", e.Message);
    }
}
