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
    private bool _closed;

    /// <summary>Creates (truncating) the file with zero rows.</summary>
    /// <param name="path">The file path.</param>
    /// <param name="dtype">Element type.</param>
    /// <param name="rowShape">Shape of one row (empty for a 1-d array of scalars).</param>
    public AppendableNpyFile(string path, NpyDtype dtype, params int[] rowShape)
        : this(path, dtype, FileMode.Create, rowShape)
    {
    }

    private AppendableNpyFile(string path, NpyDtype dtype, FileMode mode, int[] rowShape)
    {
        Path = path;
        Dtype = dtype;
        _rowShape = rowShape;
        int perRow = 1;
        foreach (int s in rowShape) perRow *= s;
        _rowBytes = perRow * NpyHeader.ItemSize(dtype);
        // The header for the largest row count we allow has the same length as for zero rows
        // (numpy pads the first dimension to 21 digits), so it can always be rewritten in place.
        byte[] header = HeaderFor(0);
        _headerLength = header.Length;
        _stream = new FileStream(path, mode, FileAccess.ReadWrite, FileShare.Read, 1 << 16);
        if (mode == FileMode.Create)
        {
            _stream.Write(header);
            Flush();
            return;
        }
        if (_stream.Length != _headerLength)
        {
            _stream.Dispose();
            throw new IOException($"{path}: expected an empty .npy of {_headerLength} header bytes to append to, found {new FileInfo(path).Length} bytes.");
        }
        _stream.Position = _headerLength;
        _flushedRows = 0;
    }

    /// <summary>Writes a valid zero-row file and closes it (a run directory is complete before it is visible).</summary>
    /// <param name="path">The file path.</param>
    /// <param name="dtype">Element type.</param>
    /// <param name="rowShape">Shape of one row.</param>
    public static void CreateEmpty(string path, NpyDtype dtype, params int[] rowShape)
    {
        using var file = new AppendableNpyFile(path, dtype, rowShape);
    }

    /// <summary>Opens a zero-row file written by <see cref="CreateEmpty"/> for appending, without ever truncating it.</summary>
    /// <param name="path">The file path.</param>
    /// <param name="dtype">Element type.</param>
    /// <param name="rowShape">Shape of one row.</param>
    public static AppendableNpyFile OpenEmpty(string path, NpyDtype dtype, params int[] rowShape) =>
        new(path, dtype, FileMode.Open, rowShape);

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
        if (_closed || _flushedRows == _rows) return;
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

    /// <summary>Closes the file after a failed write: tries once to write the buffered rows and the header, and
    /// gives up silently (the complete rows on disk stay readable by <see cref="NpyFile.LoadRecoveredRows"/>).</summary>
    public void Abandon()
    {
        if (_closed) return;
        try
        {
            Flush();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            // The disk is full or gone; what reached it is what readers recover.
        }
        try
        {
            _stream.Dispose();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Dispose flushes the buffer once more; the same failure again changes nothing.
        }
        _closed = true;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_closed) return;
        Flush();
        _stream.Dispose();
        _closed = true;
    }
}
