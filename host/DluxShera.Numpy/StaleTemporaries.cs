using System.Diagnostics;
using System.Text.RegularExpressions;

namespace DluxShera.Numpy;

/// <summary>
/// Temporary files and directories carry the writer's process id and host name
/// (<c>.name.&lt;pid&gt;@&lt;host&gt;.&lt;guid&gt;.tmp</c>), so a later reader can tell an orphan left by a killed
/// process (its process is gone) from a file another process is still writing. Orphans on another host
/// (a shared filesystem) are only removed after a day.
/// </summary>
public static partial class StaleTemporaries
{
    private static readonly TimeSpan OtherHostAge = TimeSpan.FromDays(1);

    /// <summary>This process: <c>&lt;pid&gt;@&lt;host&gt;</c>.</summary>
    public static string Owner { get; } = $"{Environment.ProcessId}@{Environment.MachineName}";

    /// <summary>A temporary path beside <paramref name="finalPath"/> (<c>.name.&lt;pid&gt;@&lt;host&gt;.&lt;guid&gt;.tmp</c>) that
    /// <see cref="RemoveIn"/> recognises once this process is gone: every writer that renames into place uses it.</summary>
    /// <param name="finalPath">The file the temporary becomes.</param>
    public static string TemporaryPath(string finalPath)
    {
        string full = Path.GetFullPath(finalPath);
        return Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Owner}.{Guid.NewGuid():N}.tmp");
    }

    [GeneratedRegex(@"^\..+\.(?<pid>\d+)(@(?<host>[^/\\]+?))?\.[0-9a-f]{32}(\.tmp)?$")]
    private static partial Regex TemporaryName();

    /// <summary>Whether <paramref name="name"/> is one of our temporaries whose writer is gone.</summary>
    /// <param name="name">A file or directory name.</param>
    /// <param name="lastWriteUtc">Its last write time.</param>
    public static bool IsStale(string name, DateTime lastWriteUtc)
    {
        var m = TemporaryName().Match(name);
        if (!m.Success) return false;
        int pid = int.Parse(m.Groups["pid"].Value, System.Globalization.CultureInfo.InvariantCulture);
        string host = m.Groups["host"].Success ? m.Groups["host"].Value : Environment.MachineName;
        if (!string.Equals(host, Environment.MachineName, StringComparison.OrdinalIgnoreCase))
        {
            return DateTime.UtcNow - lastWriteUtc > OtherHostAge;
        }
        return pid != Environment.ProcessId && !IsRunning(pid);
    }

    /// <summary>Removes the stale temporaries directly in <paramref name="directory"/> (files and directories),
    /// best effort: a directory we may not write (a read-only copy of a run) is left as it is.</summary>
    /// <param name="directory">The directory.</param>
    /// <returns>How many were removed.</returns>
    public static int RemoveIn(string directory)
    {
        int removed = 0;
        try
        {
            foreach (var entry in new DirectoryInfo(directory).EnumerateFileSystemInfos(".*"))
            {
                if (!IsStale(entry.Name, entry.LastWriteTimeUtc)) continue;
                try
                {
                    if (entry is DirectoryInfo dir) dir.Delete(recursive: true);
                    else entry.Delete();
                    removed++;
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // Read-only or busy: leave it; it never carries a final name.
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The directory cannot be listed: nothing to clean.
        }
        return removed;
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }
}
