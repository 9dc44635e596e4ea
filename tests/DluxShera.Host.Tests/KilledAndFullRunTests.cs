using System.Diagnostics;
using DluxShera.Artifacts;
using DluxShera.Contracts;
using DluxShera.Numpy;
using Xunit;

namespace DluxShera.Tests;

/// <summary>Signals, a full disk, read-only filesystems, orphaned temporaries and half-finalised channels.</summary>
public class KilledAndFullRunTests
{
    private static string HostilePlugins(TempDirectory tmp) =>
        Dluxshera.PluginsFile(tmp.Path, $$"""    { "id": "hostile", "path": {{Dluxshera.Json(RepoPaths.TestPlugin("HostilePlugin"))}} }""");

    private static string HostileSpec(TempDirectory tmp, string mode, int dimension = 2, int steps = 5)
    {
        string spec = tmp.Combine("spec.json");
        File.WriteAllText(spec, $$"""
            {
              "run": { "id": "h", "figures": false },
              "objective": { "name": "hostile", "options": { "dimension": {{dimension}} } },
              "optimizer": { "name": "hostile", "options": { "mode": "{{mode}}", "num_steps": {{steps}} } }
            }
            """);
        return spec;
    }

    [Fact]
    public void Recovery_uses_the_rows_every_channel_holds_by_its_data_not_unfinalised_headers()
    {
        using var tmp = RepoPaths.Temp();
        string dir = tmp.Combine("run");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "meta.json"), """{ "artifact_schema": "dluxshera-run-v0", "run_id": "run", "theta": { "dim": 2 } }""");
        File.WriteAllText(Path.Combine(dir, "summary.json"), """{ "run_id": "run", "status": "failed" }""");
        string partial = Path.Combine(dir, "trace.partial");
        Directory.CreateDirectory(partial);
        // As a killed writer leaves them: loss's header was rewritten for 5 rows, the others still say 0;
        // theta's data has 4 rows and half of a 5th, accepted has 6 (its buffer reached the disk first).
        WriteChannel(partial, "loss", NpyDtype.Float64, [], headerRows: 5, values: [10.0, 9.0, 8.0, 7.0, 6.0]);
        WriteChannel(partial, "theta", NpyDtype.Float64, [2], headerRows: 0, values: [0, 0, 1, 1, 2, 2, 3, 3, 4]);
        WriteChannel(partial, "grad_norm", NpyDtype.Float64, [], headerRows: 0, values: [1.0, 1.0, 1.0, 1.0, 1.0]);
        WriteChannel(partial, "step_norm", NpyDtype.Float64, [], headerRows: 0, values: [0.0, 1.0, 1.0, 1.0, 1.0]);
        WriteChannel(partial, "base_lr", NpyDtype.Float64, [], headerRows: 0, values: [0.1, 0.1, 0.1, 0.1, 0.1]);
        WriteChannel(partial, "accepted", NpyDtype.Bool, [], headerRows: 0, values: [1, 1, 1, 1, 1, 1]);

        var trace = RunArtifacts.LoadTrace(dir);
        Assert.Equal(4, trace.Steps);
        Assert.Equal([10.0, 9.0, 8.0, 7.0], trace.Loss);
        Assert.Equal([3.0, 3.0], trace.ThetaAt(3).ToArray());
        var inspect = Dluxshera.Invoke("inspect", dir);
        Assert.True(inspect.ExitCode == 0, inspect.ToString());
        Assert.Contains("4 trace rows × D = 2", inspect.Stdout);
    }

    private static void WriteChannel(string dir, string name, NpyDtype dtype, int[] row, int headerRows, double[] values)
    {
        using var f = File.Create(Path.Combine(dir, name + ".npy"));
        f.Write(NpyHeader.Encode(dtype, [headerRows, .. row]));
        foreach (double v in values)
        {
            if (dtype == NpyDtype.Bool) f.WriteByte((byte)v);
            else f.Write(BitConverter.GetBytes(v));
        }
        if (name == "theta") f.Write(new byte[4]); // a torn last row
    }

    [Fact]
    public void Stale_temporaries_of_a_dead_process_are_removed_when_the_run_is_opened_and_live_ones_kept()
    {
        using var tmp = RepoPaths.Temp();
        var r = Dluxshera.Invoke("run", RepoPaths.Example("rosenbrock-gd.json"), "--out", tmp.Path, "--plugins", RepoPaths.PluginsJson, "--set", "run.id=r", "--set", "run.figures=false", "--quiet");
        Assert.True(r.ExitCode == 0, r.ToString());
        string dir = tmp.Combine("r");
        using var dead = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        dead.WaitForExit();
        string orphan = Path.Combine(dir, $".signals.npz.{dead.Id}@{Environment.MachineName}.{Guid.NewGuid():N}.tmp");
        string live = Path.Combine(dir, $".signals.npz.{Environment.ProcessId}@{Environment.MachineName}.{Guid.NewGuid():N}.tmp");
        string otherHost = Path.Combine(dir, $".signals.npz.{dead.Id}@another-node.{Guid.NewGuid():N}.tmp");
        foreach (string f in new[] { orphan, live, otherHost }) File.WriteAllBytes(f, new byte[1000]);
        var inspect = Dluxshera.Invoke("inspect", dir);
        Assert.True(inspect.ExitCode == 0, inspect.ToString());
        Assert.False(File.Exists(orphan));
        Assert.True(File.Exists(live));
        Assert.True(File.Exists(otherHost)); // another host's process may be alive: only removed after a day
        File.SetLastWriteTimeUtc(otherHost, DateTime.UtcNow.AddDays(-2));
        Dluxshera.Invoke("inspect", dir);
        Assert.False(File.Exists(otherHost));
    }

    [Fact]
    public void A_run_directory_is_loadable_from_the_instant_it_appears_and_a_dead_creator_s_staging_is_removed()
    {
        using var tmp = RepoPaths.Temp();
        using var dead = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        dead.WaitForExit();
        // What a process killed while preparing a run leaves: a hidden staging directory, never a run.
        string orphan = Directory.CreateDirectory(tmp.Combine($".r.creating.{dead.Id}@{Environment.MachineName}.{Guid.NewGuid():N}")).FullName;
        File.WriteAllText(Path.Combine(orphan, "summary.json"), "{");

        using (var writer = new FilesystemArtifactStore().CreateRun(new RunCreateRequest { OutputRoot = tmp.Path, RunId = "r", Dimension = 3 }))
        {
            // Before a single row: the run id names one complete, loadable (failed) run and nothing else is left.
            Assert.Equal(["r"], Directory.GetFileSystemEntries(tmp.Path).Select(Path.GetFileName));
            var summary = RunArtifacts.LoadSummary(writer.RunDirectory);
            Assert.Equal("failed", summary["status"]!.GetValue<string>());
            Assert.StartsWith("run incomplete: the process ended before the run finished", summary["message"]!.GetValue<string>());
            Assert.Equal(3, RunArtifacts.LoadMeta(writer.RunDirectory)["theta"]!["dim"]!.GetValue<int>());
            Assert.Equal(0, RunArtifacts.LoadTrace(writer.RunDirectory).Steps);
            foreach (string channel in Directory.GetFiles(Path.Combine(writer.RunDirectory, RunLayout.PartialTraceDirectory)))
            {
                Assert.Equal(0, NpyFile.Load(channel).Shape[0]); // a valid .npy numpy loads, with 0 rows
            }
            var inspect = Dluxshera.Invoke("inspect", writer.RunDirectory);
            Assert.True(inspect.ExitCode == 0, inspect.ToString());
            Assert.Contains("0 trace rows × D = 3", inspect.Stdout);
        }
    }

    [Fact]
    public void Figure_temporaries_and_staging_directories_of_a_killed_plot_are_removed_when_the_run_is_opened()
    {
        using var tmp = RepoPaths.Temp();
        var r = Dluxshera.Invoke("run", RepoPaths.Example("rosenbrock-gd.json"), "--out", tmp.Path, "--plugins", RepoPaths.PluginsJson,
            "--set", "run.id=r", "--set", "optimizer.options.num_steps=20", "--quiet");
        Assert.True(r.ExitCode == 0, r.ToString());
        string dir = tmp.Combine("r");
        using var dead = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        dead.WaitForExit();
        string owner = $"{dead.Id}@{Environment.MachineName}";

        // The names our writers use, as a process killed while drawing leaves them.
        string figureTemp = null!, staging = null!;
        Assert.Throws<IOException>(() => DluxShera.Figures.FigureFile.Save(Path.Combine(dir, "figures", "x.png"), temp =>
        {
            figureTemp = temp;
            File.WriteAllText(temp, "half a figure");
            throw new IOException("killed while drawing");
        }));
        Assert.False(File.Exists(figureTemp), "a failed save removes its temporary");
        DluxShera.Host.Runs.FiguresDirectory.Replace(tmp.Combine("elsewhere", "figures"), s => { staging = s; return []; });
        string Orphaned(string name) => name.Replace(StaleTemporaries.Owner, owner);
        string[] orphans =
        [
            Path.Combine(dir, "figures", Orphaned(Path.GetFileName(figureTemp))),
            Path.Combine(dir, Orphaned(Path.GetFileName(staging))),
            Path.Combine(dir, Orphaned(Path.GetFileName(staging)).Replace(".new.", ".old.")),
        ];
        File.WriteAllText(orphans[0], "half a figure");
        foreach (string d in orphans[1..]) File.WriteAllText(Path.Combine(Directory.CreateDirectory(d).FullName, "panel_00_loss.png"), "x");
        string live = Path.Combine(dir, "figures", Path.GetFileName(figureTemp));
        File.WriteAllText(live, "being drawn by this process");

        var inspect = Dluxshera.Invoke("inspect", dir);
        Assert.True(inspect.ExitCode == 0, inspect.ToString());
        Assert.All(orphans, o => Assert.False(File.Exists(o) || Directory.Exists(o), $"{o} should have been removed"));
        Assert.True(File.Exists(live));
    }

    [SkippableFact]
    public void A_full_disk_fails_the_run_with_the_io_cause_and_keeps_the_streamed_rows_loadable()
    {
        using var tmp = RepoPaths.Temp();
        using var disk = Tmpfs.MountOrSkip(tmp.Combine("disk"), "640k");
        var r = Dluxshera.Invoke("run", HostileSpec(tmp, "honest", dimension: 2000, steps: 200), "--plugins", HostilePlugins(tmp), "--out", disk.Path, "--quiet");
        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.DoesNotContain("   at ", r.Stderr);
        string dir = Path.Combine(disk.Path, "h");
        var summary = RunArtifacts.LoadSummary(dir);
        Assert.Equal("failed", summary["status"]!.GetValue<string>());
        Assert.Contains("No space left on device", summary["message"]!.GetValue<string>());
        var trace = RunArtifacts.LoadTrace(dir);
        Assert.InRange(trace.Steps, 1, 200);
        Assert.Equal(3.0, trace.Theta[0]);
        var inspect = Dluxshera.Invoke("inspect", dir);
        Assert.True(inspect.ExitCode == 0, inspect.ToString());
        Assert.Contains($"{trace.Steps} trace rows × D = 2000", inspect.Stdout);
        string? log = summary["message"]!.GetValue<string>().Split("details in ").ElementAtOrDefault(1)?.Split(')')[0];
        if (log is not null) File.Delete(log);
    }

    [SkippableFact]
    public void Read_only_filesystems_are_bad_input_for_run_and_plot_and_plot_can_write_elsewhere()
    {
        using var tmp = RepoPaths.Temp();
        using var disk = Tmpfs.MountOrSkip(tmp.Combine("ro"), "4m");
        var r = Dluxshera.Invoke("run", RepoPaths.Example("rosenbrock-gd.json"), "--out", disk.Path, "--plugins", RepoPaths.PluginsJson, "--set", "run.id=r", "--set", "run.figures=false", "--quiet");
        Assert.True(r.ExitCode == 0, r.ToString());
        disk.RemountReadOnly();

        var run = Dluxshera.Invoke("run", RepoPaths.Example("rosenbrock-gd.json"), "--out", Path.Combine(disk.Path, "more"), "--plugins", RepoPaths.PluginsJson);
        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Contains($"--out {Path.Combine(disk.Path, "more")}: cannot write there (Read-only file system", run.Stderr);
        Assert.Single(run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));

        var plot = Dluxshera.Invoke("plot", Path.Combine(disk.Path, "r"), "--plugins", RepoPaths.PluginsJson);
        Assert.True(plot.ExitCode == 2, plot.ToString());
        Assert.Contains($"run directory {Path.Combine(disk.Path, "r")}: cannot write there (Read-only file system", plot.Stderr);

        var elsewhere = Dluxshera.Invoke("plot", Path.Combine(disk.Path, "r"), "--plugins", RepoPaths.PluginsJson, "--out", tmp.Combine("figs"));
        Assert.True(elsewhere.ExitCode == 0, elsewhere.ToString());
        Assert.True(File.Exists(tmp.Combine("figs", "signals.npz")));
        Assert.NotEmpty(Directory.GetFiles(tmp.Combine("figs", "figures")));
    }
}

/// <summary>A small tmpfs mounted for one test (root with mount permission only; otherwise the test is skipped).</summary>
internal sealed class Tmpfs : IDisposable
{
    private Tmpfs(string path) => Path = path;

    public string Path { get; }

    public static Tmpfs MountOrSkip(string path, string size)
    {
        Directory.CreateDirectory(path);
        bool ok = OperatingSystem.IsLinux() && Run("mount", "-t", "tmpfs", "-o", $"size={size}", "tmpfs", path);
        Skip.IfNot(ok, "mounting a tmpfs needs root and mount permission (not available here): the disk-full and read-only paths are not exercised");
        return new Tmpfs(path);
    }

    public void RemountReadOnly() => Assert.True(Run("mount", "-o", "remount,ro", Path), "remount read-only failed");

    public void Dispose() => Run("umount", "-l", Path);

    private static bool Run(string file, params string[] args)
    {
        try
        {
            var info = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (string a in args) info.ArgumentList.Add(a);
            using var p = Process.Start(info)!;
            p.WaitForExit();
            return p.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }
}
