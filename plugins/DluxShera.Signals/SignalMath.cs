using DluxShera.Contracts;

namespace DluxShera.Signals;

/// <summary>Small helpers the recipes share: columns of θ, truth lookup, array shapes.</summary>
internal static class SignalMath
{
    /// <summary>θ[:, start:stop] as a T×K row-major array.</summary>
    public static double[] Columns(TraceData trace, int start, int stop)
    {
        int t = trace.Steps, k = stop - start;
        var result = new double[t * k];
        for (int row = 0; row < t; row++) trace.ThetaAt(row)[start..stop].CopyTo(result.AsSpan(row * k, k));
        return result;
    }

    /// <summary>A signal of shape [T] (K = 1) or [T, K].</summary>
    public static Signal Make(string name, string unit, double[] values, int t, int k, double[]? truth = null) =>
        new(name, unit, values, k == 1 ? [t] : [t, k], truth);

    /// <summary>
    /// loss − min(loss): on a log axis it keeps the last steps of a converged run readable (the loss itself
    /// flattens onto its floor). Zero at the best step, which a log axis leaves out.
    /// </summary>
    public static Signal AboveBest(double[] loss)
    {
        double best = loss.Where(double.IsFinite).DefaultIfEmpty(double.NaN).Min();
        return Make("loss_above_best", "loss − best", loss.Select(v => v - best).ToArray(), loss.Length, 1);
    }

    /// <summary>values − truth per component (NaN when the truth is unknown).</summary>
    public static double[] Error(double[] values, int k, double[]? truth, double scale = 1)
    {
        var e = new double[values.Length];
        for (int i = 0; i < values.Length; i++) e[i] = truth is null ? double.NaN : (values[i] - truth[i % k]) * scale;
        return e;
    }
}
