using DluxShera.Posterior;
using Xunit;

namespace DluxShera.Samplers.Tests;

/// <summary>
/// NUTS and HMC against posteriors with analytic (or quadrature) moments: means within MCSE-based bounds
/// (|mean − truth| ≤ 4.5·mcse_mean, |sd − sd_true| ≤ 4.5·mcse_sd; the runs are seeded, so a pass is reproducible),
/// divergences reported on Neal's funnel, and draws reproduced bit for bit from a seed.
/// </summary>
public class NutsPosteriorTests
{
    private const double Bound = 4.5;

    private static void AssertMoments(MemorySink sink, int chains, int index, double mean, double sd)
    {
        var x = sink.Column(index);
        double mcseMean = McmcDiagnostics.McseMean(x, chains), mcseSd = McmcDiagnostics.McseSd(x, chains);
        double m = x.Average(), s = McmcDiagnostics.StandardDeviation(x);
        Assert.True(Math.Abs(m - mean) <= Bound * mcseMean, $"θ[{index}] mean {m} vs {mean}: {Math.Abs(m - mean) / mcseMean:F2} MCSE");
        Assert.True(Math.Abs(s - sd) <= Bound * mcseSd, $"θ[{index}] sd {s} vs {sd}: {Math.Abs(s - sd) / mcseSd:F2} MCSE");
        Assert.True(McmcDiagnostics.RHat(x, chains) < 1.05, $"θ[{index}] R̂ {McmcDiagnostics.RHat(x, chains)}");
    }

    [Fact]
    public void Nuts_standard_normal_in_100_dimensions_matches_mean_and_sd()
    {
        const int d = 100;
        var options = new NutsOptions { NumChains = 2, NumWarmup = 300, NumSamples = 300, InitJitter = 1 };
        var (result, sink) = Run.Nuts(() => FuncDensity.StandardNormal(d), options, new double[d]);
        Assert.Equal(DluxShera.Contracts.RunStatus.Ok, result.Status);
        Assert.Equal(0, sink.Divergences);
        for (int i = 0; i < d; i++) AssertMoments(sink, 2, i, 0, 1);
    }

    [Fact]
    public void Diagonal_adaptation_learns_scales_spanning_four_decades()
    {
        // σᵢ = 10^(−2 + 4i/9): from the identity start, the windows must find every variance (to within the
        // noise of a few hundred warm-up draws), and the draws must match the scales.
        const int d = 10;
        var sd = Enumerable.Range(0, d).Select(i => Math.Pow(10, -2 + 4.0 * i / (d - 1))).ToArray();
        var density = () => new FuncDensity(d, (x, g) =>
        {
            double s = 0;
            for (int i = 0; i < d; i++)
            {
                s += x[i] * x[i] / (sd[i] * sd[i]);
                g[i] = -x[i] / (sd[i] * sd[i]);
            }
            return -0.5 * s;
        });
        var (result, sink) = Run.Nuts(density, new NutsOptions { NumChains = 2, NumWarmup = 500, NumSamples = 300 }, new double[d]);
        foreach (var a in result.Adaptations)
        {
            for (int i = 0; i < d; i++) Assert.InRange(a.InverseMassDiagonal[i] / (sd[i] * sd[i]), 0.5, 2.0);
        }
        for (int i = 0; i < d; i++) AssertMoments(sink, 2, i, 0, sd[i]);
    }

    [Theory]
    [InlineData("diag")]
    [InlineData("dense")]
    public void Nuts_correlated_gaussian_rho_099(string metric)
    {
        var options = new NutsOptions { NumChains = 2, NumWarmup = 500, NumSamples = 500, MassMatrix = metric };
        var (_, sink) = Run.Nuts(() => FuncDensity.Correlated(0.99), options, [0.3, -0.2]);
        AssertMoments(sink, 2, 0, 0, 1);
        AssertMoments(sink, 2, 1, 0, 1);
        var x0 = sink.Column(0);
        var x1 = sink.Column(1);
        double m0 = x0.Average(), m1 = x1.Average();
        double corr = x0.Zip(x1, (a, b) => (a - m0) * (b - m1)).Sum() / (x0.Length - 1) / (McmcDiagnostics.StandardDeviation(x0) * McmcDiagnostics.StandardDeviation(x1));
        Assert.InRange(corr, 0.98, 0.995);
    }

