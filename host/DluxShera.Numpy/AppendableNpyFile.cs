using System.Runtime.InteropServices;
using DluxShera.Contracts;

namespace DluxShera.Numpy;

/// <summary>
/// A .npy file that grows along its first axis: rows are appended to the end and the header is
/// rewritten in place on <see cref="Flush"/>, using the spare header space numpy itself reserves for
/// this. After every flush the file is a valid .npy that numpy loads with the rows flushed so far.
/// </summary>
public sealed class AppendableNpyFile : IDisposable
{
    private readonly FileStream _stream;
    private readonly int[] _rowShape;
    private readonly int _rowBytes;
    private readonly int _headerLength;
    private long _rows;
    private long _flushedRows = -1;

    /// <summary>Creates (truncating) the file with zero rows.</summary>
    /// <param name="path">The file path.</param>
    /// <param name="dtype">Element type.</param>
    /// <param name="rowShape">Shape of one row (empty for a 1-d array of scalars).</param>
    public AppendableNpyFile(string path, NpyDtype dtype, params int[] rowShape)
    {
        Path = path;
        Dtype = dtype;
        _rowShape = rowShape;
        int perRow = 1;
        foreach (int s in rowShape) perRow *= s;
        _rowBytes = perRow * NpyHeader.ItemSize(dtype);
        _stream = new FileStream(path, FileMode.Create, FileAccess.ReadWrite, FileShare.Read, 1 << 16);
        // The header for the largest row count we allow has the same length as for zero rows
        // (numpy pads the first dimension to 21 digits), so it can always be rewritten in place.
        byte[] header = HeaderFor(0);
        _headerLength = header.Length;
        _stream.Write(header);
        Flush();
    }

    /// <summary>The file path.</summary>
    public string Path { get; }

    /// <summary>The element type.</summary>
    public NpyDtype Dtype { get; }

    /// <summary>Rows appended so far.</summary>
    public long Rows => _rows;

    /// <summary>Appends one row of doubles.</summary>
    /// <param name="row">The row (length = product of the row shape).</param>
    public void Append(ReadOnlySpan<double> row)
    {
        if (Dtype != NpyDtype.Float64) throw new InvalidOperationException($"{Path}: appending doubles to a {Dtype} array.");
        AppendBytes(MemoryMarshal.AsBytes(row));
    }

    /// <summary>Appends one double.</summary>
    /// <param name="value">The value.</param>
    public void Append(double value) => Append(MemoryMarshal.CreateReadOnlySpan(ref value, 1));

    /// <summary>Appends one bool.</summary>
    /// <param name="value">The value.</param>
    public void Append(bool value)
    {
        if (Dtype != NpyDtype.Bool) throw new InvalidOperationException($"{Path}: appending a bool to a {Dtype} array.");
        _stream.WriteByte(value ? (byte)1 : (byte)0);
        _rows++;
    }

    /// <summary>Appends one long.</summary>
    /// <param name="value">The value.</param>
    public void Append(long value)
    {
        if (Dtype != NpyDtype.Int64) throw new InvalidOperationException($"{Path}: appending a long to a {Dtype} array.");
        AppendBytes(MemoryMarshal.AsBytes(MemoryMarshal.CreateReadOnlySpan(ref value, 1)));
    }

    private void AppendBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != _rowBytes) throw new ArgumentException($"{Path}: row of {bytes.Length} bytes, expected {_rowBytes}.");
        _stream.Write(bytes);
        _rows++;
    }

    /// <summary>Rewrites the header with the current row count and flushes everything to disk.</summary>
    public void Flush()
    {
        if (_flushedRows == _rows) return;
        _stream.Flush();
        long end = _stream.Position;
        byte[] header = HeaderFor(_rows);
        if (header.Length != _headerLength) throw new InvalidOperationException($"{Path}: header length changed; too many rows.");
        _stream.Position = 0;
        _stream.Write(header);
        _stream.Position = end;
        _stream.Flush(flushToDisk: true);
        _flushedRows = _rows;
    }

    private byte[] HeaderFor(long rows)
    {
        var shape = new int[_rowShape.Length + 1];
        shape[0] = checked((int)rows);
        _rowShape.CopyTo(shape, 1);
        return NpyHeader.Encode(Dtype, shape);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        Flush();
        _stream.Dispose();
    }
}
