using System.Numerics.Tensors;

namespace DluxShera.Shera.Optics;

/// <summary>Real row-major C = A·B: the system BLAS's dgemm for large products, else a managed kernel parallel over rows.</summary>
internal static class RealGemm
{
    // Below this many multiply-adds a BLAS call's threading overhead outweighs its speed.
    private const long BlasThreshold = 2_000_000;

    /// <summary>C (m×n) = A (m×k) · B (k×n); the arrays may be longer than the matrices.</summary>
    public static void Multiply(double[] a, double[] b, double[] c, int m, int k, int n)
    {
        if (NativeBlas.Available && (long)m * k * n >= BlasThreshold)
        {
            NativeBlas.MultiplyReal(a, b, c, m, k, n);
            return;
        }
        MultiplyManaged(a, b, c, m, k, n);
    }

    /// <summary>The managed kernel of <see cref="Multiply"/> (skips zero entries of A: pupils are zero outside the aperture).</summary>
    public static void MultiplyManaged(double[] a, double[] b, double[] c, int m, int k, int n)
    {
        Parallel.For(0, m, i =>
        {
            var row = c.AsSpan(i * n, n);
            row.Clear();
            for (int p = 0; p < k; p++)
            {
                double v = a[i * k + p];
                if (v != 0) TensorPrimitives.MultiplyAdd(b.AsSpan(p * n, n), v, row, row);
            }
        });
    }
}
