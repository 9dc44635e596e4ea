using System.Diagnostics;
using System.Runtime.InteropServices;
using DluxShera.Contracts;
using DluxShera.Host.Runs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace DluxShera.Host.Experiments;

/// <summary>One point to run: its spec file, its log, and whether an earlier attempt's directory is replaced.</summary>
/// <param name="Point">The point.</param>
/// <param name="SpecFile">The point's run spec.</param>
/// <param name="LogFile">Console output and exit code go here.</param>
/// <param name="Overwrite">Replace the run directory (a retry or an interrupted attempt).</param>
public sealed record PointJob(ExperimentPoint Point, string SpecFile, string LogFile, bool Overwrite);

/// <summary>Runs points, one at a time; a worker owns one executor.</summary>
public interface IPointExecutor : IDisposable
{
    /// <summary>Runs the point to the end and returns <c>dluxshera run</c>'s exit code (0 ok, 1 failed, 2 bad input).</summary>
    /// <param name="job">The point.</param>
    /// <param name="cancellation">Stops the run (it still leaves a loadable run directory).</param>
    int Execute(PointJob job, CancellationToken cancellation);
}

/// <summary>How points run: threads of this process or child processes.</summary>
public enum PointIsolation
{
    /// <summary>Worker threads, each with its own workbench host (plugins loaded once per worker).</summary>
    Threads,

    /// <summary>One <c>dluxshera run</c> process per point: a crash or out-of-memory takes only that point.</summary>
    Processes,
}

/// <summary>Runs points on the calling thread through a workbench host of its own (the catalog is not shared between threads).</summary>
/// <param name="pluginsFile">plugins.json.</param>
/// <param name="extraPlugins"><c>--plugin</c> assemblies loaded on top of it.</param>
public sealed class InProcessPointExecutor(string pluginsFile, IReadOnlyList<string> extraPlugins) : IPointExecutor
{
    private IHost? _host;

    /// <inheritdoc/>
    public int Execute(PointJob job, CancellationToken cancellation)
    {
        var log = new StringWriter();
        int code;
        try
        {
            _host ??= Workbench.Build(pluginsFile, verbose: false, extraPlugins);
            var request = new RunRequest(job.SpecFile, [], null, Quiet: true, job.Overwrite);
            // The experiment's signal reaches the run as `run`'s own would: the engine is cancelled, and one that
            // ignores it past the grace period gets the stop-now path (its run saved as cancelled, the process ends).
            using var interruption = new RunInterruption(RunInterruption.GraceFromEnvironment());
            using var forward = cancellation.Register(() => interruption.OnSignal(PosixSignal.SIGTERM));
            code = _host.Services.GetRequiredService<RunPipeline>().Execute(request, log, log, interruption);
        }
        catch (Exception e) when (e is BadInputException or ArtifactException or ComponentOptionsException)
        {
            log.WriteLine($"dluxshera: error: {e.Message}");
            code = ExitCodes.BadInput;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // One point's defect must not stop the sweep: it is recorded in its log and counted as failed.
            log.WriteLine($"dluxshera: internal error in point {job.Point.RunId}: {e}");
            code = ExitCodes.RunFailed;
        }
        PointLog.Write(job.LogFile, log.ToString(), code);
        return code;
    }

    /// <inheritdoc/>
    public void Dispose() => _host?.Dispose();
}

/// <summary>Runs each point as <c>dluxshera run &lt;spec&gt; --quiet</c> in a child process; cancellation sends SIGTERM.</summary>
/// <param name="pluginsFile">plugins.json (absolute, so the child finds it from any directory).</param>
/// <param name="extraPlugins"><c>--plugin</c> assemblies (absolute), passed on to each child.</param>
public sealed class ChildProcessPointExecutor(string pluginsFile, IReadOnlyList<string> extraPlugins) : IPointExecutor
{
    private static readonly TimeSpan TermGrace = TimeSpan.FromSeconds(30);

    /// <inheritdoc/>
    public int Execute(PointJob job, CancellationToken cancellation)
    {
        var (file, prefix) = SelfCommand.Resolve();
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in prefix) info.ArgumentList.Add(a);
        foreach (string a in new[] { "run", job.SpecFile, "--quiet", "--plugins", pluginsFile }) info.ArgumentList.Add(a);
        foreach (string plugin in extraPlugins)
        {
            info.ArgumentList.Add("--plugin");
            info.ArgumentList.Add(plugin);
        }
        if (job.Overwrite) info.ArgumentList.Add("--overwrite");
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        var terminatedAt = DateTime.MaxValue;
        using (cancellation.Register(() => Signals.Terminate(process)))
        {
            while (!process.WaitForExit(500))
            {
                if (cancellation.IsCancellationRequested && terminatedAt == DateTime.MaxValue) terminatedAt = DateTime.UtcNow;
                if (DateTime.UtcNow - terminatedAt > TermGrace) process.Kill(entireProcessTree: true); // it ignored SIGTERM
            }
        }
        process.WaitForExit();
        PointLog.Write(job.LogFile, stdout.Result + stderr.Result, process.ExitCode);
        return process.ExitCode;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
    }
}

/// <summary>The command line that starts this workbench again: the apphost, or <c>dotnet dluxshera.dll</c>.</summary>
public static class SelfCommand
{
    /// <summary>The executable and the arguments that come before the command.</summary>
    public static (string File, string[] Prefix) Resolve()
    {
        string? processPath = Environment.ProcessPath;
        if (processPath is not null && Path.GetFileNameWithoutExtension(processPath) == "dluxshera") return (processPath, []);
        string dll = typeof(SelfCommand).Assembly.Location;
        string dotnet = processPath is not null && Path.GetFileNameWithoutExtension(processPath) == "dotnet" ? processPath : "dotnet";
        return (dotnet, [dll]);
    }
}

/// <summary>POSIX signals to child processes (.NET can only SIGKILL them).</summary>
internal static partial class Signals
{
    private const int SigTerm = 15;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    /// <summary>Asks the process to stop cleanly (it finishes its run directory); Windows has no SIGTERM, so it is killed there.</summary>
    public static void Terminate(Process process)
    {
        try
        {
            if (process.HasExited) return;
            if (OperatingSystem.IsWindows()) process.Kill();
            else _ = Kill(process.Id, SigTerm);
        }
        catch (InvalidOperationException)
        {
            // Exited in between.
        }
    }
}

/// <summary>Writes a point's log: its console output, then the exit code.</summary>
internal static class PointLog
{
    public static void Write(string path, string output, int exitCode) =>
        Numpy.AtomicFile.WriteText(path, output + (output.EndsWith('\n') || output.Length == 0 ? "" : "\n") + $"exit {exitCode}\n");
}
