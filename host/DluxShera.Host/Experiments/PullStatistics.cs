using MathNet.Numerics.Distributions;

namespace DluxShera.Host.Experiments;

/// <summary>
/// How well a sample of pulls (best − truth)/σ matches N(0, 1): mean and scatter with their standard errors,
/// the one-sample Kolmogorov–Smirnov test against N(0, 1) (location, scale and shape at once) and a χ² test
/// of the scatter alone ((n − 1)s² ~ χ²ₙ₋₁ when the σ are right).
/// </summary>
/// <param name="Count">n.</param>
/// <param name="Mean">Sample mean.</param>
/// <param name="MeanStandardError">1/√n, the mean's standard error under N(0, 1).</param>
/// <param name="Std">Sample standard deviation (n − 1).</param>
/// <param name="StdStandardError">1/√(2(n − 1)), the scatter's standard error under N(0, 1).</param>
/// <param name="KsStatistic">sup |F̂(x) − Φ(x)|.</param>
/// <param name="KsPValue">Its p-value (asymptotic Kolmogorov distribution with Stephens' finite-n correction).</param>
/// <param name="StdPValue">Two-sided χ² p-value of the scatter against 1.</param>
public sealed record PullStatistics(int Count, double Mean, double MeanStandardError, double Std, double StdStandardError,
    double KsStatistic, double KsPValue, double StdPValue)
{
    /// <summary>The statistics of <paramref name="pulls"/> (finite values only; null when fewer than 2).</summary>
    /// <param name="pulls">The pulls.</param>
    public static PullStatistics? Of(IEnumerable<double> pulls)
    {
        var x = pulls.Where(double.IsFinite).Order().ToArray();
        int n = x.Length;
        if (n < 2) return null;
        double mean = x.Average();
        double ss = x.Sum(v => (v - mean) * (v - mean));
        double std = Math.Sqrt(ss / (n - 1));
        var (d, p) = KolmogorovSmirnovStandardNormal(x);
        double chi = ChiSquared.CDF(n - 1, ss);
        return new PullStatistics(n, mean, 1 / Math.Sqrt(n), std, 1 / Math.Sqrt(2.0 * (n - 1)), d, p, Math.Min(1, 2 * Math.Min(chi, 1 - chi)));
    }

    /// <summary>The one-sample KS statistic and p-value of a sorted sample against N(0, 1).</summary>
    /// <param name="sorted">The sample, ascending.</param>
    public static (double Statistic, double PValue) KolmogorovSmirnovStandardNormal(IReadOnlyList<double> sorted)
    {
        int n = sorted.Count;
        double d = 0;
        for (int i = 0; i < n; i++)
        {
            double f = Normal.CDF(0, 1, sorted[i]);
            d = Math.Max(d, Math.Max((i + 1.0) / n - f, f - (double)i / n));
        }
        double sqrtN = Math.Sqrt(n);
        return (d, KolmogorovSurvival((sqrtN + 0.12 + 0.11 / sqrtN) * d));
    }

    // Q(λ) = 2 Σₖ (−1)^(k−1) exp(−2k²λ²), the Kolmogorov distribution's survival function.
    private static double KolmogorovSurvival(double lambda)
    {
        if (lambda < 0.2) return 1; // the series converges slowly there and Q is 1 to double precision
        double sum = 0, sign = 1;
        for (int k = 1; k <= 100; k++)
        {
            double term = sign * Math.Exp(-2.0 * k * k * lambda * lambda);
            sum += term;
            if (Math.Abs(term) < 1e-16 * Math.Abs(sum)) break;
            sign = -sign;
        }
        return Math.Clamp(2 * sum, 0, 1);
    }
}