    [Fact]
    public void Dense_adaptation_removes_the_correlation_from_the_geometry()
    {
        // With the dense metric ≈ Σ the target is isotropic in the metric: trajectories are short; with a
        // diagonal metric NUTS must integrate along the 0.99 ridge (√(1/(1 − ρ)) ≈ 7× longer scales).
        var diag = Run.Nuts(() => FuncDensity.Correlated(0.99), new NutsOptions { NumChains = 1, NumWarmup = 500, NumSamples = 300 }, [0.3, -0.2]);
        var dense = Run.Nuts(() => FuncDensity.Correlated(0.99), new NutsOptions { NumChains = 1, NumWarmup = 500, NumSamples = 300, MassMatrix = "dense" }, [0.3, -0.2]);
        Assert.True(dense.Sink.MeanLeapfrog * 3 < diag.Sink.MeanLeapfrog, $"dense {dense.Sink.MeanLeapfrog} vs diag {diag.Sink.MeanLeapfrog} leapfrog steps per draw");
        var m = dense.Result.Adaptations[0].InverseMassDense!;
        Assert.InRange(m[1] / Math.Sqrt(m[0] * m[3]), 0.97, 0.999); // the adapted metric carries ρ
    }

    [Fact]
    public void Neals_funnel_reports_divergences()
    {
        var options = new NutsOptions { NumChains = 2, NumWarmup = 300, NumSamples = 300 };
        var (result, sink) = Run.Nuts(() => FuncDensity.Funnel(10), options, new double[10]);
        Assert.Equal(DluxShera.Contracts.RunStatus.Ok, result.Status);
        Assert.True(sink.Divergences > 0, "the funnel's neck makes divergent transitions; they must be reported");
    }

    [Fact]
    public void Logistic_regression_matches_quadrature_posterior()
    {
        var problem = new LogisticRegression(seed: 3, n: 40);
        var (_, sink) = Run.Nuts(() => problem.Density(), new NutsOptions { NumChains = 2, NumWarmup = 300, NumSamples = 400 }, [0, 0]);
        var (mean, sd) = problem.QuadratureMoments();
        for (int i = 0; i < 2; i++) AssertMoments(sink, 2, i, mean[i], sd[i]);
    }

    [Fact]
    public void Hmc_standard_normal_matches_mean_and_sd()
    {
        const int d = 10;
        var (result, sink) = Run.Hmc(() => FuncDensity.StandardNormal(d), new HmcOptions { NumChains = 2, NumWarmup = 300, NumSamples = 400 }, new double[d]);
        Assert.Equal(DluxShera.Contracts.RunStatus.Ok, result.Status);
        for (int i = 0; i < d; i++) AssertMoments(sink, 2, i, 0, 1);
    }

    [Fact]
    public void Seeds_reproduce_draws_bit_for_bit_and_chains_differ()
    {
        var options = new NutsOptions { NumChains = 3, NumWarmup = 60, NumSamples = 40, InitJitter = 1 };
        var a = Run.Nuts(() => FuncDensity.Correlated(0.9), options, [0.1, 0.1], seed: 11).Sink;
        var b = Run.Nuts(() => FuncDensity.Correlated(0.9), options, [0.1, 0.1], seed: 11).Sink;
        var c = Run.Nuts(() => FuncDensity.Correlated(0.9), options, [0.1, 0.1], seed: 12).Sink;
        for (int chain = 0; chain < 3; chain++)
        {
            var ra = a.Rows(chain, false).SelectMany(r => r.Theta).ToArray();
            var rb = b.Rows(chain, false).SelectMany(r => r.Theta).ToArray();
            Assert.Equal(ra.Select(BitConverter.DoubleToInt64Bits), rb.Select(BitConverter.DoubleToInt64Bits));
            Assert.NotEqual(ra, c.Rows(chain, false).SelectMany(r => r.Theta).ToArray());
        }
        Assert.NotEqual(a.Rows(0, false).First().Theta, a.Rows(1, false).First().Theta);
    }

