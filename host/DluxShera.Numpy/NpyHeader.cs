using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using DluxShera.Contracts;

namespace DluxShera.Numpy;

/// <summary>The parsed header of a <c>.npy</c> file.</summary>
/// <param name="Dtype">Element type.</param>
/// <param name="Shape">Shape as stored.</param>
/// <param name="FortranOrder">Whether the data is in Fortran (column-major) order.</param>
/// <param name="DataOffset">Byte offset of the data from the start of the file.</param>
public sealed record NpyHeader(NpyDtype Dtype, int[] Shape, bool FortranOrder, int DataOffset)
{
    /// <summary>The magic string every .npy starts with.</summary>
    public static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    // numpy aligns the data to 64 bytes and leaves room to grow the first axis in place.
    private const int ArrayAlign = 64;
    private const int GrowthAxisMaxDigits = 21;

    /// <summary>Number of elements.</summary>
    public long Count
    {
        get
        {
            long n = 1;
            foreach (int s in Shape) n *= s;
            return n;
        }
    }

    /// <summary>numpy's dtype string, e.g. <c>&lt;f8</c>.</summary>
    /// <param name="dtype">The dtype.</param>
    public static string Descr(NpyDtype dtype) => dtype switch
    {
        NpyDtype.Float64 => "<f8",
        NpyDtype.Float32 => "<f4",
        NpyDtype.Int64 => "<i8",
        NpyDtype.Int32 => "<i4",
        NpyDtype.Bool => "|b1",
        NpyDtype.UInt8 => "|u1",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype)),
    };

    /// <summary>Bytes per element.</summary>
    /// <param name="dtype">The dtype.</param>
    public static int ItemSize(NpyDtype dtype) => dtype switch
    {
        NpyDtype.Float64 or NpyDtype.Int64 => 8,
        NpyDtype.Float32 or NpyDtype.Int32 => 4,
        _ => 1,
    };

    /// <summary>
    /// The complete header bytes (magic, version, length, dict, padding) exactly as <c>np.save</c>
    /// writes them: format 1.0 unless the dict needs more than 65535 bytes.
    /// </summary>
    /// <param name="dtype">Element type.</param>
    /// <param name="shape">Shape (C order).</param>
    public static byte[] Encode(NpyDtype dtype, ReadOnlySpan<int> shape)
    {
        string shapeRepr = shape.Length switch
        {
            0 => "()",
            1 => $"({shape[0]},)",
            _ => "(" + string.Join(", ", shape.ToArray()) + ")",
        };
        var dict = new StringBuilder()
            .Append("{'descr': '").Append(Descr(dtype)).Append("', 'fortran_order': False, 'shape': ")
            .Append(shapeRepr).Append(", }");
        if (shape.Length > 0)
        {
            dict.Append(' ', Math.Max(0, GrowthAxisMaxDigits - shape[0].ToString(CultureInfo.InvariantCulture).Length));
        }
        byte[] text = Encoding.ASCII.GetBytes(dict.ToString());
        int version = text.Length + 1 + 8 + 2 > ushort.MaxValue ? 2 : 1;
        int lengthFieldSize = version == 1 ? 2 : 4;
        int hlen = text.Length + 1;
        int padlen = ArrayAlign - ((Magic.Length + 2 + lengthFieldSize + hlen) % ArrayAlign);
        var result = new byte[Magic.Length + 2 + lengthFieldSize + hlen + padlen];
        Magic.CopyTo(result);
        result[6] = (byte)version;
        result[7] = 0;
        if (version == 1)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(result.AsSpan(8), (ushort)(hlen + padlen));
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(8), (uint)(hlen + padlen));
        }
        int offset = Magic.Length + 2 + lengthFieldSize;
        text.CopyTo(result, offset);
        result.AsSpan(offset + text.Length, padlen).Fill((byte)' ');
        result[^1] = (byte)'\n';
        return result;
    }

    /// <summary>Reads and parses a header from the start of <paramref name="stream"/>.</summary>
    /// <param name="stream">Positioned at the magic string.</param>
    /// <param name="source">The file (and entry) name for error messages.</param>
    /// <exception cref="ArtifactException">Not a .npy, an unsupported version or dtype, or a malformed dict.</exception>
    public static NpyHeader Read(Stream stream, string source)
    {
        Span<byte> prefix = stackalloc byte[10];
        if (ReadFully(stream, prefix) < 10 || !prefix[..6].SequenceEqual(Magic))
        {
            throw new ArtifactException($"{source}: not a .npy array (the file does not start with the \\x93NUMPY magic string).");
        }
        int major = prefix[6];
        int headerLength;
        int prefixLength;
        if (major == 1)
        {
            headerLength = BinaryPrimitives.ReadUInt16LittleEndian(prefix[8..]);
            prefixLength = 10;
        }
        else if (major is 2 or 3)
        {
            Span<byte> extra = stackalloc byte[2];
            if (ReadFully(stream, extra) < 2) throw new ArtifactException($"{source}: truncated .npy header.");
            Span<byte> len = stackalloc byte[4];
            prefix[8..].CopyTo(len);
            extra.CopyTo(len[2..]);
            headerLength = checked((int)BinaryPrimitives.ReadUInt32LittleEndian(len));
            prefixLength = 12;
        }
        else
        {
            throw new ArtifactException($"{source}: .npy format version {major}.{prefix[7]} is not supported (expected 1.0, 2.0 or 3.0).");
        }
        var headerBytes = new byte[headerLength];
        if (ReadFully(stream, headerBytes) < headerLength)
        {
            throw new ArtifactException($"{source}: truncated .npy header (expected {headerLength} header bytes).");
        }
        string text = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(headerBytes);
        var (descr, fortran, shape) = ParseDict(text, source);
        var dtype = descr switch
        {
            "<f8" or "=f8" => NpyDtype.Float64,
            "<f4" or "=f4" => NpyDtype.Float32,
            "<i8" or "=i8" => NpyDtype.Int64,
            "<i4" or "=i4" => NpyDtype.Int32,
            "|b1" or "<b1" or "=b1" or "?" => NpyDtype.Bool,
            "|u1" or "<u1" or "=u1" => NpyDtype.UInt8,
            _ => throw new ArtifactException($"{source}: unsupported dtype '{descr}' (supported: <f8, <f4, <i8, <i4, |b1, |u1)."),
        };
        return new NpyHeader(dtype, shape, fortran, prefixLength + headerLength);
    }

    private static int ReadFully(Stream stream, Span<byte> buffer)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = stream.Read(buffer[total..]);
            if (n == 0) break;
            total += n;
        }
        return total;
    }

    // Parses numpy's Python-literal dict: {'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }
    private static (string Descr, bool Fortran, int[] Shape) ParseDict(string text, string source)
    {
        string? descr = null;
        bool? fortran = null;
        int[]? shape = null;
        int i = 0;
        Exception Bad(string what) => new ArtifactException($"{source}: malformed .npy header ({what}): {text.TrimEnd()}");
        void SkipSpace()
        {
            while (i < text.Length && char.IsWhiteSpace(text[i])) i++;
        }
        string ReadQuoted()
        {
            SkipSpace();
            if (i >= text.Length || (text[i] != '\'' && text[i] != '"')) throw Bad("expected a quoted string");
            char q = text[i++];
            int start = i;
            while (i < text.Length && text[i] != q) i++;
            if (i >= text.Length) throw Bad("unterminated string");
            return text[start..i++];
        }
        SkipSpace();
        if (i >= text.Length || text[i++] != '{') throw Bad("expected '{'");
        while (true)
        {
            SkipSpace();
            if (i < text.Length && text[i] == '}') break;
            string key = ReadQuoted();
            SkipSpace();
            if (i >= text.Length || text[i++] != ':') throw Bad("expected ':'");
            SkipSpace();
            switch (key)
            {
                case "descr":
                    if (i < text.Length && text[i] == '[') throw new ArtifactException($"{source}: structured dtypes are not supported (expected a plain numeric dtype).");
                    descr = ReadQuoted();
                    break;
                case "fortran_order":
                    if (text.AsSpan(i).StartsWith("True")) { fortran = true; i += 4; }
                    else if (text.AsSpan(i).StartsWith("False")) { fortran = false; i += 5; }
                    else throw Bad("fortran_order must be True or False");
                    break;
                case "shape":
                    if (i >= text.Length || text[i++] != '(') throw Bad("shape must be a tuple");
                    int close = text.IndexOf(')', i);
                    if (close < 0) throw Bad("unterminated shape tuple");
                    var parts = text[i..close].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                    shape = new int[parts.Length];
                    for (int k = 0; k < parts.Length; k++)
                    {
                        string p = parts[k].TrimEnd('L');
                        if (!int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out shape[k])) throw Bad($"bad dimension '{parts[k]}'");
                    }
                    i = close + 1;
                    break;
                default:
                    throw Bad($"unexpected key '{key}'");
            }
            SkipSpace();
            if (i < text.Length && text[i] == ',') i++;
        }
        if (descr is null || fortran is null || shape is null)
        {
            throw Bad("missing one of 'descr', 'fortran_order', 'shape'");
        }
        return (descr, fortran.Value, shape);
    }
}
