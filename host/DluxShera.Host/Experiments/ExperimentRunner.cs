using System.Diagnostics;
using DluxShera.Contracts;

namespace DluxShera.Host.Experiments;

/// <summary>What <c>experiment run</c> was asked.</summary>
/// <param name="SpecFile">The experiment spec.</param>
/// <param name="Out">Output root (<c>--out</c>), or null for the spec's <c>out</c>.</param>
/// <param name="Workers">Parallel points (0: as many as cores and memory allow).</param>
/// <param name="ShardOption"><c>--shard i/n</c>, or null to read the scheduler's environment.</param>
/// <param name="RetryFailed">Run points whose run failed again.</param>
/// <param name="Figures">Per-run figures on (they are off inside experiments by default).</param>
/// <param name="Isolation">Threads or processes.</param>
/// <param name="PluginsFile">plugins.json (absolute).</param>
/// <param name="ExtraPlugins"><c>--plugin</c> assemblies (absolute), loaded by every point on top of the plugins file.</param>
public sealed record ExperimentRunRequest(string SpecFile, string? Out, int Workers, string? ShardOption, bool RetryFailed, bool Figures,
    PointIsolation Isolation, string PluginsFile, IReadOnlyList<string> ExtraPlugins);

/// <summary>
/// <c>dluxshera experiment run</c>: prepares the experiment directory, decides which of this shard's points
/// still need running (done points are skipped; interrupted and cancelled ones rerun; failed ones only with
/// <c>--retry-failed</c>), runs them on K workers with progress, and isolates failures: a failed point is
/// recorded and the sweep goes on. Time series points wait for their previous epoch.
/// </summary>
public static class ExperimentRunner
{
    /// <summary>Approximate peak memory of one point, for the default worker count.</summary>
    public const long MemoryPerWorkerBytes = 1L << 30;

    /// <summary>Runs the experiment; returns 0 when every point of this shard is ok, 1 when any failed or was blocked.</summary>
    /// <param name="request">The request.</param>
    /// <param name="stdout">Final report.</param>
    /// <param name="stderr">Progress.</param>
    /// <param name="cancellation">SIGINT/SIGTERM: no new points; running ones stop and stay loadable.</param>
    public static int Execute(ExperimentRunRequest request, TextWriter stdout, TextWriter stderr, CancellationToken cancellation)
    {
        var spec = ExperimentSpec.Load(request.SpecFile);
        if (request.Figures) spec.Figures = true;
        var layout = new ExperimentLayout(Path.GetFullPath(Path.Combine(request.Out ?? spec.Out, spec.Name)));
        var shard = Shard.Resolve(request.ShardOption, Environment.GetEnvironmentVariables());
        ExperimentPlan.Prepare(spec, layout);

        // A time series is one chain of dependent runs: shard 0 runs all of it.
        var mine = spec.Points.Where(p => spec.Kind == "time_series" ? shard.Index == 0 : shard.Owns(p.Index)).ToList();
        var outcome = new Dictionary<string, bool>(); // run id → ok, for points settled before or during this invocation
        var jobs = new List<PointJob>();
        int alreadyOk = 0, keptFailed = 0, elsewhere = 0;
        foreach (var point in spec.Points)
        {
            var state = RunState.OfPoint(layout, point.RunId);
            bool isMine = mine.Contains(point);
            switch (state.Status)
            {
                case "ok":
                    outcome[point.RunId] = true;
                    if (isMine) alreadyOk++;
                    break;
                case "running":
                    if (isMine) elsewhere++;
                    break;
                case "pending":
                    if (isMine) jobs.Add(Job(layout, point, overwrite: false));
                    break;
                default:
                    if (isMine && (request.RetryFailed || state.Resumable))
                    {
                        jobs.Add(Job(layout, point, overwrite: true));
                    }
                    else
                    {
                        outcome[point.RunId] = false;
                        if (isMine) keptFailed++;
                    }
                    break;
            }
        }
        int workers = WorkerCount(request.Workers, jobs.Count, stderr);
        stderr.WriteLine($"experiment {spec.Name}: {spec.Points.Count} points, {shard}: {mine.Count} here — {alreadyOk} already ok, "
            + $"{keptFailed} failed earlier{(keptFailed > 0 && !request.RetryFailed ? " (rerun with --retry-failed)" : "")}, {elsewhere} running elsewhere, "
            + $"{jobs.Count} to run on {workers} {(request.Isolation == PointIsolation.Threads ? "worker thread" : "worker process")}{(workers == 1 ? "" : request.Isolation == PointIsolation.Threads ? "s" : "es")}");

        var progress = new ExperimentProgress(stderr, jobs.Count, workers);
        var scheduler = new PointScheduler(jobs, outcome);
        var threads = Enumerable.Range(0, workers).Select(_ => new Thread(() => Work(request, scheduler, progress, cancellation)) { IsBackground = false }).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        var (ok, failed) = progress.Counts;
        int blocked = scheduler.Blocked.Count;
        foreach (string id in scheduler.Blocked) stderr.WriteLine($"{id}: not run, its previous epoch did not finish ok");
        int notStarted = jobs.Count - ok - failed - blocked;
        stdout.WriteLine(layout.Directory);
        stdout.WriteLine($"{mine.Count} points here: {alreadyOk + ok} ok, {keptFailed + failed} failed, {blocked} blocked, {elsewhere} running elsewhere"
            + (notStarted > 0 ? $", {notStarted} not started (cancelled)" : ""));
        return keptFailed + failed + blocked + notStarted > 0 ? ExitCodes.RunFailed : ExitCodes.Ok;
    }

