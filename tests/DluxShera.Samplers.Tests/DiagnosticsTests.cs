using System.Globalization;
using DluxShera.Posterior;
using DluxShera.Tests;
using Xunit;

namespace DluxShera.Samplers.Tests;

/// <summary>The diagnostics against values computed by hand and against a numpy/scipy transcription of Vehtari et al. (2021) as ArviZ implements it.</summary>
public class DiagnosticsTests
{
    [Fact]
    public void Classic_rhat_of_two_shifted_chains_is_the_hand_value()
    {
        // Chain means 2.5 and 6.5, within-chain variance 5/3, B = n·var(means) = 4·8 = 32: R̂ = √((B/W + n − 1)/n) = √5.55.
        Assert.Equal(Math.Sqrt(5.55), McmcDiagnostics.ClassicRHat([1, 2, 3, 4, 5, 6, 7, 8], 2, 4), 12);
    }

    [Fact]
    public void Split_chains_drop_the_middle_draw_of_an_odd_count()
    {
        var (split, chains, draws) = McmcDiagnostics.SplitChains([1, 2, 3, 4, 5, 10, 20, 30, 40, 50], 2);
        Assert.Equal((4, 2), (chains, draws));
        Assert.Equal([1, 2, 4, 5, 10, 20, 40, 50], split);
    }

    [Fact]
    public void Ranks_average_ties_and_quantiles_interpolate_like_numpy()
    {
        Assert.Equal([3.5, 1, 3.5, 2], McmcDiagnostics.AverageRanks([3, 1, 3, 2]));
        Assert.Equal(1.15, McmcDiagnostics.Quantile([4, 3, 2, 1], 0.05), 12);
        Assert.Equal(2.5, McmcDiagnostics.Quantile([4, 3, 2, 1], 0.5), 12);
    }

    [Fact]
    public void Autocovariance_is_the_biased_sum_of_lagged_products()
    {
        // Deviations −1.5, −0.5, 0.5, 1.5 from the mean 2.5.
        var acov = McmcDiagnostics.Autocovariance([1, 2, 3, 4]);
        Assert.Equal([1.25, 0.3125, -0.375, -0.5625], acov.Select(v => Math.Round(v, 12)));
    }

    [Fact]
    public void Ebfmi_is_mean_squared_energy_step_over_energy_variance()
    {
        // Differences 2, −1, 2: mean square 3; variance (ddof 0) of 1, 3, 2, 4 is 1.25.
        Assert.Equal(2.4, McmcDiagnostics.EBfmi([1, 3, 2, 4]), 12);
    }

    [Fact]
    public void Stan_warmup_windows_for_1000_and_short_warmups()
    {
        // Stan's documented default: 75 fast, slow windows 25, 50, 100, 200, 500, then 50 fast.
        var schedule = WarmupSchedule.Build(1000);
        Assert.Equal([(75, 99), (100, 149), (150, 249), (250, 449), (450, 949)], schedule.Windows());
        // 100 iterations: the defaults do not fit, so 15 % / 75 % / 10 %.
        Assert.Equal([(15, 89)], WarmupSchedule.Build(100).Windows());
        Assert.Empty(WarmupSchedule.Build(19).Windows());
    }

    [Fact]
    public void Metric_estimate_is_the_regularised_sample_variance()
    {
        var diag = new MetricEstimator(1, dense: false);
        foreach (double v in new double[] { 1, 2, 3, 4, 5 }) diag.Add([v]);
        // var = 2.5 (ddof 1); n = 5: 5/10·2.5 + 1e−3·5/10.
        Assert.Equal(1.2505, diag.Finish()[0], 12);

        var dense = new MetricEstimator(2, dense: true);
        foreach (var (a, b) in new[] { (1.0, 2.0), (2.0, 1.0), (3.0, 5.0), (4.0, 4.0), (5.0, 3.0) }) dense.Add([a, b]);
        var m = dense.Finish();
        // Deviations from the means (3, 3): Σ δa·δb = 2 + 2 + 0 + 1 + 0 = 5, so cov = 5/4 (ddof 1); var 2.5 each; shrink 5/10.
        Assert.Equal([1.2505, 0.625, 0.625, 1.2505], m.Select(v => Math.Round(v, 12)));
    }

    [Fact]
    public void Dual_averaging_first_step_is_the_hand_value()
    {
        var da = new DualAveragingStepSize(0.8);
        da.Restart(1.0);
        // s̄ = (0.8 − 1)/11; x = log 10 − s̄·√1/0.05.
        double x = Math.Log(10) + 0.2 / 11 / 0.05;
        Assert.Equal(Math.Exp(x), da.Update(1.0), 12);
        Assert.Equal(Math.Exp(x), da.Final(), 12);
    }

