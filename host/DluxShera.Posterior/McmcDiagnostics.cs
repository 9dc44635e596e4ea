using System.Numerics;
using MathNet.Numerics.IntegralTransforms;

namespace DluxShera.Posterior;

/// <summary>
/// Convergence diagnostics over draws shaped (chains, draws), flat row-major (chain c's draws at c·n … c·n + n − 1):
/// rank-normalised split R̂, bulk and tail effective sample sizes and Monte Carlo standard errors as in
/// Vehtari, Gelman, Simpson, Carpenter &amp; Bürkner (2021), with the formulas and conventions ArviZ uses
/// (split chains drop the middle draw of an odd count; Geyer's initial monotone sequence; ranks of ties averaged;
/// z = Φ⁻¹((r − 3/8)/(S + 1/4))). Pure functions: no state, no randomness.
/// </summary>
public static class McmcDiagnostics
{
    /// <summary>Rank-normalised split R̂: the larger of the bulk R̂ (on z-scored ranks) and the tail R̂ (on folded draws).</summary>
    /// <param name="draws">Draws, chains × n.</param>
    /// <param name="chains">Number of chains.</param>
    public static double RHat(double[] draws, int chains)
    {
        var (split, m, n) = SplitChains(draws, chains);
        if (n < 2) return double.NaN;
        double bulk = ClassicRHat(ZScale(split), m, n);
        double median = Quantile(split, 0.5);
        var folded = split.Select(x => Math.Abs(x - median)).ToArray();
        double tail = ClassicRHat(ZScale(folded), m, n);
        return Math.Max(bulk, tail);
    }

    /// <summary>Bulk ESS: the ESS of the z-scored ranks of the split chains.</summary>
    /// <param name="draws">Draws, chains × n.</param>
    /// <param name="chains">Number of chains.</param>
    public static double EssBulk(double[] draws, int chains)
    {
        var (split, m, n) = SplitChains(draws, chains);
        return Ess(ZScale(split), m, n);
    }

    /// <summary>Tail ESS: the smaller ESS of the indicators I(θ ≤ q₀.₀₅) and I(θ ≤ q₀.₉₅) over the split chains.</summary>
    /// <param name="draws">Draws, chains × n.</param>
    /// <param name="chains">Number of chains.</param>
    public static double EssTail(double[] draws, int chains)
    {
        double q05 = Quantile(draws, 0.05), q95 = Quantile(draws, 0.95);
        var (split, m, n) = SplitChains(draws, chains);
        double e05 = Ess(split.Select(x => x <= q05 ? 1.0 : 0.0).ToArray(), m, n);
        double e95 = Ess(split.Select(x => x <= q95 ? 1.0 : 0.0).ToArray(), m, n);
        return Math.Min(e05, e95);
    }

    /// <summary>ESS of the mean: the ESS of the split chains themselves.</summary>
    /// <param name="draws">Draws, chains × n.</param>
    /// <param name="chains">Number of chains.</param>
    public static double EssMean(double[] draws, int chains)
    {
        var (split, m, n) = SplitChains(draws, chains);
        return Ess(split, m, n);
    }

    /// <summary>MCSE of the mean: sd / √ESS_mean (sd with ddof 1).</summary>
    /// <param name="draws">Draws, chains × n.</param>
    /// <param name="chains">Number of chains.</param>
    public static double McseMean(double[] draws, int chains) => StandardDeviation(draws) / Math.Sqrt(EssMean(draws, chains));

    /// <summary>
    /// MCSE of the sd (ArviZ): with c = (θ − θ̄)², var(sd) ≈ (E[c²] − E[c]²) / ESS_mean(c) / (4 E[c]), mcse_sd = √var(sd).
    /// </summary>
    /// <param name="draws">Draws, chains × n.</param>
    /// <param name="chains">Number of chains.</param>
    public static double McseSd(double[] draws, int chains)
    {
        double mean = draws.Average();
        var c2 = draws.Select(x => (x - mean) * (x - mean)).ToArray();
        double ess = EssMean(c2, chains);
        double evar = c2.Average();
        double varvar = (c2.Select(x => x * x).Average() - evar * evar) / ess;
        return Math.Sqrt(varvar / evar / 4);
    }

