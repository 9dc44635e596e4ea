using System.Numerics;
using MathNet.Numerics.IntegralTransforms;

namespace DluxShera.Shera.Optics;

/// <summary>
/// The three-plane model's angular-spectrum Fresnel step on the S×S padded grid, computed axis by axis and only where
/// it matters. The kernel exp(−iπλz(fx² + fy²)) is the product of two 1-D kernels, so the 2-D step IFFT₂(K·FFT₂(x)) is
/// a 1-D step along y on every column and one along x on every row. A column (or row) that is zero stays zero under the
/// step along it, and a row (or column) whose result is discarded need not be computed. The M1 field occupies only the
/// N×N block at (offset, offset), and M2 only the rows its disk crosses; so propagating out of the block steps N columns
/// and then the rows M2 needs, and propagating back into the block steps M2's rows and then the block's N columns —
/// at production size (S = 3N) about 60 % of the 1-D transforms of the full 2-D step, with the same result to rounding.
/// Rows and columns go in blocks of <see cref="Block"/> (one FFTW call each) spread over the cores; each block is
/// independent of the others, so results do not depend on the number of threads.
/// </summary>
internal sealed unsafe class SeparableFresnel
{
    private const int Block = 8;
    private readonly int _size;
    private readonly int _offset;
    private readonly int _n;
    private readonly Complex[][] _kernel; // per wavelength, exp(−iπλz f_j²)/S: both 1-D inverse transforms' 1/S folded in

    /// <summary>Builds the step for the given 1-D kernels.</summary>
    /// <param name="size">Padded side S.</param>
    /// <param name="offset">Row and column of the N×N block's first element.</param>
    /// <param name="n">Block side N.</param>
    /// <param name="kernels">Per wavelength, the 1-D kernel exp(−iπλz f_j²), j = 0…S−1 in FFT order.</param>
    public SeparableFresnel(int size, int offset, int n, Complex[][] kernels)
    {
        _size = size;
        _offset = offset;
        _n = n;
        _kernel = kernels.Select(k => k.Select(v => v / size).ToArray()).ToArray();
    }

    /// <summary>
    /// Propagates a field that is zero outside the N×N block (and must be zero there on entry), in place: by +z, or by
    /// −z when <paramref name="conjugate"/>. Afterwards rows [<paramref name="rowStart"/>, <paramref name="rowEnd"/>) hold
    /// the propagated field and the other rows are left partly transformed.
    /// </summary>
    /// <param name="field">S×S, row-major.</param>
    /// <param name="l">Wavelength index.</param>
    /// <param name="conjugate">Propagate by −z.</param>
    /// <param name="rowStart">First row wanted.</param>
    /// <param name="rowEnd">One past the last row wanted.</param>
    public void FromBlock(Complex* field, int l, bool conjugate, int rowStart, int rowEnd)
    {
        AlongColumns(field, l, conjugate, _offset, _offset + _n);
        AlongRows(field, l, conjugate, rowStart, rowEnd);
    }

    /// <summary>
    /// Propagates a field that is zero outside rows [<paramref name="rowStart"/>, <paramref name="rowEnd"/>), in place;
    /// afterwards only the N×N block holds the propagated field (the rest of the grid is left partly transformed).
    /// </summary>
    /// <param name="field">S×S, row-major.</param>
    /// <param name="l">Wavelength index.</param>
    /// <param name="conjugate">Propagate by −z.</param>
    /// <param name="rowStart">First row that may be nonzero.</param>
    /// <param name="rowEnd">One past the last row that may be nonzero.</param>
    public void ToBlock(Complex* field, int l, bool conjugate, int rowStart, int rowEnd)
    {
        AlongRows(field, l, conjugate, rowStart, rowEnd);
        AlongColumns(field, l, conjugate, _offset, _offset + _n);
    }

    // The 1-D step along x (within each row) for rows [start, end).
    private void AlongRows(Complex* field, int l, bool conjugate, int start, int end)
    {
        nint basePointer = (nint)field;
        int size = _size, blocks = (end - start + Block - 1) / Block;
        var kernel = _kernel[l];
        Parallel.For(0, blocks, b =>
        {
            int first = start + b * Block, count = Math.Min(Block, end - first);
            var rows = (Complex*)basePointer + (long)first * size;
            Transform(rows, size, count, 1, size, inverse: false);
            for (int r = 0; r < count; r++) MultiplyRow(rows + (long)r * size, kernel, size, conjugate);
            Transform(rows, size, count, 1, size, inverse: true);
        });
    }

    // The 1-D step along y (within each column) for columns [start, end): a block of columns is copied into contiguous
    // rows of a per-thread buffer, stepped there and copied back (strided transforms are several times slower).
    private void AlongColumns(Complex* field, int l, bool conjugate, int start, int end)
    {
        nint basePointer = (nint)field;
        int size = _size, blocks = (end - start + Block - 1) / Block;
        var kernel = _kernel[l];
        Parallel.For(0, blocks, b =>
        {
            int first = start + b * Block, count = Math.Min(Block, end - first);
            var columns = (Complex*)basePointer + first;
            var buffer = ColumnBuffer(Block * size);
            for (int r = 0; r < size; r++)
            {
                var row = columns + (long)r * size;
                for (int c = 0; c < count; c++) buffer[c * size + r] = row[c];
            }
            Transform(buffer, size, count, 1, size, inverse: false);
            for (int c = 0; c < count; c++) MultiplyRow(buffer + c * size, kernel, size, conjugate);
            Transform(buffer, size, count, 1, size, inverse: true);
            for (int r = 0; r < size; r++)
            {
                var row = columns + (long)r * size;
                for (int c = 0; c < count; c++) row[c] = buffer[c * size + r];
            }
        });
    }

    [ThreadStatic]
    private static NativeComplexBuffer? _columnBuffer;

    private static Complex* ColumnBuffer(int length)
    {
        if (_columnBuffer is null || _columnBuffer.Length < length) _columnBuffer = new NativeComplexBuffer(length);
        return _columnBuffer.Pointer;
    }

    private static void MultiplyRow(Complex* row, Complex[] kernel, int size, bool conjugate)
    {
        if (conjugate)
        {
            for (int c = 0; c < size; c++) row[c] *= Complex.Conjugate(kernel[c]);
        }
        else
        {
            for (int c = 0; c < size; c++) row[c] *= kernel[c];
        }
    }

    // Unnormalised 1-D transforms (forward e^{−i…}, inverse e^{+i…}); FFTW when installed, else Math.NET.
    private static void Transform(Complex* data, int n, int count, int stride, int distance, bool inverse)
    {
        if (NativeFft.Available)
        {
            NativeFft.TransformMany(data, n, count, stride, distance, inverse);
            return;
        }
        var buffer = new Complex[n];
        for (int j = 0; j < count; j++)
        {
            var v = data + (long)j * distance;
            for (int i = 0; i < n; i++) buffer[i] = v[(long)i * stride];
            if (inverse) Fourier.Inverse(buffer, FourierOptions.NoScaling);
            else Fourier.Forward(buffer, FourierOptions.NoScaling);
            for (int i = 0; i < n; i++) v[(long)i * stride] = buffer[i];
        }
    }
}
