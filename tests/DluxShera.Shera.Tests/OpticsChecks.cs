using DluxShera.Shera;
using DluxShera.Shera.Optics;
using Xunit;
using Xunit.Abstractions;

namespace DluxShera.Tests;

/// <summary>The checks of SHERA_MODEL §4.</summary>
public class OpticsChecks(ITestOutputHelper output)
{
    [Theory]
    [InlineData("testbed-2p-test", 0.35503)]
    [InlineData("flight-2p-test", 0.12321)]
    [InlineData("testbed-2p-production", 0.35503)]
    [InlineData("flight-2p-production", 0.12321)]
    public void Preset_plate_scales(string preset, double expected) =>
        Assert.Equal(expected, SheraTestModels.Preset(preset).Optics.ToConfig().NominalPlateScale, 5);

    [Theory]
    [InlineData(1, 0, 0)] [InlineData(2, 1, 1)] [InlineData(3, 1, -1)] [InlineData(4, 2, 0)] [InlineData(5, 2, -2)] [InlineData(6, 2, 2)]
    [InlineData(7, 3, -1)] [InlineData(8, 3, 1)] [InlineData(9, 3, -3)] [InlineData(10, 3, 3)] [InlineData(11, 4, 0)] [InlineData(22, 6, 0)]
    public void Noll_indices_map_to_n_m(int j, int n, int m) => Assert.Equal((n, m), Zernike.NollToNm(j));

    // Noll (1976), Table 1, written out: Z_j(ρ, θ) for j = 1…13 (even j cos, odd j sin), unit RMS over the disk.
    private static readonly Func<double, double, double>[] NollTable =
    [
        (r, t) => 1,
        (r, t) => 2 * r * Math.Cos(t),
        (r, t) => 2 * r * Math.Sin(t),
        (r, t) => Math.Sqrt(3) * (2 * r * r - 1),
        (r, t) => Math.Sqrt(6) * r * r * Math.Sin(2 * t),
        (r, t) => Math.Sqrt(6) * r * r * Math.Cos(2 * t),
        (r, t) => Math.Sqrt(8) * (3 * r * r * r - 2 * r) * Math.Sin(t),
        (r, t) => Math.Sqrt(8) * (3 * r * r * r - 2 * r) * Math.Cos(t),
        (r, t) => Math.Sqrt(8) * r * r * r * Math.Sin(3 * t),
        (r, t) => Math.Sqrt(8) * r * r * r * Math.Cos(3 * t),
        (r, t) => Math.Sqrt(5) * (6 * Math.Pow(r, 4) - 6 * r * r + 1),
        (r, t) => Math.Sqrt(10) * (4 * Math.Pow(r, 4) - 3 * r * r) * Math.Cos(2 * t),
        (r, t) => Math.Sqrt(10) * (4 * Math.Pow(r, 4) - 3 * r * r) * Math.Sin(2 * t),
    ];

    [Fact]
    public void Zernike_values_are_nolls_closed_forms_on_the_disk_and_its_edge_and_zero_outside()
    {
        double[] radii = [0, 0.3, 0.71, 1.0];
        double[] angles = [0.4, 1.9, -2.6];
        for (int j = 1; j <= NollTable.Length; j++)
        {
            foreach (double rho in radii)
            {
                foreach (double theta in angles)
                {
                    Assert.True(Math.Abs(NollTable[j - 1](rho, theta) - Zernike.Value(j, rho, theta)) < 1e-12, $"Z{j}({rho}, {theta})");
                }
            }
            Assert.Equal(0.0, Zernike.Value(j, 1.0 + 1e-9, 0.4));
        }
    }

    [Theory]
    [InlineData(4)] [InlineData(5)] [InlineData(8)] [InlineData(11)] [InlineData(15)]
    public void Zernikes_have_unit_rms_over_the_unit_disk(int j)
    {
        const int n = 512;
        var z = Zernike.OnGrid(j, n, 2.0 / n, 1.0);
        double sum = 0;
        int count = 0;
        double c = (n - 1) / 2.0;
        for (int r = 0; r < n; r++)
        {
            for (int col = 0; col < n; col++)
            {
                double x = (col - c) * 2.0 / n, y = (r - c) * 2.0 / n;
                if (x * x + y * y > 1) continue;
                sum += z[r * n + col] * z[r * n + col];
                count++;
            }
        }
        Assert.Equal(1.0, Math.Sqrt(sum / count), 2);
    }

