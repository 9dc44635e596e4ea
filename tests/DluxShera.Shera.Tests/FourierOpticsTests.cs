using DluxShera.Shera.Optics;
using Xunit;

namespace DluxShera.Tests;

/// <summary>
/// The optical model against exact Fourier-optics identities that hold whatever the pupil looks like: Parseval
/// (a focal grid that is exactly the DFT grid of the pupil captures all the light, Σ image = F_A + F_B, for any
/// aberration or star position), the shift theorem in both axes, linearity in the spectrum, and the closed forms of
/// the parameterisation (fluxes, star positions, wavelengths, focal length). A sign, a lost 2π, λ where λ/D belongs
/// or a plate scale in the wrong unit breaks one of them.
/// </summary>
public class FourierOpticsTests
{
    // D = 0.1 m on N = 64 pupil pixels; Q = psf_npix × oversample = 32 × 2 = 64 = N focal samples.
    private static OpticalConfig Config(int nLambda = 1, double bandwidth = 0, int struts = 3, string pupil = "generated") => new()
    {
        M1Diameter = 0.1, M2Diameter = 0.03, M1FocalLength = 0.5, M2FocalLength = -0.1, MirrorSeparation = 0.42,
        Struts = struts, StrutWidth = 0.004, StrutRotationDeg = 15, PixelPitch = 6.5e-6, ReadNoise = 1,
        CenterWavelength = 600e-9, Bandwidth = bandwidth, NLambda = nLambda, PupilNpix = 64, PsfNpix = 32, Oversample = 2,
        PrimaryNoll = [4, 5, 6, 7, 8, 9, 10, 11], DiffractivePupil = pupil, DiffractivePupilSeed = 3, DiffractivePupilFeature = 0.1,
    };

    // The focal sample dθ = plate scale / oversample; it is the pupil's DFT frequency step λ/(N·dx) = λ/D when the
    // plate scale is oversample·λ/D (in arcsec per pixel).
    private static double DftPlateScale(OpticalConfig c, double lambda) => c.Oversample * lambda / c.M1Diameter * OpticalConfig.ArcsecPerRadian;

    private static SheraParameters Parameters(OpticalConfig c, double plateScale, double[] zernikesNm) => new()
    {
        SeparationAs = 1.3, PositionAngleDeg = 37, XAs = 0.21, YAs = -0.34, LogFluxTotal = Math.Log10(5000), Contrast = 1.5,
        PlateScaleAsPerPix = plateScale, PrimaryZernikesNm = zernikesNm,
    };

    [Theory]
    [InlineData(0.0)]
    [InlineData(40.0)]
    [InlineData(-150.0)]
    public void On_the_pupils_own_dft_grid_the_detector_holds_all_the_light_whatever_the_aberrations(double zernikeScaleNm)
    {
        // Parseval: with Q = N and dθ = λ/D the centred MFT is √N times a unitary DFT and s = dx·dθ/λ = 1/N, so
        // Σ|Out|² = Σ|E|² = 1 per star, and the binned image sums to F_A + F_B = 5000 exactly; the obscured,
        // strutted, diffractive pupil with any Zernikes and off-centre stars changes where the light goes, not how much.
        var c = Config();
        var model = new OpticalModel(c);
        double[] zernikes = [.. Enumerable.Range(0, 8).Select(k => zernikeScaleNm * Math.Cos(1.7 * k))];
        var image = model.Forward(Parameters(c, DftPlateScale(c, c.CenterWavelength), zernikes));
        Assert.Equal(5000.0, image.Sum(), 1e-8);

        // A coarser or finer focal grid is not the DFT grid: the same image then holds a different total.
        var off = model.Forward(Parameters(c, 1.5 * DftPlateScale(c, c.CenterWavelength), zernikes));
        Assert.True(Math.Abs(off.Sum() - 5000) > 1, $"Σ image = {off.Sum()} on a grid 1.5× coarser");
    }

