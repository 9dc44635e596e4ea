using DluxShera.Shera.Optics;
using Xunit;

namespace DluxShera.Tests;

public class ComplexMatrixTests
{
    private static ComplexMatrix Random(int rows, int cols, int seed)
    {
        var rng = new Random(seed);
        var m = new ComplexMatrix(rows, cols);
        for (int i = 0; i < m.Re.Length; i++)
        {
            m.Re[i] = rng.NextDouble() - 0.5;
            m.Im[i] = rng.NextDouble() - 0.5;
        }
        return m;
    }

    [Fact]
    public void Managed_kernel_matches_the_definition()
    {
        var x = Random(7, 5, 1);
        var y = Random(5, 9, 2);
        var c = new ComplexMatrix(7, 9);
        ComplexMatrix.MultiplyManaged(x, y, c);
        for (int i = 0; i < 7; i++)
        {
            for (int j = 0; j < 9; j++)
            {
                double re = 0, im = 0;
                for (int k = 0; k < 5; k++)
                {
                    re += x.Re[i * 5 + k] * y.Re[k * 9 + j] - x.Im[i * 5 + k] * y.Im[k * 9 + j];
                    im += x.Re[i * 5 + k] * y.Im[k * 9 + j] + x.Im[i * 5 + k] * y.Re[k * 9 + j];
                }
                Assert.Equal(re, c.Re[i * 9 + j], 12);
                Assert.Equal(im, c.Im[i * 9 + j], 12);
            }
        }
    }

    [SkippableFact]
    public void System_blas_path_agrees_with_the_managed_kernel()
    {
        TestRequirement.SkipUnless(NativeBlas.Available, "a system BLAS (libopenblas0)", "apt-get install libopenblas0");
        var x = Random(200, 150, 3);
        var y = Random(150, 180, 4);
        var managed = new ComplexMatrix(200, 180);
        var blas = new ComplexMatrix(200, 180);
        ComplexMatrix.MultiplyManaged(x, y, managed);
        NativeBlas.Multiply(x, y, blas);
        for (int i = 0; i < managed.Re.Length; i++)
        {
            Assert.Equal(managed.Re[i], blas.Re[i], 1e-12);
            Assert.Equal(managed.Im[i], blas.Im[i], 1e-12);
        }
    }
}

public class FftTests
{
    [SkippableFact]
    public void Fftw_path_agrees_with_the_managed_transform_at_a_mixed_radix_size()
    {
        TestRequirement.SkipUnless(NativeFft.Available, "FFTW (libfftw3-double3)", "apt-get install libfftw3-double3");
        foreach (bool inverse in new[] { false, true })
        {
            var rng = new Random(inverse ? 1 : 2);
            var a = new ComplexMatrix(96, 96);
            for (int i = 0; i < a.Re.Length; i++)
            {
                a.Re[i] = rng.NextDouble() - 0.5;
                a.Im[i] = rng.NextDouble() - 0.5;
            }
            var b = new ComplexMatrix(96, 96);
            a.Re.CopyTo(b.Re, 0);
            a.Im.CopyTo(b.Im, 0);
            NativeFft.Transform(a, inverse);
            Fft2D.TransformManaged(b, inverse);
            for (int i = 0; i < a.Re.Length; i++)
            {
                Assert.Equal(b.Re[i], a.Re[i], 1e-10);
                Assert.Equal(b.Im[i], a.Im[i], 1e-10);
            }
        }
    }

    [Fact]
    public void Managed_transform_of_a_single_frequency_is_a_delta()
    {
        const int n = 12;
        var m = new ComplexMatrix(n, n);
        for (int r = 0; r < n; r++)
        {
            for (int c = 0; c < n; c++)
            {
                double phase = 2 * Math.PI * (2.0 * c + 3.0 * r) / n;
                m.Re[r * n + c] = Math.Cos(phase);
                m.Im[r * n + c] = Math.Sin(phase);
            }
        }
        Fft2D.TransformManaged(m, inverse: false);
        for (int i = 0; i < n * n; i++)
        {
            double expected = i == 3 * n + 2 ? n * n : 0;
            Assert.Equal(expected, m.Re[i], 1e-9);
            Assert.Equal(0, m.Im[i], 1e-9);
        }
    }
}
