using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using DluxShera.Artifacts;
using DluxShera.Numpy;
using Xunit;

namespace DluxShera.Tests;

/// <summary>
/// SIGTERM and SIGINT sent by the OS to a real <c>dluxshera run</c> process (the built host through <c>dotnet</c>):
/// the exit code, a loadable run saved as failed/cancelled, channels that agree, and an engine deaf to
/// cancellation stopped after the grace period or by a second signal (issue 10, items 14 and 16).
/// </summary>
public class SignalHandlingTests
{
    private const int SigInt = 2;
    private const int SigTerm = 15;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    [SkippableTheory]
    [InlineData(SigTerm, 143)]
    [InlineData(SigInt, 130)]
    public void A_signal_cancels_the_engine_and_saves_a_loadable_cancelled_run(int signal, int exitCode)
    {
        using var tmp = RepoPaths.Temp();
        // optimizer:gd honours cancellation; the slow hostile objective keeps it running until it is signalled.
        using var child = RunChild(tmp, "\"name\": \"gd\", \"options\": { \"num_steps\": 1000000, \"learning_rate\": 0.001 }", graceSeconds: 30);
        child.WaitForRows();
        child.Signal(signal);
        var (code, output) = child.WaitForExit();
        Assert.True(code == exitCode, $"exit {code}, expected {exitCode}\n{output}");
        AssertSavedAsCancelled(child.RunDirectory, output);
        Assert.Contains("cancelled after", RunArtifacts.LoadSummary(child.RunDirectory)["message"]!.GetValue<string>());
    }

    [SkippableFact]
    public void An_engine_deaf_to_cancellation_is_stopped_after_the_grace_period()
    {
        using var tmp = RepoPaths.Temp();
        using var child = RunChild(tmp, "\"name\": \"hostile\", \"options\": { \"mode\": \"deaf\" }", graceSeconds: 0.5);
        child.WaitForRows();
        child.Signal(SigTerm);
        var (code, output) = child.WaitForExit();
        Assert.True(code == 143, $"exit {code}\n{output}");
        AssertSavedAsCancelled(child.RunDirectory, output);
        Assert.Contains("the engine did not stop within 0.5 s of SIGTERM", RunArtifacts.LoadSummary(child.RunDirectory)["message"]!.GetValue<string>());
    }

    [SkippableFact]
    public void A_second_signal_stops_an_engine_deaf_to_cancellation_at_once()
    {
        using var tmp = RepoPaths.Temp();
        using var child = RunChild(tmp, "\"name\": \"hostile\", \"options\": { \"mode\": \"deaf\" }", graceSeconds: 600);
        child.WaitForRows();
        child.Signal(SigInt);
        Thread.Sleep(300);
        Assert.False(child.HasExited, "a deaf engine cannot stop on the first signal: the process should still run");
        child.Signal(SigInt);
        var (code, output) = child.WaitForExit();
        Assert.True(code == 130, $"exit {code}\n{output}");
        AssertSavedAsCancelled(child.RunDirectory, output);
        Assert.Contains("a second signal (SIGINT) arrived before the engine stopped", RunArtifacts.LoadSummary(child.RunDirectory)["message"]!.GetValue<string>());
    }

    private static void AssertSavedAsCancelled(string dir, string output)
    {
        var summary = RunArtifacts.LoadSummary(dir);
        Assert.True(summary["status"]!.GetValue<string>() == "failed", output + summary.ToJsonString());
        Assert.Equal("cancelled", summary["stop_reason"]!.GetValue<string>());
        // Packed and complete: every channel of trace.npz has the same rows, which agree with the summary and inspect.
        Assert.False(Directory.Exists(Path.Combine(dir, RunLayout.PartialTraceDirectory)), "trace.partial/ should have been packed into trace.npz");
        var headers = NpzFile.ReadHeaders(Path.Combine(dir, RunLayout.Trace), verifyData: true);
        long rows = headers["loss"].Shape[0];
        Assert.True(rows >= 2, $"only {rows} rows were saved");
        Assert.All(headers, h => Assert.True(h.Value.Shape[0] == rows, $"{h.Key} has {h.Value.Shape[0]} rows, loss {rows}"));
        Assert.Equal(rows - 1, summary["num_steps_completed"]!.GetValue<long>());
        var trace = RunArtifacts.LoadTrace(dir);
        Assert.Equal(rows, trace.Steps);
        Assert.NotNull(RunArtifacts.LoadCheckpoint(dir, "final"));
        var inspect = Dluxshera.Invoke("inspect", dir);
        Assert.True(inspect.ExitCode == 0, inspect.ToString());
        Assert.Contains($"{rows} trace rows × D = 2", inspect.Stdout);
    }

