using System.Numerics.Tensors;

namespace DluxShera.Shera.Optics;

/// <summary>
/// A dense complex matrix in split form (separate real and imaginary row-major arrays), the layout that
/// lets the focal-plane transforms run as vectorised row updates.
/// </summary>
public sealed class ComplexMatrix
{
    /// <summary>Allocates a zero matrix.</summary>
    /// <param name="rows">Rows.</param>
    /// <param name="cols">Columns.</param>
    public ComplexMatrix(int rows, int cols)
    {
        Rows = rows;
        Cols = cols;
        Re = new double[rows * cols];
        Im = new double[rows * cols];
    }

    /// <summary>Rows.</summary>
    public int Rows { get; }

    /// <summary>Columns.</summary>
    public int Cols { get; }

    /// <summary>Real parts, row-major.</summary>
    public double[] Re { get; }

    /// <summary>Imaginary parts, row-major.</summary>
    public double[] Im { get; }

    /// <summary>C = X · Y (C must not alias X or Y). Rows of C are computed in parallel.</summary>
    /// <param name="x">Left factor (m×k).</param>
    /// <param name="y">Right factor (k×n).</param>
    /// <param name="c">Result (m×n), overwritten.</param>
    public static void Multiply(ComplexMatrix x, ComplexMatrix y, ComplexMatrix c)
    {
        if (x.Cols != y.Rows || c.Rows != x.Rows || c.Cols != y.Cols)
        {
            throw new ArgumentException($"shapes ({x.Rows}×{x.Cols})·({y.Rows}×{y.Cols}) → ({c.Rows}×{c.Cols}) do not match.");
        }
        // Small products stay managed: a BLAS call's threading overhead outweighs its speed below a few million MACs.
        if (NativeBlas.Available && (long)x.Rows * x.Cols * y.Cols >= 4_000_000)
        {
            NativeBlas.Multiply(x, y, c);
            return;
        }
        MultiplyManaged(x, y, c);
    }

    /// <summary>The managed kernel of <see cref="Multiply"/> (used without a system BLAS, and by tests to compare).</summary>
    /// <param name="x">Left factor.</param>
    /// <param name="y">Right factor.</param>
    /// <param name="c">Result, overwritten.</param>
    public static void MultiplyManaged(ComplexMatrix x, ComplexMatrix y, ComplexMatrix c)
    {
        int m = x.Rows, k = x.Cols, n = y.Cols;
        Parallel.For(0, m, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            var cr = c.Re.AsSpan(i * n, n);
            var ci = c.Im.AsSpan(i * n, n);
            cr.Clear();
            ci.Clear();
            for (int p = 0; p < k; p++)
            {
                double xr = x.Re[i * k + p], xi = x.Im[i * k + p];
                if (xr == 0 && xi == 0) continue;
                var yr = y.Re.AsSpan(p * n, n);
                var yi = y.Im.AsSpan(p * n, n);
                TensorPrimitives.MultiplyAdd(yr, xr, cr, cr);
                TensorPrimitives.MultiplyAdd(yi, -xi, cr, cr);
                TensorPrimitives.MultiplyAdd(yi, xr, ci, ci);
                TensorPrimitives.MultiplyAdd(yr, xi, ci, ci);
            }
        });
    }
}