    private static PointJob Job(ExperimentLayout layout, ExperimentPoint point, bool overwrite) =>
        new(point, layout.SpecFile(point.RunId), layout.LogFile(point.RunId), overwrite);

    private static void Work(ExperimentRunRequest request, PointScheduler scheduler, ExperimentProgress progress, CancellationToken cancellation)
    {
        using IPointExecutor executor = request.Isolation == PointIsolation.Threads
            ? new InProcessPointExecutor(request.PluginsFile, request.ExtraPlugins)
            : new ChildProcessPointExecutor(request.PluginsFile, request.ExtraPlugins);
        while (scheduler.Next(cancellation) is { } job)
        {
            progress.Started();
            var clock = Stopwatch.StartNew();
            int code = executor.Execute(job, cancellation);
            progress.Finished(job.Point.RunId, code, clock.Elapsed.TotalSeconds);
            scheduler.Done(job, code == 0);
        }
    }

    /// <summary>K workers, bounded by the cores and by the memory available to this process (cgroup limits included).</summary>
    /// <param name="requested">0 for automatic.</param>
    /// <param name="jobs">Points to run.</param>
    /// <param name="stderr">Where a capped request is reported.</param>
    public static int WorkerCount(int requested, int jobs, TextWriter stderr)
    {
        if (requested < 0) throw new BadInputException($"--workers {requested}: expected ≥ 0 (0: as many as cores and memory allow).");
        long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        int bound = (int)Math.Max(1, Math.Min(Environment.ProcessorCount, available / MemoryPerWorkerBytes));
        int k = requested == 0 ? bound : requested;
        if (k > bound)
        {
            stderr.WriteLine($"dluxshera: note: --workers {requested} capped at {bound} ({Environment.ProcessorCount} cores, {available / (1 << 20)} MiB available at ~{MemoryPerWorkerBytes >> 20} MiB per point)");
            k = bound;
        }
        return Math.Max(1, Math.Min(k, Math.Max(jobs, 1)));
    }
}

/// <summary>
/// Hands out points in plan order to workers. A point with a previous epoch waits until that epoch is
/// done; when the previous epoch failed (or will not run here) the point is blocked, not run.
/// </summary>
internal sealed class PointScheduler(List<PointJob> jobs, Dictionary<string, bool> outcome)
{
    private readonly object _gate = new();
    private readonly List<PointJob> _waiting = [.. jobs];
    private readonly HashSet<string> _inFlight = [];

    public List<string> Blocked { get; } = [];

    public PointJob? Next(CancellationToken cancellation)
    {
        lock (_gate)
        {
            while (!cancellation.IsCancellationRequested)
            {
                for (int i = 0; i < _waiting.Count; i++)
                {
                    var job = _waiting[i];
                    string? dependency = job.Point.WarmStartFrom;
                    if (dependency is not null && outcome.TryGetValue(dependency, out bool ok) && !ok
                        || dependency is not null && !outcome.ContainsKey(dependency) && !_inFlight.Contains(dependency) && _waiting.All(w => w.Point.RunId != dependency))
                    {
                        Blocked.Add(job.Point.RunId);
                        outcome[job.Point.RunId] = false;
                        _waiting.RemoveAt(i);
                        Monitor.PulseAll(_gate);
                        i = -1; // a newly blocked point can block its successors: rescan
                        continue;
                    }
                    if (dependency is null || outcome.GetValueOrDefault(dependency))
                    {
                        _waiting.RemoveAt(i);
                        _inFlight.Add(job.Point.RunId);
                        return job;
                    }
                }
                if (_waiting.Count == 0) return null;
                Monitor.Wait(_gate, 200); // wakes on Done, or re-checks cancellation
            }
            return null;
        }
    }

    public void Done(PointJob job, bool ok)
    {
        lock (_gate)
        {
            _inFlight.Remove(job.Point.RunId);
            outcome[job.Point.RunId] = ok;
            Monitor.PulseAll(_gate);
        }
    }
}
