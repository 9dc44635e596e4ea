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

    /// <summary>
    /// Every primitive parameter over the trace as a T×K array by entry name: decoded row by row with the host's
    /// decoder (so eigen and unconstrained runs give the same signals as primitive ones), or θ columns by the
    /// IndexMap when a recipe is called without one.
    /// </summary>
    public static Dictionary<string, (double[] Values, int K)> PrimitiveSeries(SignalContext context)
    {
        var trace = context.Trace;
        int t = trace.Steps;
        var result = new Dictionary<string, (double[] Values, int K)>(StringComparer.Ordinal);
        if (context.Decoder is null)
        {
            foreach (var e in GenericSignalRecipe.IndexMapOf(context.Meta)) result[e.Name] = (Columns(trace, e.Start, e.Stop), e.Stop - e.Start);
            return result;
        }
        for (int row = 0; row < t; row++)
        {
            foreach (var (name, values) in context.Decoder.Decode(trace.ThetaAt(row)))
            {
                if (!result.TryGetValue(name, out var series))
                {
                    series = (new double[t * values.Length], values.Length);
                    result[name] = series;
                }
                values.CopyTo(series.Values, row * series.K);
            }
        }
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
