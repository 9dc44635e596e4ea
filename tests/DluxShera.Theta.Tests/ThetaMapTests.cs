using DluxShera.Contracts;
using Xunit;

namespace DluxShera.Theta.Tests;

public sealed class ThetaMapTests
{
    private static readonly double[] Spectrum = [1e6, 3e3, 50, 2, 1e-2];

    private static EigenThetaMap Eigen(double[] a, double[] thetaRef, EigenSettings? settings = null) =>
        EigenThetaMap.FromCurvature(a, thetaRef, settings ?? new EigenSettings());

    [Fact]
    public void Eigen_round_trips_theta_to_z_to_theta_plain_and_whitened()
    {
        var a = Numerics.SpdWithSpectrum(Spectrum, 1);
        double[] reference = [0.3, -1, 2, 0.5, 7];
        double[] theta = [1.3, 0.25, -2, 0.5, 6];
        foreach (bool whiten in new[] { true, false })
        {
            var map = Eigen(a, reference, new EigenSettings { Whiten = whiten });
            var z = new double[5];
            var back = new double[5];
            map.ToTheta(theta, z);
            map.ToPrimitive(z, back);
            for (int i = 0; i < 5; i++) Assert.Equal(theta[i], back[i], 12);
            Assert.Equal("eigen.mode[00]", map.ThetaIndexMap.Entries[0].Name);
            // Sorted descending and equal to the spectrum the matrix was built from.
            for (int k = 0; k < 5; k++) Assert.Equal(1, map.Eigenvalues[k] / Spectrum[k], 6); // relative accuracy ~ ε λ_max / λ
        }
    }

    [Fact]
    public void Unconstrained_round_trips_and_stays_inside_bounds()
    {
        var objective = new ExponentialDecay();
        var map = new BijectorThetaMap(objective.IndexMap);
        Assert.Equal(BijectorKind.Log, map.Bijectors["amplitude"].Kind);
        Assert.Equal(BijectorKind.Logit, map.Bijectors["rate"].Kind);
        Assert.Equal(BijectorKind.Identity, map.Bijectors["offset"].Kind);
        Assert.Equal(["log(amplitude)", "logit(rate)", "offset"], map.ThetaIndexMap.Entries.Select(e => e.Name));
        double[] theta = [2.0, 0.7, -0.3];
        var z = new double[3];
        var back = new double[3];
        map.ToTheta(theta, z);
        Assert.Equal(Math.Log(2.0), z[0], 14);
        Assert.Equal(Math.Log(0.7 / 4.3), z[1], 14);
        map.ToPrimitive(z, back);
        for (int i = 0; i < 3; i++) Assert.Equal(theta[i], back[i], 13);
        // Any z, however far, decodes inside the domain.
        map.ToPrimitive([-800, 60, 1], back);
        Assert.True(back[0] >= 0 && back[1] > 0 && back[1] <= 5);
        Assert.Throws<ThetaMapException>(() => map.ToTheta([-1.0, 0.5, 0], z));
    }

    [Fact]
    public void A_chain_of_unconstrained_then_eigen_round_trips()
    {
        var objective = new ExponentialDecay();
        var bijector = new BijectorThetaMap(objective.IndexMap);
        var eigen = Eigen(Numerics.SpdWithSpectrum([40, 5, 0.1], 3), [0.5, -1.0, 0.2]);
        var chain = new ThetaMapChain(objective.IndexMap, [bijector, eigen]);
        Assert.Equal("unconstrained+eigen", chain.ThetaSpace);
        double[] theta = [1.7, 2.5, 0.1];
        var z = new double[3];
        var back = new double[3];
        chain.ToTheta(theta, z);
        chain.ToPrimitive(z, back);
        for (int i = 0; i < 3; i++) Assert.Equal(theta[i], back[i], 12);
        var decoded = new ThetaDecoder(chain).Decode(z);
        Assert.Equal(2.5, decoded["rate"][0], 12);
    }