    [Fact]
    public void Moving_a_star_by_one_pixel_shifts_the_image_by_one_column()
    {
        var o = SheraTestModels.Preset("testbed-2p-test");
        var model = new OpticalModel(o.Optics.ToConfig());
        var p = SheraTestModels.Nominal(model.Config);
        int d = model.Config.PsfNpix;
        var a = model.StarImage(p, 0, 0);
        var b = model.StarImage(p, p.PlateScaleAsPerPix, 0);
        double peak = a.Max(), worst = 0;
        for (int row = 0; row < d; row++)
        {
            for (int col = 0; col < d - 1; col++) worst = Math.Max(worst, Math.Abs(b[row * d + col + 1] - a[row * d + col]));
        }
        output.WriteLine($"max |shifted − original| / peak = {worst / peak:E2}");
        Assert.True(worst / peak < 1e-12, $"{worst / peak:E2}");
    }

    [Fact]
    public void Binary_image_is_the_flux_weighted_sum_of_single_star_psfs()
    {
        var o = SheraTestModels.Preset("testbed-2p-test");
        var model = new OpticalModel(o.Optics.ToConfig());
        var p = SheraTestModels.Nominal(model.Config);
        p.PositionAngleDeg = 33;
        p.XAs = 0.4;
        p.YAs = -0.2;
        var binary = (double[])model.Forward(p).Clone();
        var ((ax, ay), (bx, by)) = p.StarPositions;
        var (fa, fb) = p.RawFluxes;
        var psfA = model.StarImage(p, ax, ay);
        var psfB = model.StarImage(p, bx, by);
        double peak = binary.Max();
        for (int i = 0; i < binary.Length; i++) Assert.True(Math.Abs(binary[i] - (fa * psfA[i] + fb * psfB[i])) <= 1e-12 * peak);
    }
}

public class DiffractivePupilTests
{
    [Fact]
    public void A_user_npy_map_is_resampled_onto_the_pupil_and_changes_the_psf()
    {
        using var tmp = RepoPaths.Temp();
        string path = tmp.Combine("pupil.npy");
        var map = new double[40 * 40];
        for (int r = 0; r < 40; r++)
        {
            for (int c = 0; c < 40; c++) map[r * 40 + c] = (r / 5 + c / 5) % 2;
        }
        DluxShera.Numpy.NpyFile.Save(path, new DluxShera.Contracts.NdArray(map, 40, 40));
        var opd = DiffractivePupil.Opd("npy", 64, path, 0, 0);
        Assert.Equal(new[] { 0.0, DiffractivePupil.DesignWavelength / 2 }, opd.Distinct().Order());
        // Pupil pixel (0, 0) maps to map pixel (0, 0) = 0; pupil (0, 8) to map (0, 5) = 1.
        Assert.Equal(0.0, opd[0]);
        Assert.Equal(DiffractivePupil.DesignWavelength / 2, opd[8]);

        var withMap = new OpticalModel(SheraTestModels.Preset("testbed-2p-test", o => { o.DiffractivePupil = "npy"; o.DiffractivePupilPath = path; }).Optics.ToConfig());
        var without = new OpticalModel(SheraTestModels.Preset("testbed-2p-test", o => o.DiffractivePupil = "none").Optics.ToConfig());
        var p = SheraTestModels.Nominal(without.Config);
        var a = withMap.StarImage(p, 0, 0);
        var b = without.StarImage(p, 0, 0);
        Assert.True(a.Zip(b, (x, y) => Math.Abs(x - y)).Max() > 0.1 * b.Max());
    }

    [Fact]
    public void A_non_binary_map_is_refused_naming_the_file()
    {
        using var tmp = RepoPaths.Temp();
        string path = tmp.Combine("bad.npy");
        DluxShera.Numpy.NpyFile.Save(path, new DluxShera.Contracts.NdArray(new[] { 0.0, 0.5, 1.0, 1.0 }, 2, 2));
        var e = Assert.Throws<ArgumentException>(() => DiffractivePupil.Opd("npy", 8, path, 0, 0));
        Assert.Contains(path, e.Message);
        Assert.Contains("only 0 and 1", e.Message);
    }
}
