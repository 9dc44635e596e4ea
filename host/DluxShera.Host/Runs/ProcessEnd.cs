using System.Runtime.InteropServices;

namespace DluxShera.Host.Runs;

/// <summary>
/// Ends the process at once with an exit code, after the run was saved. <see cref="Environment.Exit"/> runs
/// shutdown handlers that can wait for the thread a deaf engine occupies (observed: it never returned when
/// called from a signal or timer thread), so on Unix this is <c>_exit(2)</c> after flushing the console.
/// </summary>
public static class ProcessEnd
{
    /// <summary>Flushes stdout/stderr and ends the process with <paramref name="code"/>.</summary>
    /// <param name="code">The exit code.</param>
    public static void Now(int code)
    {
        Console.Out.Flush();
        Console.Error.Flush();
        if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD()) UnixExit(code);
        Environment.Exit(code);
    }

    [DllImport("libc", EntryPoint = "_exit")]
    private static extern void UnixExit(int status);
}
