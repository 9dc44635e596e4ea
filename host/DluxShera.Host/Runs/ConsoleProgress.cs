using System.Diagnostics;
using System.Globalization;
using DluxShera.Contracts;

namespace DluxShera.Host.Runs;

/// <summary>
/// Progress on stderr: a line updated in place on a terminal (at most 10 times a second), one line per
/// N steps when stderr is redirected, nothing when quiet.
/// </summary>
public sealed class ConsoleProgress : IProgressReporter
{
    private readonly TextWriter _out;
    private readonly bool _inPlace;
    private readonly int _every;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private TimeSpan _lastDraw = TimeSpan.MinValue;
    private bool _drewInPlace;

    /// <summary>
    /// Whether progress written to <paramref name="stderr"/> lands on a terminal, so it can be redrawn in
    /// place: only the process's own stderr, and only when that is not redirected (a writer handed in by
    /// a caller, such as a test capturing output, always gets plain lines).
    /// </summary>
    /// <param name="stderr">The writer progress goes to.</param>
    public static bool IsTerminal(TextWriter stderr) => ReferenceEquals(stderr, Console.Error) && !Console.IsErrorRedirected;

    /// <summary>Creates a reporter.</summary>
    /// <param name="output">Where to write (stderr).</param>
    /// <param name="inPlace">Update one line in place (a terminal).</param>
    /// <param name="every">Steps between lines when not in place (0: about 20 lines per run).</param>
    public ConsoleProgress(TextWriter output, bool inPlace, int every)
    {
        _out = output;
        _inPlace = inPlace;
        _every = every;
    }

    /// <inheritdoc/>
    public void Report(in ProgressUpdate u)
    {
        bool last = u.TotalSteps > 0 && u.Step >= u.TotalSteps;
        if (_inPlace)
        {
            var now = _clock.Elapsed;
            if (!last && now - _lastDraw < TimeSpan.FromMilliseconds(100)) return;
            _lastDraw = now;
            _out.Write("\r" + Line(u) + "   ");
            _drewInPlace = true;
            if (last) Finish();
            return;
        }
        int every = _every > 0 ? _every : Math.Max(1, u.TotalSteps / 20);
        if (u.Step % every == 0 || last) _out.WriteLine(Line(u));
    }

    /// <summary>Ends the in-place line.</summary>
    public void Finish()
    {
        if (_drewInPlace) _out.WriteLine();
        _drewInPlace = false;
    }

    private string Line(in ProgressUpdate u)
    {
        double seconds = _clock.Elapsed.TotalSeconds;
        double rate = seconds > 0 ? u.Step / seconds : 0;
        string eta = u.TotalSteps > 0 && rate > 0 ? $"{TimeSpan.FromSeconds((u.TotalSteps - u.Step) / rate):hh\\:mm\\:ss}" : "--:--:--";
        string total = u.TotalSteps > 0 ? $"/{u.TotalSteps}" : "";
        return string.Create(CultureInfo.InvariantCulture,
            $"step {u.Step}{total}  loss {u.Loss:0.000000e+00}  |g| {u.GradNorm:0.000e+00}  {rate:0.0} steps/s  ETA {eta}");
    }
}

/// <summary>Reports nothing (<c>--quiet</c>).</summary>
public sealed class SilentProgress : IProgressReporter
{
    /// <inheritdoc/>
    public void Report(in ProgressUpdate update)
    {
    }
}