    [Fact]
    public void The_light_is_where_the_airy_core_puts_it_and_moves_with_lambda_over_d()
    {
        // A clear circular pupil and one star on axis, on the DFT grid: all of the unit flux is on the detector, and the
        // PSF is symmetric about the axis, which an even detector puts between its four middle pixels.
        var c = Config(struts: 0, pupil: "none") with { M2Diameter = 0 };
        var model = new OpticalModel(c);
        var p = Parameters(c, DftPlateScale(c, c.CenterWavelength), new double[8]);
        var single = model.StarImage(p, 0, 0);
        Assert.Equal(1.0, single.Sum(), 1e-10);
        // The star is centred between the four middle detector pixels (even psf_npix), which share the core equally.
        int d = c.PsfNpix, m = d / 2;
        double[] core = [single[(m - 1) * d + m - 1], single[(m - 1) * d + m], single[m * d + m - 1], single[m * d + m]];
        Assert.All(core, v => Assert.Equal(core[0], v, 1e-12));
        Assert.Equal(single.Max(), core[0]);
        // Doubling λ at a fixed plate scale doubles the PSF's angular size: it is the same PSF on a grid with half
        // the plate scale — compared sample for sample.
        var wide = new OpticalModel(c with { CenterWavelength = 2 * c.CenterWavelength }).StarImage(p, 0, 0);
        var halfScale = model.StarImage(Parameters(c, p.PlateScaleAsPerPix / 2, new double[8]), 0, 0);
        for (int i = 0; i < wide.Length; i++) Assert.Equal(halfScale[i], wide[i], 1e-12);
    }

    [Fact]
    public void Moving_a_star_by_one_pixel_in_y_shifts_the_image_by_one_row_and_x_by_one_column()
    {
        // Shift theorem on the detector: +y is increasing row, +x increasing column, one plate-scale step = one pixel.
        var c = Config();
        var model = new OpticalModel(c);
        var p = Parameters(c, 0.9 * DftPlateScale(c, c.CenterWavelength), [.. Enumerable.Range(0, 8).Select(k => 20.0 * Math.Sin(k + 1))]);
        int d = c.PsfNpix;
        var a = model.StarImage(p, 0.1, -0.05);
        var down = model.StarImage(p, 0.1, -0.05 + p.PlateScaleAsPerPix);
        var right = model.StarImage(p, 0.1 + p.PlateScaleAsPerPix, -0.05);
        double peak = a.Max(), worstRow = 0, worstCol = 0, notSwapped = 0;
        for (int row = 0; row < d - 1; row++)
        {
            for (int col = 0; col < d - 1; col++)
            {
                worstRow = Math.Max(worstRow, Math.Abs(down[(row + 1) * d + col] - a[row * d + col]));
                worstCol = Math.Max(worstCol, Math.Abs(right[row * d + col + 1] - a[row * d + col]));
                notSwapped = Math.Max(notSwapped, Math.Abs(down[row * d + col + 1] - a[row * d + col]));
            }
        }
        Assert.True(worstRow < 1e-9 * peak, $"row shift: {worstRow / peak:E2} of the peak");
        Assert.True(worstCol < 1e-9 * peak, $"column shift: {worstCol / peak:E2} of the peak");
        Assert.True(notSwapped > 1e-3 * peak, "a y step must not move the image along x");
    }

