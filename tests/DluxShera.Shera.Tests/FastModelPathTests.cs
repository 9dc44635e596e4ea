using System.Numerics;
using DluxShera.Shera;
using DluxShera.Shera.Optics;
using Xunit;
using Xunit.Abstractions;

namespace DluxShera.Tests;

/// <summary>
/// The shortcuts of the CPU model's fast path against the dense operations they replace: the pruned axis-by-axis
/// Fresnel step against the whole 2-D step (Math.NET's FFT, pad and crop done the long way), the folded products of
/// the centred DFT matrices against dense complex products, and the three-plane gradient and tangent against
/// differences of the model itself.
/// </summary>
public unsafe class FastModelPathTests(ITestOutputHelper output)
{
    // A 1-D kernel like the Fresnel one (unit modulus, even in frequency), for sizes small enough to check densely.
    private static Complex[] Kernel(int size, double strength) =>
        Enumerable.Range(0, size).Select(j =>
        {
            double f = j < (size + 1) / 2 ? j : j - size;
            return Complex.FromPolarCoordinates(1, -strength * f * f);
        }).ToArray();

    // IFFT₂(K·FFT₂(x)) with K[r, c] = k[r]·k[c] (or its conjugate), through Math.NET's 2-D path.
    private static ComplexMatrix Full(ComplexMatrix x, Complex[] k, bool conjugate)
    {
        int s = x.Rows;
        var y = new ComplexMatrix(s, s);
        x.Re.CopyTo(y.Re, 0);
        x.Im.CopyTo(y.Im, 0);
        Fft2D.TransformManaged(y, inverse: false);
        for (int r = 0; r < s; r++)
        {
            for (int c = 0; c < s; c++)
            {
                var v = new Complex(y.Re[r * s + c], y.Im[r * s + c]) * (conjugate ? Complex.Conjugate(k[r] * k[c]) : k[r] * k[c]);
                (y.Re[r * s + c], y.Im[r * s + c]) = (v.Real, v.Imaginary);
            }
        }
        Fft2D.TransformManaged(y, inverse: true);
        return y;
    }

    [Theory]
    [InlineData(11, 3, false)] // odd N, odd offset: S = 33, block at (11, 11)
    [InlineData(16, 2, true)]
    [InlineData(12, 3, true)]
    public void Pruned_fresnel_step_equals_the_whole_2d_step(int n, int padding, bool conjugate)
    {
        int s = padding * n, offset = (padding - 1) * n / 2;
        var kernel = Kernel(s, 0.9);
        var fresnel = new SeparableFresnel(s, offset, n, [Kernel(s, 0.3), kernel]);
        int rowStart = 2, rowEnd = s - 3; // rows an M2 disk would cross
        var rng = new Random(5);
        var buffer = new NativeComplexBuffer(s * s);

        // Out of the block: the field is zero outside the N×N block; rows [rowStart, rowEnd) are wanted.
        var block = new ComplexMatrix(s, s);
        for (int r = offset; r < offset + n; r++)
        {
            for (int c = offset; c < offset + n; c++) (block.Re[r * s + c], block.Im[r * s + c]) = (rng.NextDouble() - 0.5, rng.NextDouble() - 0.5);
        }
        for (int i = 0; i < s * s; i++) buffer.Pointer[i] = new Complex(block.Re[i], block.Im[i]);
        fresnel.FromBlock(buffer.Pointer, 1, conjugate, rowStart, rowEnd);
        var expected = Full(block, kernel, conjugate);
        double worst = 0;
        for (int r = rowStart; r < rowEnd; r++)
        {
            for (int c = 0; c < s; c++) worst = Math.Max(worst, Complex.Abs(buffer.Pointer[r * s + c] - new Complex(expected.Re[r * s + c], expected.Im[r * s + c])));
        }
        output.WriteLine($"from the block: max error {worst:E2}");
        Assert.True(worst < 1e-14, $"from the block: {worst:E2}");

        // Into the block: the field is nonzero only in rows [rowStart, rowEnd); only the N×N block is kept.
        var rows = new ComplexMatrix(s, s);
        for (int r = rowStart; r < rowEnd; r++)
        {
            for (int c = 0; c < s; c++) (rows.Re[r * s + c], rows.Im[r * s + c]) = (rng.NextDouble() - 0.5, rng.NextDouble() - 0.5);
        }
        for (int i = 0; i < s * s; i++) buffer.Pointer[i] = new Complex(rows.Re[i], rows.Im[i]);
        fresnel.ToBlock(buffer.Pointer, 1, conjugate, rowStart, rowEnd);
        expected = Full(rows, kernel, conjugate);
        worst = 0;
        for (int r = offset; r < offset + n; r++)
        {
            for (int c = offset; c < offset + n; c++) worst = Math.Max(worst, Complex.Abs(buffer.Pointer[r * s + c] - new Complex(expected.Re[r * s + c], expected.Im[r * s + c])));
        }
        output.WriteLine($"into the block: max error {worst:E2}");
        Assert.True(worst < 1e-14, $"into the block: {worst:E2}");
    }

