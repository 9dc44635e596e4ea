using DluxShera.Shera;
using DluxShera.Shera.Optics;
using Xunit;
using Xunit.Abstractions;

namespace DluxShera.Tests;

/// <summary>
/// The SHERA optics against closed forms: Gaussian-beam Fresnel propagation, the obscured Airy pattern,
/// aperture areas, M2 defocus seen through the pupil, and the threshold crossing rate of the generated
/// diffractive pupil (Rice's formula).
/// </summary>
public class AnalyticOpticsTests(ITestOutputHelper output)
{
    private const double ArcsecPerRadian = 180 * 3600 / Math.PI;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Fresnel_step_propagates_a_gaussian_beam_as_the_paraxial_closed_form(bool conjugate)
    {
        // Transfer function exp(∓iπλz f²) on exp(−r²/w₀²) gives exp(−r²/(w₀²(1 ± iζ)))/(1 ± iζ), ζ = λz/(πw₀²).
        var config = SheraTestModels.Preset("testbed-3p-test").Optics.ToConfig(3);
        var m2 = new OpticalModel(config).SecondaryMirror!;
        int size = m2.PaddedSize, l = 1;
        double dx = config.M1Diameter / config.PupilNpix, w0 = 3 * dx, lambda = config.Wavelengths[l];
        double zeta = (conjugate ? -1 : 1) * lambda * m2.Distance / (Math.PI * w0 * w0);
        Assert.InRange(Math.Abs(zeta), 0.01, 0.1); // a visible phase curvature, a well-sampled beam
        var field = new ComplexMatrix(size, size);
        for (int row = 0; row < size; row++)
        {
            for (int col = 0; col < size; col++) field.Re[row * size + col] = Math.Exp(-R2(row, col, size, dx) / (w0 * w0));
        }
        m2.Fresnel(field, l, conjugate);
        double worst = 0;
        for (int row = 0; row < size; row++)
        {
            for (int col = 0; col < size; col++)
            {
                var q = new System.Numerics.Complex(1, zeta);
                var expected = System.Numerics.Complex.Exp(-R2(row, col, size, dx) / (w0 * w0 * q)) / q;
                int i = row * size + col;
                worst = Math.Max(worst, (new System.Numerics.Complex(field.Re[i], field.Im[i]) - expected).Magnitude);
            }
        }
        output.WriteLine($"ζ = {zeta:E3}: max |field − closed form| = {worst:E2}");
        Assert.True(worst < 1e-9, $"{worst:E2}");
    }

    private static double R2(int row, int col, int size, double dx)
    {
        double x = (col - size / 2) * dx, y = (row - size / 2) * dx;
        return x * x + y * y;
    }

    [Fact]
    public void Psf_captured_on_the_detector_converges_to_the_obscured_airy_fraction()
    {
        // One wavelength, no struts, no diffractive pupil: the PSF is the Airy pattern of an annulus
        // (ε = D₂/D₁), A(v) = 2J₁(v)/v − ε²·2J₁(εv)/(εv), ∫A² dA = 4π(1 − ε²). The detector captures the
        // part of it inside its square, integrated here independently of the model's transforms. A pupil
        // sampled on N pixels lacks the far diffraction tail of the true edge (its spectrum is periodic), so
        // it captures slightly more, by an excess ∝ 1/N (numpy gives 0.0053, 0.0028, 0.0013 at N = 128, 256, 512).
        double airy = double.NaN;
        double Captured(int pupilNpix)
        {
            var o = SheraTestModels.Preset("testbed-2p-test", optics =>
            {
                optics.DiffractivePupil = "none";
                optics.NStruts = 0;
                optics.NLambda = 1;
                optics.PupilNpix = pupilNpix;
            });
            var model = new OpticalModel(o.Optics.ToConfig());
            var p = SheraTestModels.Nominal(model.Config);
            if (double.IsNaN(airy)) airy = AiryFractionOnDetector(model.Config, p.PlateScaleAsPerPix);
            return model.StarImage(p, 0, 0).Sum();
        }
        double coarse = Captured(256) - airy;
        double fine = Captured(512) - airy;
        output.WriteLine($"obscured Airy fraction {airy:R}; PSF sum − Airy: {coarse:E3} (N = 256), {fine:E3} (N = 512)");
        Assert.InRange(airy, 0.9, 0.99); // the test would say nothing if the detector caught all or little
        Assert.InRange(fine, 0, 2e-3);
        Assert.InRange(coarse / fine, 1.6, 2.4);
    }

