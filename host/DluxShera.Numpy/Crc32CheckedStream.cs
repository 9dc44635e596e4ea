using System.IO.Hashing;
using DluxShera.Contracts;

namespace DluxShera.Numpy;

/// <summary>
/// Reads a zip entry while computing the CRC-32 of every byte handed out, so that the entry can be checked against
/// the CRC its zip headers record. System.IO.Compression does not check it; numpy (Python's zipfile) does, and a
/// damaged deflate stream can decode without error into different numbers.
/// </summary>
internal sealed class Crc32CheckedStream(Stream inner) : Stream
{
    private readonly Crc32 _crc = new();

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int n = inner.Read(buffer);
        _crc.Append(buffer[..n]);
        return n;
    }

    /// <summary>Reads whatever the caller left unread and compares the CRC-32 of the whole entry with <paramref name="expected"/>.</summary>
    /// <param name="expected">The CRC-32 recorded in the archive for this entry.</param>
    /// <param name="source">Archive and entry, for the message.</param>
    /// <exception cref="ArtifactException">The data does not match its CRC-32.</exception>
    public void VerifyToEnd(uint expected, string source)
    {
        var rest = new byte[1 << 16];
        while (Read(rest) > 0)
        {
        }
        uint actual = _crc.GetCurrentHashAsUInt32();
        if (actual != expected)
        {
            throw new ArtifactException($"{source}: damaged data: CRC-32 is {actual:x8}, the archive records {expected:x8}.");
        }
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }
}