    [Theory]
    [InlineData(6, 4)]
    [InlineData(7, 5)] // middle row and column
    [InlineData(5, 8)]
    public void Folded_products_equal_dense_complex_products(int rows, int cols)
    {
        var rng = new Random(rows * 10 + cols);
        var m = new CentredDftMatrix(rows, cols);
        var dense = new ComplexMatrix(rows, cols);
        int halfRows = (rows + 1) / 2, halfCols = (cols + 1) / 2;
        for (int r = 0; r < halfRows; r++)
        {
            for (int k = 0; k < halfCols; k++)
            {
                double even = rng.NextDouble() - 0.5;
                // the odd part vanishes on a middle row or column
                double odd = 2 * r + 1 == rows || 2 * k + 1 == cols ? 0 : rng.NextDouble() - 0.5;
                m.Set(r, k, even, odd);
                foreach (var (rr, kk) in new[] { (r, k), (rows - 1 - r, k), (r, cols - 1 - k), (rows - 1 - r, cols - 1 - k) })
                {
                    int sign = (rr != r ? -1 : 1) * (kk != k ? -1 : 1);
                    dense.Re[rr * cols + kk] = even;
                    dense.Im[rr * cols + kk] = sign * odd;
                }
            }
        }
        var scratch = new FoldScratch();
        foreach (bool transpose in new[] { false, true })
        {
            foreach (bool conjugate in new[] { false, true })
            {
                // op(M) densely
                int opRows = transpose ? cols : rows, opCols = transpose ? rows : cols;
                var op = new ComplexMatrix(opRows, opCols);
                for (int r = 0; r < opRows; r++)
                {
                    for (int k = 0; k < opCols; k++)
                    {
                        int i = transpose ? k * cols + r : r * cols + k;
                        op.Re[r * opCols + k] = dense.Re[i];
                        op.Im[r * opCols + k] = conjugate ? -dense.Im[i] : dense.Im[i];
                    }
                }
                var right = Random(rng, opCols, 3);
                var left = Random(rng, 4, opRows);
                var expectedLeft = new ComplexMatrix(opRows, 3);
                var expectedRight = new ComplexMatrix(4, opCols);
                ComplexMatrix.MultiplyManaged(op, right, expectedLeft);
                ComplexMatrix.MultiplyManaged(left, op, expectedRight);
                var gotLeft = new ComplexMatrix(opRows, 3);
                var gotRight = new ComplexMatrix(4, opCols);
                m.MultiplyLeft(right, gotLeft, transpose, conjugate, scratch);
                m.MultiplyRight(left, gotRight, transpose, conjugate, scratch);
                Assert.True(MaxDifference(gotLeft, expectedLeft) < 1e-14, $"op(M)·x, transpose {transpose}, conjugate {conjugate}: {MaxDifference(gotLeft, expectedLeft):E2}");
                Assert.True(MaxDifference(gotRight, expectedRight) < 1e-14, $"x·op(M), transpose {transpose}, conjugate {conjugate}: {MaxDifference(gotRight, expectedRight):E2}");
            }
        }
    }

    private static ComplexMatrix Random(Random rng, int rows, int cols)
    {
        var x = new ComplexMatrix(rows, cols);
        for (int i = 0; i < x.Re.Length; i++) (x.Re[i], x.Im[i]) = (rng.NextDouble() - 0.5, rng.NextDouble() - 0.5);
        return x;
    }

    private static double MaxDifference(ComplexMatrix a, ComplexMatrix b)
    {
        double worst = 0;
        for (int i = 0; i < a.Re.Length; i++) worst = Math.Max(worst, Math.Abs(a.Re[i] - b.Re[i]) + Math.Abs(a.Im[i] - b.Im[i]));
        return worst;
    }

    private static SheraObjective ThreePlaneObjective() => new(SheraTestModels.Preset("testbed-3p-test", optics =>
    {
        optics.PupilNpix = 32;
        optics.PsfNpix = 32;
        optics.Oversample = 2;
        optics.NLambda = 2;
    }, o => o.Truth = new System.Text.Json.Nodes.JsonObject { ["binary.separation_as"] = 10.001, ["binary.contrast"] = 3.5 }));

    private static double[] AwayFromNominal(SheraObjective objective)
    {
        var theta = new double[objective.IndexMap.Dimension];
        objective.GetInitialTheta(theta);
        theta[1] += 0.5;
        theta[2] += 0.03;
        theta[3] -= 0.02;
        for (int k = 7; k < theta.Length; k++) theta[k] = 3.0 * Math.Sin(k); // M1 and M2 Zernikes (nm)
        return theta;
    }

    [Fact]
    public void Three_plane_gradient_matches_central_differences_for_every_parameter()
    {
        var objective = ThreePlaneObjective();
        Assert.Equal(23, objective.IndexMap.Dimension); // 7 + 8 primary + 8 secondary Zernikes
        SheraTestModels.AssertGradientMatchesDifferences(objective, AwayFromNominal(objective), [1e-4, 1e-3, 1e-4, 1e-4, 1e-5, 1e-5, 1e-6], output.WriteLine);
    }

    [Fact]
    public void Three_plane_tangent_is_the_adjoint_of_the_reverse_pass() =>
        SheraTestModels.AssertForwardMatchesReverse(ThreePlaneObjective(), AwayFromNominal(ThreePlaneObjective()));
}
