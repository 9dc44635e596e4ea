using System.Diagnostics;
using System.Globalization;
using System.Text;
using DluxShera.Contracts;

namespace DluxShera.Host.Sampling;

/// <summary>
/// Per-chain progress on stderr: one line with every chain's iteration, phase, step size and divergences so far, redrawn
/// in place on a terminal (at most 10 times a second) or printed about 20 times per run when stderr is redirected.
/// </summary>
/// <param name="output">stderr.</param>
/// <param name="inPlace">Redraw one line in place.</param>
public sealed class ChainProgressDisplay(TextWriter output, bool inPlace) : IChainProgressReporter
{
    private readonly Lock _gate = new();
    private readonly Dictionary<int, ChainProgressUpdate> _chains = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private TimeSpan _lastDraw = TimeSpan.MinValue;
    private int _lastTwentieth = -1;
    private bool _drewInPlace;

    /// <inheritdoc/>
    public void Report(in ChainProgressUpdate update)
    {
        lock (_gate)
        {
            _chains[update.Chain] = update;
            int done = _chains.Values.Min(c => c.Iteration), total = update.TotalIterations;
            bool finished = done >= total;
            if (inPlace)
            {
                var now = _clock.Elapsed;
                if (!finished && now - _lastDraw < TimeSpan.FromMilliseconds(100)) return;
                _lastDraw = now;
                output.Write("\r" + Line() + "   ");
                _drewInPlace = true;
                return;
            }
            int twentieth = total > 0 ? (int)(20L * done / total) : 0;
            if (twentieth == _lastTwentieth) return;
            _lastTwentieth = twentieth;
            output.WriteLine(Line());
        }
    }

    /// <summary>Ends the in-place line.</summary>
    public void Finish()
    {
        lock (_gate)
        {
            if (_drewInPlace) output.WriteLine();
            _drewInPlace = false;
        }
    }

    private string Line()
    {
        var line = new StringBuilder();
        foreach (var c in _chains.Values.OrderBy(c => c.Chain))
        {
            if (line.Length > 0) line.Append(" | ");
            line.Append(CultureInfo.InvariantCulture, $"chain {c.Chain} {c.Iteration}/{c.TotalIterations} {(c.IsWarmup ? "warmup" : "sampling")} ε {c.StepSize:0.###e+0} div {c.Divergences}");
        }
        line.Append(CultureInfo.InvariantCulture, $"  {_clock.Elapsed:hh\\:mm\\:ss}");
        return line.ToString();
    }
}