    [Fact]
    public void Cancellation_keeps_the_draws_so_far()
    {
        using var cts = new CancellationTokenSource();
        var sink = new CancellingSink(cts, after: 150);
        var sampler = new HamiltonianSampler("nuts", new NutsOptions { NumChains = 1, NumWarmup = 100, NumSamples = 1000 }, (i, d) => new NutsKernel(i, d, 10));
        var result = sampler.Sample(new DluxShera.Contracts.SamplingContext
        {
            Density = FuncDensity.StandardNormal(3), InitialThetas = [new double[3]], Sink = sink, Seed = 1, Progress = new NoProgress(), Cancellation = cts.Token,
        });
        Assert.Equal(DluxShera.Contracts.StopReasons.Cancelled, result.StopReason);
        Assert.Equal(50, result.DrawsPerChain);
        Assert.Equal(150, sink.Count);
    }

    private sealed class CancellingSink(CancellationTokenSource cts, int after) : DluxShera.Contracts.ISampleSink
    {
        public int Count { get; private set; }

        public void Append(in DluxShera.Contracts.SampleRow row)
        {
            if (++Count == after) cts.Cancel();
        }
    }
}

/// <summary>y ~ Bernoulli(σ(a + b·x)), a, b ~ N(0, 2²), synthetic data from a fixed seed; moments by 2-D quadrature.</summary>
internal sealed class LogisticRegression
{
    private readonly double[] _x, _y;

    public LogisticRegression(int seed, int n)
    {
        var rng = new Random(seed);
        _x = new double[n];
        _y = new double[n];
        for (int j = 0; j < n; j++)
        {
            _x[j] = 2 * rng.NextDouble() - 1;
            double p = 1 / (1 + Math.Exp(-(0.5 - 1.5 * _x[j])));
            _y[j] = rng.NextDouble() < p ? 1 : 0;
        }
    }

    public double LogPosterior(double a, double b, double[]? g)
    {
        double lp = -(a * a + b * b) / 8.0, ga = -a / 4.0, gb = -b / 4.0;
        for (int j = 0; j < _x.Length; j++)
        {
            double eta = a + b * _x[j];
            // log σ(η) = −log(1 + e^{−η}); log(1 − σ(η)) = −log(1 + e^{η})
            lp += _y[j] * -Softplus(-eta) + (1 - _y[j]) * -Softplus(eta);
            double r = _y[j] - 1 / (1 + Math.Exp(-eta));
            ga += r;
            gb += r * _x[j];
        }
        if (g is not null)
        {
            g[0] = ga;
            g[1] = gb;
        }
        return lp;
    }

    public FuncDensity Density() => new(2, (t, g) => LogPosterior(t[0], t[1], g));

    public (double[] Mean, double[] Sd) QuadratureMoments()
    {
        const int n = 400;
        double lo = -6, hi = 6, h = (hi - lo) / n;
        var logw = new double[n * n];
        double max = double.NegativeInfinity;
        for (int i = 0; i < n; i++)
            for (int k = 0; k < n; k++)
            {
                logw[i * n + k] = LogPosterior(lo + (i + 0.5) * h, lo + (k + 0.5) * h, null);
                max = Math.Max(max, logw[i * n + k]);
            }
        double z = 0, ma = 0, mb = 0, saa = 0, sbb = 0;
        for (int i = 0; i < n; i++)
            for (int k = 0; k < n; k++)
            {
                double w = Math.Exp(logw[i * n + k] - max), a = lo + (i + 0.5) * h, b = lo + (k + 0.5) * h;
                z += w; ma += w * a; mb += w * b; saa += w * a * a; sbb += w * b * b;
            }
        ma /= z; mb /= z;
        return ([ma, mb], [Math.Sqrt(saa / z - ma * ma), Math.Sqrt(sbb / z - mb * mb)]);
    }

    private static double Softplus(double v) => v > 0 ? v + Math.Log(1 + Math.Exp(-v)) : Math.Log(1 + Math.Exp(v));
}
