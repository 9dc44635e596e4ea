using DluxShera.Shera.Optics;
using Xunit;
using Xunit.Abstractions;

namespace DluxShera.Tests;

/// <summary>
/// M2 must be coaxial with M1 (docs/shera.md, "Grid conventions"). The flight design pads by P = 2, so any odd
/// pupil_npix makes (P−1)·N odd, which is where a padded-grid-centred M2 sits half a pupil pixel off M1's axis.
/// Free-space propagation commutes with a point reflection about any point, so a point-symmetric M1 field must
/// leave M2's stage point-symmetric about M1's axis exactly when M2's disk and its Zernikes share that axis.
/// </summary>
public class SecondaryMirrorAxisTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(33)]
    [InlineData(32)]
    public void A_point_symmetric_field_stays_symmetric_about_m1s_axis(int pupilNpix)
    {
        var stage = FlightStage(pupilNpix);
        var outField = Propagate(stage, pupilNpix, new double[stage.SecondaryNoll.Length]);
        double worst = PointAsymmetry(outField, pupilNpix);
        output.WriteLine($"N={pupilNpix}, P={stage.Padding}: max asymmetry {worst:E2}");
        Assert.True(worst < 1e-12, $"{worst:E2}");
    }

    [Fact]
    public void Odd_grid_keeps_m2_defocus_centred_and_coma_breaks_the_symmetry()
    {
        const int n = 33;
        var stage = FlightStage(n);
        Assert.Equal(1, ((stage.Padding - 1) * n) % 2);
        Assert.Equal((stage.Padding * n - 2) / 2.0, stage.AxisPixel); // offset 16 + (33 − 1)/2 = 32, not 32.5
        var coefficients = new double[stage.SecondaryNoll.Length];
        coefficients[Array.IndexOf(stage.SecondaryNoll, 4)] = 40; // defocus keeps the point symmetry
        double defocus = PointAsymmetry(Propagate(stage, n, coefficients), n);
        output.WriteLine($"defocus asymmetry {defocus:E2}");
        Assert.True(defocus < 1e-12, $"{defocus:E2}");
        coefficients[Array.IndexOf(stage.SecondaryNoll, 4)] = 0;
        coefficients[Array.IndexOf(stage.SecondaryNoll, 7)] = 40; // coma is odd under θ → θ + π: it must break it
        double coma = PointAsymmetry(Propagate(stage, n, coefficients), n);
        Assert.True(coma > 1e-6, $"{coma:E2}");
    }

    private static SecondaryMirrorStage FlightStage(int pupilNpix)
    {
        var options = SheraTestModels.Preset("flight-3p-test", optics =>
        {
            optics.PupilNpix = pupilNpix;
            optics.DiffractivePupil = "none";
            optics.NLambda = 1;
        });
        var stage = new OpticalModel(options.Optics.ToConfig(3)).SecondaryMirror!;
        Assert.Equal(2, stage.Padding);
        return stage;
    }

    private static ComplexMatrix Propagate(SecondaryMirrorStage stage, int n, double[] secondaryNm)
    {
        var rng = new Random(11);
        var g = new ComplexMatrix(n, n);
        for (int i = 0; i < g.Re.Length; i++)
        {
            g.Re[i] = rng.NextDouble();
            g.Im[i] = rng.NextDouble() - 0.5;
        }
        var field = new ComplexMatrix(n, n);
        for (int r = 0; r < n; r++)
        {
            for (int c = 0; c < n; c++)
            {
                int i = r * n + c, j = (n - 1 - r) * n + (n - 1 - c);
                field.Re[i] = g.Re[i] + g.Re[j];
                field.Im[i] = g.Im[i] + g.Im[j];
            }
        }
        stage.SetAberrations(secondaryNm);
        var result = new ComplexMatrix(n, n);
        stage.Forward(0, 0, field, result);
        return result;
    }

    private static double PointAsymmetry(ComplexMatrix f, int n)
    {
        double worst = 0, peak = 0;
        for (int i = 0; i < f.Re.Length; i++)
        {
            int j = n * n - 1 - i;
            peak = Math.Max(peak, Math.Abs(f.Re[i]) + Math.Abs(f.Im[i]));
            worst = Math.Max(worst, Math.Abs(f.Re[i] - f.Re[j]) + Math.Abs(f.Im[i] - f.Im[j]));
        }
        return worst / peak;
    }
}
