using System.Buffers.Binary;
using System.Text;
using DluxShera.Contracts;
using DluxShera.Numpy;
using Xunit;

namespace DluxShera.Tests;

/// <summary>
/// The .npy header against the format specification (NEP 1 and numpy's <c>lib/format.py</c>), with every file built
/// here byte by byte from the spec: the magic <c>\x93NUMPY</c>, major/minor version bytes, a little-endian header
/// length (2 bytes in 1.0, 4 in 2.0/3.0), a Python-literal dict, space padding and a newline ending the header on a
/// multiple of 64 bytes. Nothing here is compared with our own writer's output.
/// </summary>
public class NpyHeaderSpecTests
{
    /// <summary>A complete .npy (format 1.0, or <paramref name="major"/>.0) whose header dict is exactly <paramref name="dict"/>.</summary>
    internal static byte[] NpyWithDict(string dict, byte[] data, int major = 1, Encoding? encoding = null)
    {
        byte[] text = (encoding ?? Encoding.Latin1).GetBytes(dict);
        int lengthBytes = major == 1 ? 2 : 4;
        int hlen = text.Length + 1;
        int padlen = 64 - ((6 + 2 + lengthBytes + hlen) % 64);
        var header = new List<byte> { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', (byte)major, 0 };
        var length = new byte[lengthBytes];
        if (major == 1) BinaryPrimitives.WriteUInt16LittleEndian(length, (ushort)(hlen + padlen));
        else BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)(hlen + padlen));
        header.AddRange(length);
        header.AddRange(text);
        header.AddRange(Enumerable.Repeat((byte)' ', padlen));
        header.Add((byte)'\n');
        return [.. header, .. data];
    }

    private static byte[] Doubles(params double[] v) => v.SelectMany(BitConverter.GetBytes).ToArray();

    private static NdArray Read(byte[] bytes, string source = "h.npy") => NpyFile.Read(new MemoryStream(bytes), source);

    // numpy's _wrap_header: format 1.0 holds the header length in an unsigned short, so 1.0 is used exactly when
    // the padded header (hlen + padlen, padded so that 10 + hlen + padlen is a multiple of 64) is at most 65535.
    private static int NumpysVersionFor(int dictLength)
    {
        int hlen = dictLength + 1;
        int padlen = 64 - ((10 + hlen) % 64);
        return hlen + padlen <= ushort.MaxValue ? 1 : 2;
    }

    [Theory]
    [InlineData(65_523, 1)]
    [InlineData(65_524, 1)]   // the longest dict format 1.0 holds: 10 + 65525 + 1 byte of padding = 65536
    [InlineData(65_525, 2)]   // one more byte and the padded header (65590) overflows 16 bits
    [InlineData(65_600, 2)]
    public void The_format_version_is_2_0_exactly_when_the_header_no_longer_fits_a_16_bit_length(int dictLength, int expectedVersion)
    {
        Assert.Equal(expectedVersion, NumpysVersionFor(dictLength));
        // A shape (1, 10^e, 1, …, 1) of rank r has a dict of 51 + (3r − 2 + e) + 4 characters, then 20 growth spaces.
        int rank = (dictLength - 73) / 3, extraDigits = (dictLength - 73) % 3;
        int[] shape = Enumerable.Repeat(1, rank).ToArray();
        shape[1] = (int)Math.Pow(10, extraDigits);
        string dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (" + string.Join(", ", shape) + "), }" + new string(' ', 20);
        Assert.Equal(dictLength, dict.Length);

        byte[] header = NpyHeader.Encode(NpyDtype.Float64, shape);
        Assert.Equal(expectedVersion, header[6]);
        Assert.Equal(0, header[7]);
        int prefix = expectedVersion == 1 ? 10 : 12;
        long declared = expectedVersion == 1 ? BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(8)) : BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(8));
        Assert.Equal(header.Length - prefix, declared);
        Assert.Equal(0, header.Length % 64);
        string text = Encoding.ASCII.GetString(header, prefix, header.Length - prefix);
        Assert.Equal(dict + new string(' ', header.Length - prefix - dict.Length - 1) + "\n", text);
        Assert.InRange(header.Length - prefix - dict.Length - 1, 1, 64);

        // And it reads back: the parser takes the 4-byte length of 2.0.
        var parsed = NpyHeader.Read(new MemoryStream([.. header, .. Doubles(new double[shape[1]])]), "wide.npy");
        Assert.Equal(shape, parsed.Shape);
        Assert.Equal(header.Length, parsed.DataOffset);
        Assert.Equal(shape[1], parsed.Count);
    }

    [Theory]
    [InlineData("'<f8'", NpyDtype.Float64)]
    [InlineData("'=f8'", NpyDtype.Float64)]
    [InlineData("'<f4'", NpyDtype.Float32)]
    [InlineData("'=f4'", NpyDtype.Float32)]
    [InlineData("'<i8'", NpyDtype.Int64)]
    [InlineData("'=i8'", NpyDtype.Int64)]
    [InlineData("'<i4'", NpyDtype.Int32)]
    [InlineData("'=i4'", NpyDtype.Int32)]
    [InlineData("'|b1'", NpyDtype.Bool)]
    [InlineData("'<b1'", NpyDtype.Bool)]
    [InlineData("'=b1'", NpyDtype.Bool)]
    [InlineData("'?'", NpyDtype.Bool)]
    [InlineData("'|u1'", NpyDtype.UInt8)]
    [InlineData("'<u1'", NpyDtype.UInt8)]
    [InlineData("'=u1'", NpyDtype.UInt8)]
    [InlineData("\"<f8\"", NpyDtype.Float64)]
    public void Every_spelling_of_a_supported_dtype_is_read(string descr, NpyDtype expected)
    {
        // '=' is native order (little-endian on every machine we run on); '|' means byte order does not apply;
        // '?' is numpy's character code for bool. Two elements of the dtype's size, all bytes 0x01.
        int itemSize = expected switch { NpyDtype.Float64 or NpyDtype.Int64 => 8, NpyDtype.Float32 or NpyDtype.Int32 => 4, _ => 1 };
        byte[] data = Enumerable.Repeat((byte)1, 2 * itemSize).ToArray();
        var a = Read(NpyWithDict($"{{'descr': {descr}, 'fortran_order': False, 'shape': (2,), }}", data));
        Assert.Equal(expected, a.Dtype);
        Assert.Equal([2], a.Shape);
        object first = expected switch
        {
            NpyDtype.Float64 => BitConverter.Int64BitsToDouble(0x0101010101010101),
            NpyDtype.Float32 => BitConverter.Int32BitsToSingle(0x01010101),
            NpyDtype.Int64 => 0x0101010101010101L,
            NpyDtype.Int32 => 0x01010101,
            NpyDtype.Bool => true,
            _ => (byte)1,
        };
        Assert.Equal(first, a.Data.GetValue(1));
    }

    [Theory]
    [InlineData("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }")]             // numpy's own layout
    [InlineData("{'shape': (3,), 'fortran_order': False, 'descr': '<f8'}")]               // any key order, no trailing comma
    [InlineData("{ \"descr\" : \"<f8\" ,\t\"fortran_order\" : False , \"shape\" : ( 3 , ) }")] // double quotes, spaces, a tab
    [InlineData("{'descr': '<f8', 'fortran_order': False, 'shape': (3L,), }")]            // Python 2 wrote longs with an L
    public void Any_valid_python_dict_literal_is_read(string dict)
    {
        var a = Read(NpyWithDict(dict, Doubles(1, -2, 3.5)));
        Assert.Equal(NpyDtype.Float64, a.Dtype);
        Assert.Equal([3], a.Shape);
        Assert.Equal(new[] { 1, -2, 3.5 }, a.ToDoubles());
    }

    [Theory]
    [InlineData("()", new int[0], 1L)]
    [InlineData("(0,)", new[] { 0 }, 0L)]
    [InlineData("(4,)", new[] { 4 }, 4L)]
    [InlineData("(2, 3)", new[] { 2, 3 }, 6L)]
    [InlineData("(2,3,1)", new[] { 2, 3, 1 }, 6L)]
    [InlineData("(3, 0, 2)", new[] { 3, 0, 2 }, 0L)]
    public void Shape_tuples_of_every_rank_are_read_with_their_element_count(string tuple, int[] shape, long count)
    {
        var bytes = NpyWithDict($"{{'descr': '<f8', 'fortran_order': False, 'shape': {tuple}, }}", Doubles(new double[count]));
        var header = NpyHeader.Read(new MemoryStream(bytes), "s.npy");
        Assert.Equal(shape, header.Shape);
        Assert.Equal(count, header.Count);
        Assert.False(header.FortranOrder);
        Assert.Equal(bytes.Length - 8 * count, header.DataOffset);
    }

    [Fact]
    public void Fortran_order_true_is_read_and_transposed_for_every_rank()
    {
        // A (2, 3, 4) array a[i, j, k] = 100 i + 10 j + k stored column-major: i varies fastest, then j, then k.
        var column = new List<double>();
        for (int k = 0; k < 4; k++)
            for (int j = 0; j < 3; j++)
                for (int i = 0; i < 2; i++) column.Add(100 * i + 10 * j + k);
        var bytes = NpyWithDict("{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3, 4), }", Doubles([.. column]));
        Assert.True(NpyHeader.Read(new MemoryStream(bytes), "f.npy").FortranOrder);
        var a = Read(bytes);
        Assert.Equal([2, 3, 4], a.Shape);
        var expected = new List<double>();
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 3; j++)
                for (int k = 0; k < 4; k++) expected.Add(100 * i + 10 * j + k);
        Assert.Equal(expected, a.ToDoubles());

        // One dimension: Fortran and C order are the same bytes.
        var v = Read(NpyWithDict("{'descr': '<i4', 'fortran_order': True, 'shape': (3,), }", [7, 0, 0, 0, 8, 0, 0, 0, 9, 0, 0, 0]));
        Assert.Equal(new[] { 7, 8, 9 }, (int[])v.Data);
    }

    [Theory]
    [InlineData("['descr', '<f8']", "expected '{'")]
    [InlineData("", "expected '{'")]
    [InlineData("{descr: '<f8'}", "expected a quoted string")]
    [InlineData("{'descr': <f8}", "expected a quoted string")]
    [InlineData("{'descr' '<f8'}", "expected ':'")]
    [InlineData("{'descr': '<f8", "unterminated string")]
    [InlineData("{'descr': '<f8', 'fortran_order': false, 'shape': (1,)}", "fortran_order must be True or False")]
    [InlineData("{'descr': '<f8', 'fortran_order': False, 'shape': [1]}", "shape must be a tuple")]
    [InlineData("{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2}", "unterminated shape tuple")]
    [InlineData("{'descr': '<f8', 'fortran_order': False, 'shape': (1, x)}", "bad dimension 'x'")]
    [InlineData("{'descr': '<f8', 'fortran_order': False, 'shape': (-1,)}", "bad dimension '-1'")]
    [InlineData("{'descr': '<f8', 'fortran_order': False, 'shape': (+1,)}", "bad dimension '+1'")]
    [InlineData("{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2), 'extra': 0}", "unexpected key 'extra'")]
    [InlineData("{'descr': '<f8', 'shape': (1,)}", "missing one of 'descr', 'fortran_order', 'shape'")]
    [InlineData("{'fortran_order': False, 'shape': (1,)}", "missing one of 'descr', 'fortran_order', 'shape'")]
    [InlineData("{'descr': '<f8', 'fortran_order': True}", "missing one of 'descr', 'fortran_order', 'shape'")]
    public void A_malformed_header_dict_is_reported_with_what_was_expected_and_the_dict(string dict, string what)
    {
        var e = Assert.Throws<ArtifactException>(() => Read(NpyWithDict(dict, Doubles(0, 0)), "bad.npy"));
        Assert.Equal($"bad.npy: malformed .npy header ({what}): {dict}", e.Message);
    }

    [Fact]
    public void A_structured_dtype_is_refused_by_name()
    {
        var e = Assert.Throws<ArtifactException>(() => Read(NpyWithDict("{'descr': [('x', '<f8'), ('y', '<f8')], 'fortran_order': False, 'shape': (1,), }", Doubles(1, 2)), "rec.npy"));
        Assert.Equal("rec.npy: structured dtypes are not supported (expected a plain numeric dtype).", e.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(6)]
    [InlineData(9)]
    public void A_file_shorter_than_the_magic_version_and_length_is_not_an_npy(int length)
    {
        byte[] bytes = NpyWithDict("{'descr': '<f8', 'fortran_order': False, 'shape': (), }", Doubles(1))[..length];
        var e = Assert.Throws<ArtifactException>(() => Read(bytes, "short.npy"));
        Assert.Equal("short.npy: not a .npy array (the file does not start with the \\x93NUMPY magic string).", e.Message);
    }

    [Fact]
    public void A_wrong_byte_anywhere_in_the_magic_is_refused()
    {
        byte[] good = NpyWithDict("{'descr': '<f8', 'fortran_order': False, 'shape': (), }", Doubles(1));
        Assert.Equal(1.0, Read(good).ToDoubles()[0]);
        for (int i = 0; i < 6; i++)
        {
            byte[] bad = (byte[])good.Clone();
            bad[i] ^= 0x20;
            Assert.Contains("not a .npy array", Assert.Throws<ArtifactException>(() => Read(bad)).Message);
        }
    }

    [Fact]
    public void A_truncated_header_is_reported_with_the_length_it_declares()
    {
        byte[] v1 = NpyWithDict("{'descr': '<f8', 'fortran_order': False, 'shape': (), }", []);
        Assert.Equal(128 - 10, BinaryPrimitives.ReadUInt16LittleEndian(v1.AsSpan(8)));
        var e = Assert.Throws<ArtifactException>(() => Read(v1[..100], "cut.npy"));
        Assert.Equal("cut.npy: truncated .npy header (expected 118 header bytes).", e.Message);

        byte[] v2 = NpyWithDict("{'descr': '<f8', 'fortran_order': False, 'shape': (), }", [], major: 2);
        Assert.Equal("cut2.npy: truncated .npy header.", Assert.Throws<ArtifactException>(() => Read(v2[..11], "cut2.npy")).Message);
        Assert.Equal("cut2.npy: truncated .npy header (expected 116 header bytes).", Assert.Throws<ArtifactException>(() => Read(v2[..100], "cut2.npy")).Message);
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(4, 0)]
    [InlineData(9, 7)]
    [InlineData(255, 0)]
    public void Format_versions_other_than_1_2_and_3_are_refused_naming_major_and_minor(int major, int minor)
    {
        byte[] bytes = NpyWithDict("{'descr': '<f8', 'fortran_order': False, 'shape': (), }", Doubles(1));
        bytes[6] = (byte)major;
        bytes[7] = (byte)minor;
        var e = Assert.Throws<ArtifactException>(() => Read(bytes, "v.npy"));
        Assert.Equal($"v.npy: .npy format version {major}.{minor} is not supported (expected 1.0, 2.0 or 3.0).", e.Message);
    }

    [Fact]
    public void Format_3_0_reads_a_utf8_header_and_2_0_a_latin1_one()
    {
        // 3.0 is 2.0 with the header in UTF-8 (numpy uses it for non-Latin-1 field names); a descr we do not know is
        // echoed as written: 'µ8' is two characters in UTF-8 and would be three if decoded as Latin-1.
        byte[] v3 = NpyWithDict("{'descr': 'µ8', 'fortran_order': False, 'shape': (1,), }", Doubles(1), major: 3, encoding: Encoding.UTF8);
        Assert.Equal("v3.npy: unsupported dtype 'µ8' (supported: <f8, <f4, <i8, <i4, |b1, |u1).", Assert.Throws<ArtifactException>(() => Read(v3, "v3.npy")).Message);
        byte[] v2 = NpyWithDict("{'descr': 'µ8', 'fortran_order': False, 'shape': (1,), }", Doubles(1), major: 2, encoding: Encoding.Latin1);
        Assert.Equal("v2.npy: unsupported dtype 'µ8' (supported: <f8, <f4, <i8, <i4, |b1, |u1).", Assert.Throws<ArtifactException>(() => Read(v2, "v2.npy")).Message);

        byte[] good3 = NpyWithDict("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", Doubles(0.25, -8), major: 3, encoding: Encoding.UTF8);
        Assert.Equal(new[] { 0.25, -8 }, Read(good3).ToDoubles());
        Assert.Equal(128, NpyHeader.Read(new MemoryStream(good3), "x").DataOffset);
    }

    [Fact]
    public void Headers_and_data_arrive_whole_through_a_stream_that_returns_one_byte_per_read()
    {
        // Zip entries and pipes return short reads; the reader must keep reading until each part is complete.
        byte[] v1 = NpyWithDict("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }", Doubles(1, 2, 3, 4));
        var a = NpyFile.Read(new OneByteAtATime(v1), "slow.npy");
        Assert.Equal([2, 2], a.Shape);
        Assert.Equal(new double[] { 1, 2, 3, 4 }, a.ToDoubles());
        byte[] v2 = NpyWithDict("{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }", [.. BitConverter.GetBytes(-5L), .. BitConverter.GetBytes(6L)], major: 2);
        Assert.Equal(new[] { -5L, 6L }, (long[])NpyFile.Read(new OneByteAtATime(v2), "slow2.npy").Data);
        var e = Assert.Throws<ArtifactException>(() => NpyFile.Read(new OneByteAtATime(v1[..^1]), "slow.npy"));
        Assert.Equal("slow.npy: truncated .npy data: shape (2, 2) of <f8 needs 32 bytes, found 31.", e.Message);
    }

    [Fact]
    public void The_writer_pads_the_dict_for_a_first_axis_of_up_to_21_digits()
    {
        // numpy adds 21 − len(repr(shape[0])) spaces after the dict so a growing file's header can be rewritten in place.
        foreach (int rows in new[] { 0, 7, 12345, int.MaxValue })
        {
            byte[] header = NpyHeader.Encode(NpyDtype.UInt8, [rows]);
            string text = Encoding.ASCII.GetString(header, 10, header.Length - 10);
            string dict = $"{{'descr': '|u1', 'fortran_order': False, 'shape': ({rows},), }}";
            Assert.StartsWith(dict + new string(' ', 21 - rows.ToString(System.Globalization.CultureInfo.InvariantCulture).Length), text);
            Assert.Equal(128, header.Length);   // 10 + (56 + digits) + (21 − digits) + 1 = 88 bytes, padded to 128
        }
        // A 0-d array has no axis to grow: no extra spaces beyond the 64-byte alignment.
        byte[] scalar = NpyHeader.Encode(NpyDtype.Float64, []);
        Assert.Equal("{'descr': '<f8', 'fortran_order': False, 'shape': (), }" + new string(' ', 128 - 10 - 55 - 1) + "\n", Encoding.ASCII.GetString(scalar, 10, scalar.Length - 10));
    }

    /// <summary>A read-only stream that hands out one byte per call.</summary>
    internal sealed class OneByteAtATime(byte[] bytes) : Stream
    {
        private int _position;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count)
        {
            if (count == 0 || _position >= bytes.Length) return 0;
            buffer[offset] = bytes[_position++];
            return 1;
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