    /// <summary>E-BFMI of one chain's energies: mean of squared successive differences over the variance (ArviZ <c>bfmi</c>).</summary>
    /// <param name="energy">The chain's energies.</param>
    public static double EBfmi(ReadOnlySpan<double> energy)
    {
        int n = energy.Length;
        if (n < 2) return double.NaN;
        double diff = 0, mean = 0, variance = 0;
        for (int t = 1; t < n; t++) diff += (energy[t] - energy[t - 1]) * (energy[t] - energy[t - 1]);
        for (int t = 0; t < n; t++) mean += energy[t];
        mean /= n;
        for (int t = 0; t < n; t++) variance += (energy[t] - mean) * (energy[t] - mean);
        return diff / (n - 1) / (variance / n);
    }

    /// <summary>The q-quantile with linear interpolation between order statistics (numpy's default).</summary>
    /// <param name="values">The values.</param>
    /// <param name="q">In [0, 1].</param>
    public static double Quantile(double[] values, double q)
    {
        var sorted = (double[])values.Clone();
        Array.Sort(sorted);
        return SortedQuantile(sorted, q);
    }

    /// <summary>The q-quantile of already sorted values (numpy's linear method).</summary>
    /// <param name="sorted">Sorted values.</param>
    /// <param name="q">In [0, 1].</param>
    public static double SortedQuantile(double[] sorted, double q)
    {
        if (sorted.Length == 0) return double.NaN;
        double position = q * (sorted.Length - 1);
        int lo = (int)Math.Floor(position);
        int hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + (position - lo) * (sorted[hi] - sorted[lo]);
    }

    /// <summary>Standard deviation with ddof 1.</summary>
    /// <param name="values">The values.</param>
    public static double StandardDeviation(double[] values)
    {
        double mean = values.Average();
        return Math.Sqrt(values.Sum(x => (x - mean) * (x - mean)) / (values.Length - 1));
    }

    /// <summary>Splits each chain into its first and last halves (the middle draw of an odd count is dropped).</summary>
    /// <param name="draws">Draws, chains × n.</param>
    /// <param name="chains">Chains.</param>
    /// <returns>The split draws, 2·chains × ⌊n/2⌋.</returns>
    public static (double[] Split, int Chains, int Draws) SplitChains(double[] draws, int chains)
    {
        int n = draws.Length / chains, half = n / 2;
        var split = new double[2 * chains * half];
        for (int c = 0; c < chains; c++)
        {
            Array.Copy(draws, c * n, split, 2 * c * half, half);
            Array.Copy(draws, c * n + n - half, split, (2 * c + 1) * half, half);
        }
        return (split, 2 * chains, half);
    }

    /// <summary>Normal scores of the pooled ranks (ties averaged): Φ⁻¹((r − 3/8)/(S + 1/4)).</summary>
    /// <param name="values">The values.</param>
    public static double[] ZScale(double[] values)
    {
        var ranks = AverageRanks(values);
        double size = values.Length;
        return ranks.Select(r => MathNet.Numerics.Distributions.Normal.InvCDF(0, 1, (r - 0.375) / (size + 0.25))).ToArray();
    }

    /// <summary>1-based ranks with ties given their average rank (scipy's <c>rankdata(method="average")</c>).</summary>
    /// <param name="values">The values.</param>
    public static double[] AverageRanks(double[] values)
    {
        int s = values.Length;
        var order = Enumerable.Range(0, s).ToArray();
        Array.Sort(order, (a, b) => values[a].CompareTo(values[b]));
        var ranks = new double[s];
        for (int i = 0; i < s;)
        {
            int j = i;
            while (j + 1 < s && values[order[j + 1]] == values[order[i]]) j++;
            double rank = 0.5 * (i + j) + 1;
            for (int k = i; k <= j; k++) ranks[order[k]] = rank;
            i = j + 1;
        }
        return ranks;
    }

    /// <summary>The classic (non-split) potential scale reduction over chains × n draws.</summary>
    /// <param name="draws">Draws.</param>
    /// <param name="chains">Chains.</param>
    /// <param name="n">Draws per chain.</param>
    public static double ClassicRHat(double[] draws, int chains, int n)
    {
        var means = new double[chains];
        double within = 0;
        for (int c = 0; c < chains; c++)
        {
            var chain = draws.AsSpan(c * n, n);
            double mean = 0;
            foreach (double x in chain) mean += x;
            mean /= n;
            means[c] = mean;
            double v = 0;
            foreach (double x in chain) v += (x - mean) * (x - mean);
            within += v / (n - 1);
        }
        within /= chains;
        double between = n * Variance(means, 1);
        return Math.Sqrt((between / within + n - 1) / n);
    }

