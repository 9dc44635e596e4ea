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
        if (!NativeBlas.Available)
        {
            if (Environment.GetEnvironmentVariable("CI") == "true") throw new InvalidOperationException("CI=true but no system BLAS was found (.ci/run installs libopenblas0)");
            Skip.If(true, "no system BLAS (apt-get install libopenblas0)");
        }
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