    private static double AiryFractionOnDetector(OpticalConfig c, double plateScaleAsPerPix)
    {
        double eps = c.M2Diameter / c.M1Diameter;
        double vPerPixel = Math.PI * c.M1Diameter * (plateScaleAsPerPix / ArcsecPerRadian) / c.CenterWavelength;
        double half = c.PsfNpix / 2.0 * vPerPixel;
        int m = 400; // midpoint rule over one quadrant of the square
        double h = half / m, integral = 0;
        for (int a = 0; a < m; a++)
        {
            for (int b = 0; b < m; b++)
            {
                double v = Math.Sqrt(((a + 0.5) * h) * ((a + 0.5) * h) + ((b + 0.5) * h) * ((b + 0.5) * h));
                double amp = Jinc(v) - eps * eps * Jinc(eps * v);
                integral += amp * amp;
            }
        }
        return 4 * integral * h * h / (4 * Math.PI * (1 - eps * eps));
    }

    /// <summary>2J₁(x)/x, J₁ from its Bessel integral by the trapezoidal rule (exact for a periodic integrand).</summary>
    private static double Jinc(double x)
    {
        if (x < 1e-8) return 1;
        const int n = 64; // exact to rounding for x ≲ 40 (the detector edge is at v ≈ 28)
        double j1 = 0;
        for (int k = 0; k < n; k++)
        {
            double tau = 2 * Math.PI * k / n;
            j1 += Math.Cos(x * Math.Sin(tau) - tau);
        }
        return 2 * (j1 / n) / x;
    }

    [Theory]
    [InlineData(0, 0.0)]
    [InlineData(0, 0.3)]
    [InlineData(4, 0.3)]
    [InlineData(3, 0.25)]
    public void Aperture_open_area_is_the_annulus_less_the_struts(int struts, double obstruction)
    {
        const int n = 512;
        const double d1 = 1.0, width = 0.02;
        double d2 = obstruction * d1;
        var t = Aperture.Transmission(n, d1, d2, struts, width, 45);
        double area = t.Sum() * (d1 / n) * (d1 / n);
        // Vanes run from the obstruction to the rim; with no obstruction they meet at the centre (overlap ~w²).
        double expected = Math.PI * (d1 * d1 - d2 * d2) / 4 - struts * width * (d1 - d2) / 2;
        output.WriteLine($"{struts} struts, ε = {obstruction}: area {area:F6}, expected {expected:F6}");
        Assert.Equal(expected, area, 2e-3 * expected);
    }

    [Fact]
    public void Struts_are_vanes_from_the_centre_outwards_at_the_given_rotation()
    {
        // Three vanes at 0°, 120°, 240°: the +x axis is blocked, the −x axis (180°) is open.
        const int n = 100;
        var t = Aperture.Transmission(n, 1.0, 0.2, 3, 0.05, 0);
        int mid = n / 2;
        Assert.Equal(0.0, t[mid * n + (mid + 30)]);
        Assert.Equal(1.0, t[mid * n + (mid - 30)]);
        Assert.Equal(0.0, t[mid * n + mid]);          // inside the obstruction
        Assert.Equal(0.0, t[0]);                       // outside the rim
        // Rotating by 60° moves a vane onto the −x axis... and off +x.
        var r = Aperture.Transmission(n, 1.0, 0.2, 3, 0.05, 60);
        Assert.Equal(1.0, r[mid * n + (mid + 30)]);
        Assert.Equal(0.0, r[mid * n + (mid - 30)]);
    }