    [Fact]
    public void A_quadratic_has_the_identity_Hessian_in_whitened_eigen_space()
    {
        var a = Numerics.SpdWithSpectrum(Spectrum, 2);
        double[] center = [1, 2, 3, 4, 5];
        var objective = new QuadraticQuartic(a, center);
        var composed = ThetaMappedObjective.Create(objective, Eigen(a, [0, 0, 0, 0, 0]));
        var hvp = Assert.IsAssignableFrom<IHessianVectorObjective>(composed);
        var z = new double[] { 0.1, -0.2, 0.3, 0, 1 };
        var column = new double[5];
        for (int k = 0; k < 5; k++)
        {
            var e = new double[5];
            e[k] = 1;
            hvp.HessianVectorProduct(z, e, column);
            for (int i = 0; i < 5; i++) Assert.Equal(i == k ? 1 : 0, column[i], 8);
        }
    }

    [Fact]
    public void Truncation_keeps_the_stiffest_modes_and_freezes_the_dropped_directions_at_theta_ref()
    {
        // Diagonal curvature: its eigenvectors are the axes, so the dropped modes are known independently (axes 1 and 3).
        double[] diagonal = [100, 0.01, 10, 0.001, 1];
        var a = new double[25];
        for (int i = 0; i < 5; i++) a[i * 5 + i] = diagonal[i];
        double[] reference = [1, 2, 3, 4, 5];
        foreach (var settings in new[]
        {
            new EigenSettings { Keep = 3 },
            new EigenSettings { MinRelativeEigenvalue = 1e-3 },
            new EigenSettings { SpectrumFraction = 0.999 },
        })
        {
            var map = Eigen(a, reference, settings);
            Assert.Equal(3, map.ThetaDimension);
            var theta = new double[5];
            map.ToPrimitive([3.0, -1.5, 0.7], theta);
            Assert.Equal(2, theta[1]);
            Assert.Equal(4, theta[3]);
            Assert.NotEqual(1, theta[0]);
            // Whitened: z₀ = √100 · (θ₀ − 1).
            Assert.Equal(3.0 / 10, theta[0] - 1, 12);
        }
    }

    [Fact]
    public void Materially_negative_eigenvalues_are_refused_and_tiny_ones_clamped_and_counted()
    {
        var negative = Numerics.SpdWithSpectrum([10, 1, -0.5], 4);
        var e = Assert.Throws<ThetaMapException>(() => Eigen(negative, [0, 0, 0]));
        Assert.Contains("1 materially negative", e.Message);
        var tiny = Numerics.SpdWithSpectrum([10, 1, -1e-14], 4);
        var map = Eigen(tiny, [0, 0, 0]);
        Assert.Equal(1, map.ClampedCount);
        Assert.Equal(1, map.NegativeCount);
        Assert.Equal(1.0, map.Eigenvalues[2] / (10 * 1e-10), 12);
        Assert.Throws<ThetaMapException>(() => Eigen(tiny, [0, 0, 0], new EigenSettings { Keep = 1, SpectrumFraction = 0.5 }));
    }

    [Fact]
    public void The_hash_covers_the_basis_theta_ref_and_options()
    {
        var a = Numerics.SpdWithSpectrum([3, 2, 1], 5);
        var map = new IndexMap([new IndexMapEntry("x", 0, 3, [3])]);
        string Hash(double[] reference, bool whiten) => new ThetaMapChain(map, [Eigen(a, reference, new EigenSettings { Whiten = whiten })]).Hash;
        string h = Hash([0, 0, 0], true);
        Assert.Equal(64, h.Length);
        Assert.Equal(h, Hash([0, 0, 0], true));
        Assert.NotEqual(h, Hash([0, 0, 1e-12], true));
        Assert.NotEqual(h, Hash([0, 0, 0], false));
        Assert.Equal("", new ThetaMapChain(map, []).Hash);
    }
}
