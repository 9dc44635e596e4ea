using System.Runtime.InteropServices;

namespace DluxShera.Shera.Optics;

/// <summary>
/// The system BLAS (OpenBLAS, else any CBLAS) through P/Invoke, when one is installed; the focal-plane
/// transforms then run as real <c>dgemm</c>s on the split real/imaginary arrays (4 per complex product).
/// Set <c>DLUXSHERA_BLAS=managed</c> to force the managed kernel. Nothing here is required: without a
/// system BLAS the managed kernel is used and results agree to rounding.
/// </summary>
public static unsafe class NativeBlas
{
    private const int RowMajor = 101, NoTrans = 111;
    private static readonly delegate* unmanaged<int, int, int, int, int, int, double, double*, int, double*, int, double, double*, int, void> Dgemm;

    static NativeBlas()
    {
        if (Environment.GetEnvironmentVariable("DLUXSHERA_BLAS") == "managed") return;
        foreach (string name in new[] { "libopenblas.so.0", "libopenblas.so", "libcblas.so.3", "libblas.so.3", "libopenblas.dylib", "libopenblas.dll" })
        {
            if (NativeLibrary.TryLoad(name, out var handle) && NativeLibrary.TryGetExport(handle, "cblas_dgemm", out var dgemm))
            {
                Dgemm = (delegate* unmanaged<int, int, int, int, int, int, double, double*, int, double*, int, double, double*, int, void>)dgemm;
                Library = name;
                return;
            }
        }
    }

    /// <summary>The library in use, or null for the managed kernel.</summary>
    public static string? Library { get; }

    /// <summary>Whether a system BLAS is in use.</summary>
    public static bool Available => Dgemm != null;

    /// <summary>C = X·Y for split complex matrices with four real dgemms. Requires <see cref="Available"/>.</summary>
    /// <param name="x">m×k.</param>
    /// <param name="y">k×n.</param>
    /// <param name="c">m×n, overwritten.</param>
    public static void Multiply(ComplexMatrix x, ComplexMatrix y, ComplexMatrix c)
    {
        int m = x.Rows, k = x.Cols, n = y.Cols;
        fixed (double* xr = x.Re, xi = x.Im, yr = y.Re, yi = y.Im, cr = c.Re, ci = c.Im)
        {
            Dgemm(RowMajor, NoTrans, NoTrans, m, n, k, 1.0, xr, k, yr, n, 0.0, cr, n);
            Dgemm(RowMajor, NoTrans, NoTrans, m, n, k, -1.0, xi, k, yi, n, 1.0, cr, n);
            Dgemm(RowMajor, NoTrans, NoTrans, m, n, k, 1.0, xr, k, yi, n, 0.0, ci, n);
            Dgemm(RowMajor, NoTrans, NoTrans, m, n, k, 1.0, xi, k, yr, n, 1.0, ci, n);
        }
    }

    /// <summary>Real row-major C (m×n) = A (m×k)·B (k×n) with one dgemm. Requires <see cref="Available"/>.</summary>
    public static void MultiplyReal(double[] a, double[] b, double[] c, int m, int k, int n)
    {
        fixed (double* pa = a, pb = b, pc = c) Dgemm(RowMajor, NoTrans, NoTrans, m, n, k, 1.0, pa, k, pb, n, 0.0, pc, n);
    }
}