    [Fact]
    public void M2_defocus_acts_as_primary_defocus_scaled_by_the_footprint_ratio_squared()
    {
        // The beam fills only the central R₁ of M2's (pupil-conjugate) radius R₂; defocus over M2,
        // a√3(2r²/R₂² − 1), is over the beam a·(R₁/R₂)²·√3(2r²/R₁² − 1) plus piston: primary defocus a(R₁/R₂)².
        var o = SheraTestModels.Preset("testbed-3p-test", optics =>
        {
            optics.DiffractivePupil = "none";
            optics.NLambda = 1;
        });
        var model = new OpticalModel(o.Optics.ToConfig(3));
        var c = model.Config;
        double ratio = c.M1Diameter / (c.M2Diameter * model.SecondaryMirror!.Magnification);
        var flat = SheraTestModels.Nominal(c);
        flat.SecondaryZernikesNm = new double[8];
        var viaM2 = flat.Clone();
        viaM2.SecondaryZernikesNm = new double[8];
        viaM2.SecondaryZernikesNm[0] = 200;
        var viaM1 = flat.Clone();
        viaM1.SecondaryZernikesNm = new double[8];
        viaM1.PrimaryZernikesNm = new double[8];
        viaM1.PrimaryZernikesNm[0] = 200 * ratio * ratio;

        var i0 = (double[])model.Forward(flat).Clone();
        var i2 = (double[])model.Forward(viaM2).Clone();
        var i1 = (double[])model.Forward(viaM1).Clone();
        double effect = Norm(i2, i0), mismatch = Norm(i2, i1);
        output.WriteLine($"(R₁/R₂)² = {ratio * ratio:F4}; ‖I(M2) − I(flat)‖ = {effect:E3}, ‖I(M2) − I(M1 equivalent)‖ = {mismatch:E3}");
        Assert.True(effect > 1e-3 * i0.Max() * Math.Sqrt(i0.Length), "the defocus must change the image visibly");
        Assert.True(mismatch < 0.05 * effect, $"mismatch {mismatch / effect:P2} of the effect");
    }

    private static double Norm(double[] a, double[] b) => Math.Sqrt(a.Zip(b, (x, y) => (x - y) * (x - y)).Sum());

    [Fact]
    public void Generated_diffractive_pupil_is_a_half_wave_binary_map_with_the_rice_crossing_rate()
    {
        // Thresholding a zero-mean Gaussian field with Gaussian covariance of width √2σ (white noise smoothed by
        // a Gaussian of width σ) crosses zero 1/(π√2σ) times per pixel along a line (Rice's formula).
        const int n = 256;
        foreach (double feature in new[] { 0.04, 0.08 })
        {
            var opd = DiffractivePupil.Opd("generated", n, null, 7, feature);
            Assert.Equal(new[] { 0.0, DiffractivePupil.DesignWavelength / 2 }, opd.Distinct().Order());
            double high = opd.Count(x => x > 0) / (double)opd.Length;
            Assert.InRange(high, 0.4, 0.6);
            int crossings = 0, pairs = 0;
            for (int row = 0; row < n; row++)
            {
                for (int col = 0; col < n - 1; col++, pairs++) if (opd[row * n + col] != opd[row * n + col + 1]) crossings++;
            }
            double sigma = feature * n / 2.355, rice = 1 / (Math.PI * Math.Sqrt(2) * sigma);
            double measured = crossings / (double)pairs;
            output.WriteLine($"feature {feature}: {measured:F4} crossings/pixel, Rice {rice:F4}");
            Assert.Equal(rice, measured, 0.15 * rice);
        }
        Assert.Equal(DiffractivePupil.Opd("generated", 64, null, 7, 0.04), DiffractivePupil.Opd("generated", 64, null, 7, 0.04));
        Assert.NotEqual(DiffractivePupil.Opd("generated", 64, null, 7, 0.04), DiffractivePupil.Opd("generated", 64, null, 8, 0.04));
    }
}

public class SeededRandomTests
{
    [Fact]
    public void Same_seed_same_stream_other_seed_other_stream()
    {
        var a = new SeededRandom(42);
        var b = new SeededRandom(42);
        var c = new SeededRandom(43);
        var xa = Enumerable.Range(0, 100).Select(_ => a.NextUInt64()).ToArray();
        Assert.Equal(xa, Enumerable.Range(0, 100).Select(_ => b.NextUInt64()).ToArray());
        Assert.NotEqual(xa, Enumerable.Range(0, 100).Select(_ => c.NextUInt64()).ToArray());
    }

