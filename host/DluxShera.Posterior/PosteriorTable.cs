namespace DluxShera.Posterior;

/// <summary>One parameter's posterior summary (ArviZ's <c>az.summary</c> column names, quantiles 5/50/95 %).</summary>
/// <param name="Name">The θ entry name (with [i] for vector entries).</param>
/// <param name="Mean">Posterior mean.</param>
/// <param name="Sd">Posterior standard deviation (ddof 1).</param>
/// <param name="McseMean">Monte Carlo standard error of the mean.</param>
/// <param name="McseSd">Monte Carlo standard error of the sd.</param>
/// <param name="Q5">5 % quantile.</param>
/// <param name="Q50">Median.</param>
/// <param name="Q95">95 % quantile.</param>
/// <param name="EssBulk">Bulk effective sample size.</param>
/// <param name="EssTail">Tail effective sample size.</param>
/// <param name="RHat">Rank-normalised split R̂.</param>
public sealed record PosteriorRow(string Name, double Mean, double Sd, double McseMean, double McseSd, double Q5, double Q50, double Q95,
    double EssBulk, double EssTail, double RHat);

/// <summary>Builds the posterior table from draws shaped (chains, draws, D).</summary>
public static class PosteriorTable
{
    /// <summary>The column of parameter <paramref name="index"/>: chains × draws, flat.</summary>
    /// <param name="theta">θ draws, (chains, draws, D) row-major.</param>
    /// <param name="chains">Chains.</param>
    /// <param name="draws">Draws per chain.</param>
    /// <param name="dimension">D.</param>
    /// <param name="index">The parameter.</param>
    public static double[] Column(double[] theta, int chains, int draws, int dimension, int index)
    {
        var column = new double[chains * draws];
        for (int k = 0; k < chains * draws; k++) column[k] = theta[k * dimension + index];
        return column;
    }

    /// <summary>One row per parameter.</summary>
    /// <param name="theta">θ draws, (chains, draws, D) row-major.</param>
    /// <param name="chains">Chains.</param>
    /// <param name="draws">Draws per chain.</param>
    /// <param name="names">The D parameter names.</param>
    public static IReadOnlyList<PosteriorRow> Build(double[] theta, int chains, int draws, IReadOnlyList<string> names)
    {
        int d = names.Count;
        var rows = new PosteriorRow[d];
        Parallel.For(0, d, i =>
        {
            var x = Column(theta, chains, draws, d, i);
            var sorted = (double[])x.Clone();
            Array.Sort(sorted);
            rows[i] = new PosteriorRow(names[i], x.Average(), x.Length > 1 ? McmcDiagnostics.StandardDeviation(x) : double.NaN,
                McmcDiagnostics.McseMean(x, chains), McmcDiagnostics.McseSd(x, chains),
                McmcDiagnostics.SortedQuantile(sorted, 0.05), McmcDiagnostics.SortedQuantile(sorted, 0.5), McmcDiagnostics.SortedQuantile(sorted, 0.95),
                McmcDiagnostics.EssBulk(x, chains), McmcDiagnostics.EssTail(x, chains), McmcDiagnostics.RHat(x, chains));
        });
        return rows;
    }
}