    [Fact]
    public void Dense_metric_momenta_have_covariance_M_and_kinetic_energy_is_the_quadratic_form()
    {
        double[] inverseMass = [2, 0.5, 0.5, 1];
        var metric = EuclideanMetric.Dense(inverseMass, 2);
        Assert.Equal(0.5 * (2 * 1 + 2 * 0.5 * 1 * -1 + 1 * 1), metric.Kinetic([1, -1]), 12);
        var rng = new RandomStream(5);
        double s00 = 0, s01 = 0, s11 = 0;
        const int n = 40000;
        var p = new double[2];
        for (int k = 0; k < n; k++)
        {
            metric.SampleMomentum(rng, p);
            s00 += p[0] * p[0]; s01 += p[0] * p[1]; s11 += p[1] * p[1];
        }
        // M = (M⁻¹)⁻¹ = [[1, −0.5], [−0.5, 2]] / 1.75.
        Assert.Equal(1 / 1.75, s00 / n, 1.5e-2);
        Assert.Equal(-0.5 / 1.75, s01 / n, 1.5e-2);
        Assert.Equal(2 / 1.75, s11 / n, 3e-2);
        var inverse = InitialMetric.InverseFromCholesky(EuclideanMetric.Cholesky(inverseMass, 2), 2);
        Assert.Equal([1 / 1.75, -0.5 / 1.75, -0.5 / 1.75, 2 / 1.75], inverse.Select(v => Math.Round(v, 12)), new RoundedComparer());
    }

    [SkippableFact]
    public void Rhat_ess_and_mcse_match_a_numpy_transcription_of_arviz()
    {
        // Four AR(1) chains (φ = 0.7) with slightly different means, and heavy-tailed noise: every branch of the formulas matters.
        const int chains = 4, n = 203;
        var draws = new double[chains * n];
        var rng = new Random(17);
        for (int c = 0; c < chains; c++)
        {
            double x = 0;
            for (int t = 0; t < n; t++)
            {
                double e = rng.NextDouble() - 0.5;
                x = 0.7 * x + e * e * e * 8 + 0.05 * c;
                draws[c * n + t] = x;
            }
        }
        string data = string.Join(",", draws.Select(v => v.ToString("R", CultureInfo.InvariantCulture)));
        string script = $$"""
import numpy as np
from scipy.stats import rankdata, norm
x = np.array([{{data}}]).reshape({{chains}}, {{n}})
def split(a):
    h = a.shape[1] // 2
    return np.concatenate([a[:, :h], a[:, -h:]])
def z(a):
    r = rankdata(a, method="average").reshape(a.shape)
    return norm.ppf((r - 0.375) / (a.size + 0.25))
def rhat(a):
    m, n = a.shape
    B = n * np.var(a.mean(axis=1), ddof=1)
    W = np.mean(np.var(a, axis=1, ddof=1))
    return np.sqrt((B / W + n - 1) / n)
def acov(c):
    n = len(c); d = c - c.mean()
    return np.array([np.dot(d[:n - t], d[t:]) / n for t in range(n)])
def ess(a):
    m, n = a.shape
    ac = np.array([acov(c) for c in a])
    mean_var = ac[:, 0].mean() * n / (n - 1.0)
    var_plus = mean_var * (n - 1.0) / n
    if m > 1: var_plus += np.var(a.mean(axis=1), ddof=1)
    rho = np.zeros(n); re = 1.0; ro = 1.0 - (mean_var - ac[:, 1].mean()) / var_plus
    rho[0] = re; rho[1] = ro; t = 1
    while t < n - 3 and re + ro > 0:
        re = 1.0 - (mean_var - ac[:, t + 1].mean()) / var_plus
        ro = 1.0 - (mean_var - ac[:, t + 2].mean()) / var_plus
        if re + ro >= 0:
            rho[t + 1] = re; rho[t + 2] = ro
        t += 2
    mt = t - 2
    if re > 0: rho[mt + 1] = re
    t = 1
    while t <= mt - 2:
        if rho[t + 1] + rho[t + 2] > rho[t - 1] + rho[t]:
            rho[t + 1] = (rho[t - 1] + rho[t]) / 2.0; rho[t + 2] = rho[t + 1]
        t += 2
    tau = -1.0 + 2.0 * rho[:mt + 1].sum() + rho[mt + 1:mt + 2].sum()
    tau = max(tau, 1 / np.log10(m * n))
    return m * n / tau
s = split(x)
r = max(rhat(z(s)), rhat(z(np.abs(s - np.median(s)))))
bulk = ess(z(s))
tail = min(ess(split((x <= np.quantile(x, 0.05)).astype(float))), ess(split((x <= np.quantile(x, 0.95)).astype(float))))
mcse_mean = np.std(x, ddof=1) / np.sqrt(ess(s))
c2 = (x - x.mean()) ** 2
e = c2.mean(); varvar = ((c2 ** 2).mean() - e ** 2) / ess(split(c2))
mcse_sd = np.sqrt(varvar / e / 4)
print(repr(float(r)), repr(float(bulk)), repr(float(tail)), repr(float(mcse_mean)), repr(float(mcse_sd)))
""";
        var expected = PythonNumpy.Run(script).Trim().Split(' ').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        double[] actual = [McmcDiagnostics.RHat(draws, chains), McmcDiagnostics.EssBulk(draws, chains), McmcDiagnostics.EssTail(draws, chains),
            McmcDiagnostics.McseMean(draws, chains), McmcDiagnostics.McseSd(draws, chains)];
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], Math.Abs(expected[i]) * 1e-9);
    }

    private sealed class RoundedComparer : IEqualityComparer<double>
    {
        public bool Equals(double a, double b) => Math.Abs(a - b) < 1e-12;

        public int GetHashCode(double v) => 0;
    }
}
