using DluxShera.Contracts;

namespace DluxShera.Artifacts;

/// <summary>
/// The trace rows that signals and figures are built from: every row of a trace that fits the budget, else every k-th
/// row plus the first, the lowest-loss and the last (figures keep their shape and their end points; the rows are
/// recorded in signals.npz). Read by streaming (<see cref="FilesystemRunReader.LoadTraceSample"/>), so a trace over
/// 2 GiB or over the machine's memory can be plotted.
/// </summary>
/// <param name="Trace">The kept rows (their <see cref="TraceData.Steps"/> is the number kept).</param>
/// <param name="Rows">The trace row of each kept row, ascending.</param>
/// <param name="TotalRows">Rows in the whole trace.</param>
public sealed record TraceSample(TraceData Trace, long[] Rows, long TotalRows)
{
    /// <summary>At most this many rows by default (a figure is a few thousand pixels wide).</summary>
    public const long DefaultMaxRows = 100_000;

    /// <summary>Bytes of trace values (θ and the scalar channels) a sample holds at most by default.</summary>
    public const long DefaultBudgetBytes = 256L << 20;

    /// <summary>Whether every row of the trace was kept.</summary>
    public bool IsComplete => Rows.Length == TotalRows;

    /// <summary>The default row limit for a trace of dimension <paramref name="dimension"/>: 100,000 rows or 256 MiB of values.</summary>
    /// <param name="dimension">D.</param>
    public static long DefaultRowsFor(int dimension) => Math.Clamp(DefaultBudgetBytes / ((dimension + 6L) * sizeof(double)), 3, DefaultMaxRows);

    /// <summary>The rows to keep: all when <paramref name="total"/> ≤ <paramref name="maxRows"/>, else every k-th row
    /// from 0 (k as small as leaves room) plus <paramref name="alsoKeep"/> and the last row.</summary>
    /// <param name="total">Rows in the trace.</param>
    /// <param name="maxRows">At most this many (at least 3 are kept: first, a chosen row, last).</param>
    /// <param name="alsoKeep">A row that must be kept (the lowest loss), or -1.</param>
    public static long[] ChooseRows(long total, long maxRows, long alsoKeep)
    {
        if (total <= 0) return [];
        if (total <= maxRows)
        {
            var all = new long[total];
            for (long i = 0; i < total; i++) all[i] = i;
            return all;
        }
        maxRows = Math.Max(maxRows, 3);
        long stride = (total - 1 + maxRows - 3) / (maxRows - 2); // ⌈(T − 1)/(max − 2)⌉: room for the kept row and the last
        var rows = new SortedSet<long>();
        for (long r = 0; r < total; r += stride) rows.Add(r);
        rows.Add(total - 1);
        if (alsoKeep >= 0 && alsoKeep < total) rows.Add(alsoKeep);
        return [.. rows];
    }
}