    private static ChildRun RunChild(TempDirectory tmp, string optimizer, double graceSeconds)
    {
        Skip.IfNot(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS(), "POSIX signals are needed (this OS cannot send SIGTERM/SIGINT to a process)");
        string plugins = Dluxshera.PluginsFile(tmp.Path, $$"""    { "id": "hostile", "path": {{Dluxshera.Json(RepoPaths.TestPlugin("HostilePlugin"))}} }""");
        string spec = tmp.Combine("spec.json");
        File.WriteAllText(spec, $$"""
            {
              "run": { "id": "signalled", "figures": false },
              "objective": { "name": "hostile", "options": { "dimension": 2, "delay_ms": 1 } },
              "optimizer": { {{optimizer}} }
            }
            """);
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = tmp.Path };
        foreach (string a in new[] { typeof(DluxShera.Host.Workbench).Assembly.Location, "run", spec, "--out", tmp.Path, "--plugins", plugins, "--quiet" }) info.ArgumentList.Add(a);
        info.Environment[DluxShera.Host.Runs.RunInterruption.GraceVariable] = graceSeconds.ToString(CultureInfo.InvariantCulture);
        return new ChildRun(Process.Start(info)!, Path.Combine(tmp.Path, "signalled"));
    }

    /// <summary>A <c>dluxshera run</c> child process; never outlives its test (killed on dispose).</summary>
    private sealed class ChildRun : IDisposable
    {
        private readonly Process _process;
        private readonly Task<string> _stdout;
        private readonly Task<string> _stderr;

        public ChildRun(Process process, string runDirectory)
        {
            _process = process;
            RunDirectory = runDirectory;
            _stdout = process.StandardOutput.ReadToEndAsync();
            _stderr = process.StandardError.ReadToEndAsync();
        }

        public string RunDirectory { get; }

        public bool HasExited => _process.HasExited;

        /// <summary>Waits until the run directory exists and its streamed channels hold rows on disk.</summary>
        public void WaitForRows()
        {
            string loss = Path.Combine(RunDirectory, RunLayout.PartialTraceDirectory, "loss.npy");
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < Patience)
            {
                if (_process.HasExited) Assert.Fail($"the run ended before it could be signalled: exit {_process.ExitCode}\n{Output()}");
                if (File.Exists(loss) && RowsOnDisk(loss) > 1) return;
                Thread.Sleep(50);
            }
            Assert.Fail($"no trace rows reached {loss} within {Patience.TotalSeconds} s");
        }

        private static long RowsOnDisk(string path)
        {
            try
            {
                return NpyFile.RowsOnDisk(path);
            }
            catch (Exception e) when (e is IOException or DluxShera.Contracts.ArtifactException)
            {
                return 0; // between the writer's create and its first header
            }
        }

        public void Signal(int signal)
        {
            // A process started without job control (e.g. a background job of a non-interactive shell) inherits
            // SIGINT as ignored, and the runtime keeps it so (as nohup intends): the OS will not deliver it here.
            Skip.If(signal == SigInt && Ignores(_process.Id, SigInt), "SIGINT is ignored in this process tree (started in the background without job control), so it cannot be delivered; the SIGTERM cases still run");
            Assert.True(Kill(_process.Id, signal) == 0, $"kill({_process.Id}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
        }

        private static bool Ignores(int pid, int signal)
        {
            string status = $"/proc/{pid}/status";
            if (!File.Exists(status)) return false;
            string? line = File.ReadLines(status).FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
            return line is not null && (Convert.ToUInt64(line["SigIgn:".Length..].Trim(), 16) & (1UL << (signal - 1))) != 0;
        }

        public (int Code, string Output) WaitForExit()
        {
            if (!_process.WaitForExit(Patience))
            {
                _process.Kill(entireProcessTree: true);
                Assert.Fail($"the process did not exit within {Patience.TotalSeconds} s of the signal\n{Output()}");
            }
            _process.WaitForExit();
            return (_process.ExitCode, Output());
        }

        private string Output() => _process.HasExited
            ? $"stdout:\n{_stdout.Result}\nstderr:\n{_stderr.Result}"
            : "(still running)";

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit();
            }
            _process.Dispose();
        }
    }
}