    [Fact]
    public void Uniform_and_normal_have_their_moments_and_normal_its_one_sigma_mass()
    {
        const int n = 200_000;
        var rng = new SeededRandom(1);
        var u = Enumerable.Range(0, n).Select(_ => rng.NextDouble()).ToArray();
        Assert.All(u, x => Assert.InRange(x, 0.0, 0.9999999999999999));
        Assert.Equal(0.5, u.Average(), 5 * Math.Sqrt(1 / 12.0 / n));
        Assert.Equal(1 / 12.0, u.Select(x => (x - 0.5) * (x - 0.5)).Average(), 5 * Math.Sqrt(1 / 180.0 / n));

        var z = Enumerable.Range(0, n).Select(_ => rng.NextNormal()).ToArray();
        Assert.Equal(0.0, z.Average(), 5 / Math.Sqrt(n));
        Assert.Equal(1.0, z.Select(x => x * x).Average(), 5 * Math.Sqrt(2.0 / n));
        Assert.Equal(0.0, z.Select(x => x * x * x).Average(), 5 * Math.Sqrt(15.0 / n)); // symmetric
        double inside = z.Count(x => Math.Abs(x) < 1) / (double)n;
        Assert.Equal(0.6826894921370859, inside, 5 * Math.Sqrt(0.68 * 0.32 / n)); // erf(1/√2)
    }

    [Theory]
    [InlineData(0.3)]
    [InlineData(4.0)]
    [InlineData(25.0)]
    [InlineData(1e4)]
    public void Poisson_matches_its_pmf_mean_and_variance(double lambda)
    {
        const int n = 100_000;
        var rng = new SeededRandom(5);
        var k = Enumerable.Range(0, n).Select(_ => rng.NextPoisson(lambda)).ToArray();
        Assert.All(k, x => Assert.True(x >= 0 && x == Math.Floor(x)));
        double mean = k.Average(), variance = k.Select(x => (x - mean) * (x - mean)).Sum() / (n - 1);
        Assert.Equal(lambda, mean, 5 * Math.Sqrt(lambda / n));
        Assert.Equal(lambda, variance, 6 * lambda * Math.Sqrt((2 + 1 / lambda) / n));
        // χ² against e^{−λ}λᵏ/k! over the bins with ≥ 50 expected counts (tail bins pooled).
        int lo = (int)Math.Max(0, Math.Floor(lambda - 4 * Math.Sqrt(lambda))), hi = (int)Math.Ceiling(lambda + 4 * Math.Sqrt(lambda));
        double chi2 = 0;
        int bins = 0;
        for (int j = lo; j <= hi; j++)
        {
            double expected = n * Math.Exp(-lambda + j * Math.Log(lambda) - LogFactorial(j));
            if (expected < 50) continue;
            double observed = k.Count(x => x == j);
            chi2 += (observed - expected) * (observed - expected) / expected;
            bins++;
        }
        // χ²(bins) stays below bins + 5√(2·bins) except with probability < 1e-5.
        Assert.True(bins >= 2 || lambda < 1, $"{bins} bins");
        Assert.True(chi2 < bins + 5 * Math.Sqrt(2.0 * bins), $"χ² = {chi2:F1} over {bins} bins");
    }

    private static double LogFactorial(int k)
    {
        double s = 0;
        for (int i = 2; i <= k; i++) s += Math.Log(i);
        return s;
    }

    [Theory]
    [InlineData(1.0, 0.0)]
    [InlineData(2.0, 0.0)]
    [InlineData(0.5, 0.5723649429247001)]        // ln √π
    [InlineData(10.0, 12.801827480081469)]       // ln 9!
    [InlineData(101.0, 363.73937555556347)]      // ln 100!
    [InlineData(0.1, 2.252712651734206)]         // ln Γ(0.1) = ln 9.513507698668732
    [InlineData(-0.5, 1.2655121234846454)]       // ln |Γ(−½)| = ln 2√π
    public void LogGamma_matches_published_values(double x, double expected) =>
        Assert.Equal(expected, SeededRandom.LogGamma(x), 1e-12 * Math.Max(1, Math.Abs(expected)));
}
