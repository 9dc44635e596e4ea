using System.Diagnostics;
using DluxShera.Numpy;
using Xunit;

namespace DluxShera.Tests;

/// <summary>
/// Which temporaries a reader may remove: only names of the <c>.name.&lt;pid&gt;@&lt;host&gt;.&lt;guid&gt;.tmp</c>
/// form whose writer is gone — a process that has exited on this host, or anything older than a day on another.
/// </summary>
public class StaleTemporariesTests
{
    private const string Guid32 = "0123456789abcdef0123456789abcdef";

    /// <summary>The id of a process that has exited (it ran <c>true</c> and was waited for).</summary>
    private static int ExitedPid()
    {
        using var p = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        p.WaitForExit();
        return p.Id;
    }

    private static string Host => Environment.MachineName;

    [Fact]
    public void Owner_is_this_process_at_this_host()
    {
        Assert.Equal($"{Environment.ProcessId}@{Host}", StaleTemporaries.Owner);
    }

    [Theory]
    [InlineData("trace.npz")]                                            // a final name
    [InlineData(".trace.npz")]                                           // hidden, but no owner or guid
    [InlineData(".trace.npz.123@host.0123456789abcdef.tmp")]             // guid too short
    [InlineData(".trace.npz.abc@host.0123456789abcdef0123456789abcdef.tmp")] // pid not a number
    [InlineData("trace.npz.123@host.0123456789abcdef0123456789abcdef.tmp")]  // not hidden
    public void Names_that_are_not_our_temporaries_are_never_stale(string name)
    {
        Assert.False(StaleTemporaries.IsStale(name, DateTime.UtcNow.AddYears(-1)));
    }

    [Fact]
    public void A_temporary_of_an_exited_process_on_this_host_is_stale_at_once()
    {
        int pid = ExitedPid();
        Assert.True(StaleTemporaries.IsStale($".trace.npz.{pid}@{Host}.{Guid32}.tmp", DateTime.UtcNow));
        Assert.True(StaleTemporaries.IsStale($".trace.npz.{pid}@{Host.ToUpperInvariant()}.{Guid32}.tmp", DateTime.UtcNow));
        // Staged run directories carry no .tmp suffix, and older writers no host: both mean this host.
        Assert.True(StaleTemporaries.IsStale($".run-1.{pid}@{Host}.{Guid32}", DateTime.UtcNow));
        Assert.True(StaleTemporaries.IsStale($".trace.npz.{pid}.{Guid32}.tmp", DateTime.UtcNow));
    }

    [Fact]
    public void A_temporary_of_a_running_process_is_not_stale_however_old()
    {
        long old = DateTime.UtcNow.AddYears(-1).Ticks;
        Assert.False(StaleTemporaries.IsStale($".trace.npz.{StaleTemporaries.Owner}.{Guid32}.tmp", new DateTime(old, DateTimeKind.Utc)));
        using var sleeper = Process.Start(new ProcessStartInfo("sleep", "30") { UseShellExecute = false })!;
        try
        {
            Assert.False(StaleTemporaries.IsStale($".trace.npz.{sleeper.Id}@{Host}.{Guid32}.tmp", new DateTime(old, DateTimeKind.Utc)));
        }
        finally
        {
            sleeper.Kill();
            sleeper.WaitForExit();
        }
    }

    [Fact]
    public void A_temporary_from_another_host_is_stale_only_after_a_day()
    {
        string name = $".trace.npz.{Environment.ProcessId}@other-node-17.{Guid32}.tmp";
        Assert.False(StaleTemporaries.IsStale(name, DateTime.UtcNow.AddHours(-23)));
        Assert.True(StaleTemporaries.IsStale(name, DateTime.UtcNow.AddHours(-25)));
    }

    [Fact]
    public void RemoveIn_removes_stale_files_and_folders_and_keeps_everything_else()
    {
        using var tmp = RepoPaths.Temp();
        int dead = ExitedPid();
        string staleFile = tmp.Combine($".trace.npz.{dead}@{Host}.{Guid32}.tmp");
        string staleDir = tmp.Combine($".run-1.{dead}@{Host}.{Guid32}");
        string live = tmp.Combine($".meta.json.{StaleTemporaries.Owner}.{Guid32}.tmp");
        string final = tmp.Combine("trace.npz");
        File.WriteAllText(staleFile, "x");
        Directory.CreateDirectory(Path.Combine(staleDir, "figures"));
        File.WriteAllText(Path.Combine(staleDir, "figures", "a.png"), "x");
        File.WriteAllText(live, "x");
        File.WriteAllText(final, "x");

        Assert.Equal(2, StaleTemporaries.RemoveIn(tmp.Path));
        Assert.False(File.Exists(staleFile));
        Assert.False(Directory.Exists(staleDir));
        Assert.True(File.Exists(live));
        Assert.True(File.Exists(final));
        Assert.Equal(0, StaleTemporaries.RemoveIn(tmp.Path));
    }

    [Fact]
    public void RemoveIn_a_missing_folder_removes_nothing()
    {
        using var tmp = RepoPaths.Temp();
        Assert.Equal(0, StaleTemporaries.RemoveIn(tmp.Combine("no-such-folder")));
    }
}
