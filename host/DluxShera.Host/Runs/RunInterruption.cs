using System.Globalization;
using System.Runtime.InteropServices;

namespace DluxShera.Host.Runs;

/// <summary>
/// SIGINT (Ctrl+C) and SIGTERM (Slurm, Kubernetes, <c>kill</c>) during a run. The first signal cancels the
/// engine, which saves the run as failed/cancelled. A second signal, or an engine that has not returned
/// <see cref="Grace"/> after the first, stops the process: the stop-now action saves what the rows so far
/// allow (failed/cancelled) and exits 130 (INT) or 143 (TERM). Before the run directory exists and after the
/// engine returned (the host is saving), a second signal just ends the process with that code.
/// </summary>
public sealed class RunInterruption : IDisposable
{
    /// <summary>Environment variable: seconds an engine gets to honour cancellation (default 10).</summary>
    public const string GraceVariable = "DLUXSHERA_STOP_GRACE_S";

    private readonly CancellationTokenSource _cancel = new();
    private readonly List<PosixSignalRegistration> _registrations = [];
    private Action<string, int>? _stopNow;
    private bool _engineReturned;
    private readonly object _gate = new();
    private Timer? _graceTimer;
    private bool _stopping;

    /// <summary>Creates the handler.</summary>
    /// <param name="grace">Time the engine gets after the first signal.</param>
    /// <param name="exit">Ends the process with a code (<see cref="Environment.Exit"/>; replaced in tests).</param>
    public RunInterruption(TimeSpan grace, Action<int>? exit = null)
    {
        Grace = grace;
        _exit = exit ?? Environment.Exit;
    }

    private readonly Action<int> _exit;

    /// <summary>Sets the action (message, exit code) that saves the run and ends the process.</summary>
    /// <param name="stopNow">Saves the run and exits.</param>
    public void SetStopNow(Action<string, int> stopNow)
    {
        lock (_gate) _stopNow = stopNow;
    }

    /// <summary>The engine returned: from now on the host is saving the run and a second signal only exits.</summary>
    public void EngineReturned()
    {
        lock (_gate)
        {
            _engineReturned = true;
            _graceTimer?.Dispose();
        }
    }

    /// <summary>The grace period of <c>$DLUXSHERA_STOP_GRACE_S</c> (default 10 s, well inside Slurm's 30 s KillWait).</summary>
    public static TimeSpan GraceFromEnvironment() =>
        double.TryParse(Environment.GetEnvironmentVariable(GraceVariable), NumberStyles.Float, CultureInfo.InvariantCulture, out double s) && s >= 0
            ? TimeSpan.FromSeconds(s) : TimeSpan.FromSeconds(10);

    /// <summary>Time the engine gets to return after the first signal.</summary>
    public TimeSpan Grace { get; }

    /// <summary>Cancelled by the first signal.</summary>
    public CancellationToken Token => _cancel.Token;

    /// <summary>The first signal received (SIGINT or SIGTERM), or null.</summary>
    public PosixSignal? Received { get; private set; }

    /// <summary>The exit code for the signal received (130 INT, 143 TERM), or null.</summary>
    public int? ExitCode => Received switch
    {
        PosixSignal.SIGINT => ExitCodes.Interrupted,
        PosixSignal.SIGTERM => ExitCodes.Terminated,
        _ => null,
    };

    /// <summary>Starts listening to SIGINT and SIGTERM (instead of the default termination).</summary>
    public RunInterruption Listen()
    {
        foreach (var signal in new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM })
        {
            _registrations.Add(PosixSignalRegistration.Create(signal, context =>
            {
                context.Cancel = true;
                OnSignal(context.Signal);
            }));
        }
        return this;
    }

    /// <summary>Handles one signal (called by the OS handler; public for tests).</summary>
    /// <param name="signal">SIGINT or SIGTERM.</param>
    public void OnSignal(PosixSignal signal)
    {
        lock (_gate)
        {
            if (_stopping) return;
            if (Received is null)
            {
                Received = signal;
                _cancel.Cancel();
                if (!_engineReturned)
                {
                    _graceTimer = new Timer(_ => Stop($"the engine did not stop within {Grace.TotalSeconds:0.#} s of {Name(signal)}", fromTimer: true), null, Grace, Timeout.InfiniteTimeSpan);
                }
                return;
            }
        }
        Stop($"a second signal ({Name(signal)}) arrived before the engine stopped", fromTimer: false);
    }

    private void Stop(string why, bool fromTimer)
    {
        Action<string, int>? stopNow;
        lock (_gate)
        {
            if (_stopping || (fromTimer && _engineReturned)) return;
            _stopping = true;
            stopNow = _engineReturned ? null : _stopNow;
        }
        int code = ExitCode ?? ExitCodes.Interrupted;
        if (stopNow is null) _exit(code);
        else stopNow($"{why}; stopped without the engine's result", code);
    }

    private static string Name(PosixSignal signal) => signal == PosixSignal.SIGTERM ? "SIGTERM" : "SIGINT";

    /// <summary>Stops listening and cancels the grace timer (the engine returned).</summary>
    public void Dispose()
    {
        lock (_gate) _stopping = true;
        _graceTimer?.Dispose();
        foreach (var r in _registrations) r.Dispose();
        _cancel.Dispose();
    }
}
