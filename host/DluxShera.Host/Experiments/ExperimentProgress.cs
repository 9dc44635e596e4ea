using System.Diagnostics;
using System.Globalization;

namespace DluxShera.Host.Experiments;

/// <summary>
/// Progress over the whole sweep, one line per finished point: how many of this invocation's points are
/// done, failed and running, and an ETA from the mean duration of the points finished so far.
/// </summary>
public sealed class ExperimentProgress(TextWriter output, int total, int workers)
{
    private readonly object _gate = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private int _ok, _failed, _running;
    private double _busySeconds;

    /// <summary>A point started.</summary>
    public void Started()
    {
        lock (_gate) _running++;
    }

    /// <summary>A point finished.</summary>
    /// <param name="runId">Its run id.</param>
    /// <param name="exitCode">Its exit code.</param>
    /// <param name="seconds">How long it took.</param>
    public void Finished(string runId, int exitCode, double seconds)
    {
        lock (_gate)
        {
            _running--;
            _busySeconds += seconds;
            if (exitCode == 0) _ok++;
            else _failed++;
            int done = _ok + _failed;
            int left = total - done;
            // Points run `workers` at a time, so the remaining wall time is the remaining work divided by them.
            double eta = left * (_busySeconds / done) / Math.Max(1, Math.Min(workers, left));
            string status = exitCode switch { 0 => "ok", 2 => "failed (bad input)", _ => "failed" };
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"[{done,4}/{total}] {runId} {status} in {seconds:F1} s | ok {_ok}, failed {_failed}, running {_running}, left {left} | elapsed {Format(_clock.Elapsed.TotalSeconds)}, ETA {(left == 0 ? "-" : Format(eta))}"));
        }
    }

    /// <summary>Points done so far.</summary>
    public (int Ok, int Failed) Counts
    {
        get
        {
            lock (_gate) return (_ok, _failed);
        }
    }

    private static string Format(double seconds) => TimeSpan.FromSeconds(Math.Round(seconds)).ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture);
}