    [Fact]
    public void A_polychromatic_image_is_the_weighted_sum_of_its_monochromatic_images()
    {
        // Linearity in the spectrum, with the wavelengths linspace(λc − bw/2, λc + bw/2, n) and weights 1/n.
        var c = Config(nLambda: 3, bandwidth: 120e-9);
        Assert.Equal(3, c.Wavelengths.Length);
        Assert.Equal(540e-9, c.Wavelengths[0], 1e-21);
        Assert.Equal(600e-9, c.Wavelengths[1], 1e-21);
        Assert.Equal(660e-9, c.Wavelengths[2], 1e-21);
        Assert.Equal([1 / 3.0, 1 / 3.0, 1 / 3.0], c.Weights);
        var p = Parameters(c, 0.8 * DftPlateScale(c, 600e-9), [.. Enumerable.Range(0, 8).Select(k => 15.0 * Math.Cos(k))]);
        var poly = (double[])new OpticalModel(c).Forward(p).Clone();
        var sum = new double[poly.Length];
        foreach (double lambda in c.Wavelengths)
        {
            var mono = new OpticalModel(c with { NLambda = 1, Bandwidth = 0, CenterWavelength = lambda }).Forward(p);
            for (int i = 0; i < sum.Length; i++) sum[i] += mono[i] / 3;
        }
        double peak = poly.Max();
        for (int i = 0; i < poly.Length; i++) Assert.True(Math.Abs(poly[i] - sum[i]) <= 1e-12 * peak, $"pixel {i}: {poly[i]} vs {sum[i]}");
        Assert.Equal([600e-9], (c with { NLambda = 1 }).Wavelengths);
    }

    [Fact]
    public void Fluxes_and_star_positions_follow_their_definitions()
    {
        // F_B = 10^L/(1 + c), F_A = c·F_B; A = mid + (s/2)(sin PA, cos PA): PA is measured from +y towards +x.
        var p = new SheraParameters { LogFluxTotal = Math.Log10(300), Contrast = 2, SeparationAs = 4, PositionAngleDeg = 90, XAs = 1, YAs = -1 };
        var (fa, fb) = p.RawFluxes;
        Assert.Equal(200, fa, 1e-9);
        Assert.Equal(100, fb, 1e-9);
        var ((ax, ay), (bx, by)) = p.StarPositions;
        Assert.Equal((3.0, -1.0), (Math.Round(ax, 12), Math.Round(ay, 12)));
        Assert.Equal((-1.0, -1.0), (Math.Round(bx, 12), Math.Round(by, 12)));
        p.PositionAngleDeg = 0;
        Assert.Equal((1.0, 1.0), (Math.Round(p.StarPositions.A.X, 12), Math.Round(p.StarPositions.A.Y, 12)));

        // Clone is deep: changing the original's arrays or scalars afterwards leaves the copy as it was.
        p.PrimaryZernikesNm = [1];
        p.SecondaryZernikesNm = [2];
        p.PlateScaleAsPerPix = 0.5;
        var q = p.Clone();
        p.PrimaryZernikesNm[0] = 5;
        p.SecondaryZernikesNm[0] = 6;
        p.XAs = 9;
        Assert.Equal([1.0], q.PrimaryZernikesNm);
        Assert.Equal([2.0], q.SecondaryZernikesNm);
        Assert.Equal((1.0, -1.0, 4.0, 0.0, Math.Log10(300), 2.0, 0.5), (q.XAs, q.YAs, q.SeparationAs, q.PositionAngleDeg, q.LogFluxTotal, q.Contrast, q.PlateScaleAsPerPix));
    }

    [Fact]
    public void The_system_focal_length_and_plate_scale_are_the_two_mirror_formulas()
    {
        // 1/f = 1/f1 + 1/f2 − d/(f1 f2): f1 = 0.5, f2 = −0.1, d = 0.42 → 1/f = 2 − 10 + 8.4 = 0.4, f = 2.5 m;
        // plate scale = pitch/f rad = 6.5e-6/2.5 · 206264.806… = 0.53628849… arcsec per pixel.
        var c = Config();
        Assert.Equal(2.5, c.FocalLength, 12);
        Assert.Equal(6.5e-6 / 2.5 * 206264.80624709636, c.NominalPlateScale, 12);
        Assert.Equal(206264.80624709636, OpticalConfig.ArcsecPerRadian, 9);
    }
}
