using DluxShera.Shera;
using DluxShera.Shera.Optics;
using Xunit;
using Xunit.Abstractions;

namespace DluxShera.Tests;

public class ThreePlaneTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("testbed-3p-test", 9.4299, 3.018)]
    [InlineData("flight-3p-test", 12.0334, 6.668)]
    public void Magnification_and_propagation_distance(string preset, double magnification, double distance)
    {
        var model = new OpticalModel(SheraTestModels.Preset(preset).Optics.ToConfig(3));
        Assert.Equal(magnification, model.SecondaryMirror!.Magnification, 4);
        Assert.Equal(distance, model.SecondaryMirror.Distance, 3);
    }

    [Fact]
    public void Fresnel_forward_then_back_returns_the_input()
    {
        var model = new OpticalModel(SheraTestModels.Preset("testbed-3p-test").Optics.ToConfig(3));
        int size = model.SecondaryMirror!.PaddedSize;
        var rng = new Random(3);
        var field = new ComplexMatrix(size, size);
        for (int i = 0; i < field.Re.Length; i++)
        {
            field.Re[i] = rng.NextDouble() - 0.5;
            field.Im[i] = rng.NextDouble() - 0.5;
        }
        var copy = new ComplexMatrix(size, size);
        field.Re.CopyTo(copy.Re, 0);
        field.Im.CopyTo(copy.Im, 0);
        model.SecondaryMirror.Fresnel(copy, 1, conjugate: false);
        model.SecondaryMirror.Fresnel(copy, 1, conjugate: true);
        double worst = 0;
        for (int i = 0; i < field.Re.Length; i++) worst = Math.Max(worst, Math.Max(Math.Abs(copy.Re[i] - field.Re[i]), Math.Abs(copy.Im[i] - field.Im[i])));
        output.WriteLine($"max round-trip error {worst:E2}");
        Assert.True(worst < 1e-13, $"{worst:E2}");
    }

    // SHERA_MODEL §4 quotes ≈1e-9 (testbed) and ≈1e-6 (flight) of the peak; the residual is real light that M2's
    // hard edge clips. Without a diffractive pupil we measure 3.8e-10 and 2.9e-8; the generated diffractive pupil
    // scatters more light onto M2's edge (2.3e-8 and 3.8e-6, docs/shera.md).
    [Theory]
    [InlineData("testbed", "none", 1e-9)]
    [InlineData("flight", "none", 1e-6)]
    [InlineData("testbed", "generated", 1e-7)]
    [InlineData("flight", "generated", 1e-5)]
    public void Three_plane_equals_two_plane_when_m2_is_flat(string instrument, string diffractivePupil, double tolerance)
    {
        var o = SheraTestModels.Preset($"{instrument}-3p-test", optics => optics.DiffractivePupil = diffractivePupil);
        var two = new OpticalModel(o.Optics.ToConfig(2));
        var three = new OpticalModel(o.Optics.ToConfig(3));
        var p = SheraTestModels.Nominal(two.Config);
        p.SecondaryZernikesNm = new double[8];
        var a = (double[])two.Forward(p).Clone();
        var b = three.Forward(p);
        double peak = a.Max(), worst = a.Zip(b, (x, y) => Math.Abs(x - y)).Max();
        output.WriteLine($"{instrument}: max |3p − 2p| / peak = {worst / peak:E2}");
        Assert.True(worst / peak < tolerance, $"{worst / peak:E2}");
    }

    [Fact]
    public void Gradient_matches_central_differences_including_secondary_zernikes()
    {
        var objective = new SheraObjective(SheraTestModels.Preset("testbed-3p-test", optics =>
        {
            optics.PupilNpix = 32;
            optics.PsfNpix = 32;
            optics.NLambda = 2;
        }));
        int d = objective.IndexMap.Dimension;
        Assert.Equal(23, d);
        var theta = new double[d];
        objective.GetInitialTheta(theta);
        theta[1] += 0.5;
        theta[2] += 0.03;
        for (int k = 7; k < d; k++) theta[k] = 3.0 * Math.Sin(k);
        SheraTestModels.AssertGradientMatchesDifferences(objective, theta, [1e-4, 1e-3, 1e-4, 1e-4, 1e-5, 1e-5, 1e-6]);
        SheraTestModels.AssertForwardMatchesReverse(objective, theta);
    }
}