    /// <summary>
    /// The effective sample size of chains × n draws: Geyer's initial positive then monotone sequence over the
    /// multi-chain autocorrelation ρ̂_t = 1 − (W − mean_c acov_c(t)) / var⁺, τ̂ bounded below by 1/log₁₀(S) (ArviZ).
    /// </summary>
    /// <param name="draws">Draws.</param>
    /// <param name="chains">Chains.</param>
    /// <param name="n">Draws per chain.</param>
    public static double Ess(double[] draws, int chains, int n)
    {
        if (n < 4 || draws.Any(x => !double.IsFinite(x))) return double.NaN;
        var acov = new double[n]; // mean over chains of each chain's biased autocovariance
        var means = new double[chains];
        for (int c = 0; c < chains; c++)
        {
            var chainAcov = Autocovariance(draws.AsSpan(c * n, n));
            for (int t = 0; t < n; t++) acov[t] += chainAcov[t] / chains;
            double mean = 0;
            for (int t = 0; t < n; t++) mean += draws[c * n + t];
            means[c] = mean / n;
        }
        double meanVar = acov[0] * n / (n - 1.0);
        double varPlus = meanVar * (n - 1.0) / n;
        if (chains > 1) varPlus += Variance(means, 1);
        if (!(varPlus > 0)) return double.NaN; // constant draws: ESS undefined, as in ArviZ

        var rho = new double[n];
        double rhoEven = 1.0, rhoOdd = 1.0 - (meanVar - acov[1]) / varPlus;
        rho[0] = rhoEven;
        rho[1] = rhoOdd;
        int tt = 1;
        while (tt < n - 3 && rhoEven + rhoOdd > 0)
        {
            rhoEven = 1.0 - (meanVar - acov[tt + 1]) / varPlus;
            rhoOdd = 1.0 - (meanVar - acov[tt + 2]) / varPlus;
            if (rhoEven + rhoOdd >= 0)
            {
                rho[tt + 1] = rhoEven;
                rho[tt + 2] = rhoOdd;
            }
            tt += 2;
        }
        int maxT = tt - 2;
        if (rhoEven > 0) rho[maxT + 1] = rhoEven;
        tt = 1;
        while (tt <= maxT - 2)
        {
            if (rho[tt + 1] + rho[tt + 2] > rho[tt - 1] + rho[tt])
            {
                rho[tt + 1] = (rho[tt - 1] + rho[tt]) / 2.0;
                rho[tt + 2] = rho[tt + 1];
            }
            tt += 2;
        }
        double total = chains * (double)n;
        double sum = 0;
        for (int t = 0; t <= maxT; t++) sum += rho[t];
        double tau = -1.0 + 2.0 * sum + (maxT + 1 < n ? rho[maxT + 1] : 0);
        tau = Math.Max(tau, 1 / Math.Log10(total));
        return total / tau;
    }

    /// <summary>The biased autocovariance acov(t) = (1/n) Σ_{i<n−t} (x_i − x̄)(x_{i+t} − x̄) for t = 0 … n − 1, by FFT.</summary>
    /// <param name="x">The series.</param>
    public static double[] Autocovariance(ReadOnlySpan<double> x)
    {
        int n = x.Length;
        double mean = 0;
        foreach (double v in x) mean += v;
        mean /= n;
        int m = 1;
        while (m < 2 * n) m <<= 1;
        var buffer = new Complex[m];
        for (int i = 0; i < n; i++) buffer[i] = new Complex(x[i] - mean, 0);
        Fourier.Forward(buffer, FourierOptions.NoScaling);
        for (int i = 0; i < m; i++) buffer[i] = new Complex(buffer[i].Real * buffer[i].Real + buffer[i].Imaginary * buffer[i].Imaginary, 0);
        Fourier.Inverse(buffer, FourierOptions.NoScaling);
        var acov = new double[n];
        for (int t = 0; t < n; t++) acov[t] = buffer[t].Real / m / n;
        return acov;
    }

    private static double Variance(double[] values, int ddof)
    {
        double mean = values.Average();
        return values.Sum(x => (x - mean) * (x - mean)) / (values.Length - ddof);
    }
}
