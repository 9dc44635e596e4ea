using System.Text.Json.Nodes;

namespace DluxShera.Artifacts;

/// <summary>What <see cref="RunLiveness.Probe"/> learned about the process writing a run directory.</summary>
public enum RunProcessState
{
    /// <summary>No liveness files: the run finished (or was written by another tool).</summary>
    None,

    /// <summary>A live process holds the run's lock (or, on another host, refreshed its heartbeat recently).</summary>
    Live,

    /// <summary>The liveness files are there but nobody holds them: the writing process ended without finishing.</summary>
    Ended,
}

/// <summary>
/// Marks a run directory as being written by a live process, so that <c>experiment status</c> and
/// <c>aggregate</c> can tell <c>running</c> from a run whose process ended. Two signals, because one is not
/// enough everywhere: an exclusive lock on <c>.lock</c> (released by the kernel when the process dies, exact
/// on one machine and on NFS) and a <c>.heartbeat</c> file naming host and pid whose modification time is
/// refreshed every <see cref="HeartbeatInterval"/> (for shared filesystems where locks are not seen across nodes).
/// </summary>
public sealed class RunLiveness : IDisposable
{
    /// <summary>The lock file (dot-prefixed: not an artifact, not in meta.json's manifest).</summary>
    public const string LockFile = ".lock";

    /// <summary>The heartbeat file.</summary>
    public const string HeartbeatFile = ".heartbeat";

    /// <summary>How often the heartbeat is refreshed.</summary>
    public static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(10);

    /// <summary>A heartbeat older than this means its process is gone.</summary>
    public static readonly TimeSpan HeartbeatTimeout = TimeSpan.FromSeconds(60);

    private string _directory;
    private readonly FileStream _lock;
    private readonly Timer _timer;
    private bool _disposed;

    private RunLiveness(string directory, FileStream heldLock)
    {
        _directory = directory;
        _lock = heldLock;
        File.WriteAllText(Path.Combine(directory, HeartbeatFile), new JsonObject
        {
            ["host"] = Environment.MachineName,
            ["pid"] = Environment.ProcessId,
            ["started_at"] = DateTimeOffset.UtcNow.ToString("o", System.Globalization.CultureInfo.InvariantCulture),
        }.ToJsonString() + "\n");
        _timer = new Timer(_ => Touch(Path.Combine(Volatile.Read(ref _directory), HeartbeatFile)), null, HeartbeatInterval, HeartbeatInterval);
    }

    /// <summary>The directory was renamed (a staged run directory published under its run id); the lock, held on
    /// the open file, moved with it.</summary>
    /// <param name="directory">The new name.</param>
    public void MovedTo(string directory) => Volatile.Write(ref _directory, directory);

    /// <summary>Takes the run directory's lock and starts its heartbeat; dispose when the run is complete.</summary>
    /// <param name="runDirectory">The run directory (exists).</param>
    public static RunLiveness Hold(string runDirectory)
    {
        // FileShare.None takes flock(LOCK_EX) on Unix; the kernel drops it when the process dies, even by SIGKILL.
        // A prober's momentary shared lock can collide with the first attempt: try again for up to a second.
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                var held = new FileStream(Path.Combine(runDirectory, LockFile), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
                return new RunLiveness(runDirectory, held);
            }
            catch (IOException) when (attempt < 50)
            {
                Thread.Sleep(20);
            }
        }
    }

    /// <summary>Whether a live process is writing <paramref name="runDirectory"/>.</summary>
    /// <param name="runDirectory">The run directory.</param>
    public static RunProcessState Probe(string runDirectory)
    {
        string lockPath = Path.Combine(runDirectory, LockFile);
        string heartbeat = Path.Combine(runDirectory, HeartbeatFile);
        if (!File.Exists(lockPath) && !File.Exists(heartbeat)) return RunProcessState.None;
        if (File.Exists(lockPath))
        {
            try
            {
                // A shared open takes flock(LOCK_SH), refused while the writer holds LOCK_EX.
                using var probe = new FileStream(lockPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            }
            catch (IOException) when (File.Exists(lockPath))
            {
                return RunProcessState.Live;
            }
            catch (FileNotFoundException)
            {
                return RunProcessState.None; // completed between the two checks
            }
            catch (DirectoryNotFoundException)
            {
                return RunProcessState.None;
            }
        }
        // The lock is free here. On this host that settles it; a writer on another node may hold a lock we
        // cannot see (Lustre without -o flock), so its recent heartbeat counts.
        return HeartbeatFromOtherHostIsFresh(heartbeat) ? RunProcessState.Live : RunProcessState.Ended;
    }

    private static bool HeartbeatFromOtherHostIsFresh(string heartbeat)
    {
        try
        {
            var info = new FileInfo(heartbeat);
            if (!info.Exists || DateTime.UtcNow - info.LastWriteTimeUtc > HeartbeatTimeout) return false;
            string? host = JsonNode.Parse(File.ReadAllText(heartbeat))?["host"]?.GetValue<string>();
            return host is not null && host != Environment.MachineName;
        }
        catch (Exception e) when (e is IOException or System.Text.Json.JsonException or InvalidOperationException)
        {
            return false;
        }
    }

    private static void Touch(string path)
    {
        try
        {
            File.SetLastWriteTimeUtc(path, DateTime.UtcNow);
        }
        catch (IOException)
        {
            // The directory may be going away (overwrite, cleanup); the next tick or Dispose settles it.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>Stops the heartbeat, removes both files and releases the lock.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _timer.Dispose();
        TryDelete(Path.Combine(_directory, HeartbeatFile));
        TryDelete(Path.Combine(_directory, LockFile)); // deleted while still held, so no prober sees a free lock first
        _lock.Dispose();
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
