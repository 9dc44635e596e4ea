using System.Globalization;
using System.Runtime.InteropServices;

namespace DluxShera.Host.Cli;

/// <summary>
/// Writes the full report of an unexpected internal error to a file, so the user sees one line and the path
/// (never a stack trace) and can attach the file to a bug report.
/// </summary>
public static class CrashLog
{
    /// <summary>Environment variable that chooses the crash-log directory.</summary>
    public const string DirectoryVariable = "DLUXSHERA_CRASH_DIR";

    /// <summary>Where crash logs go: <c>$DLUXSHERA_CRASH_DIR</c>, else <c>$XDG_STATE_HOME/dluxshera/crashes</c>,
    /// else <c>~/.local/state/dluxshera/crashes</c>; the temp directory when none of them can be written.</summary>
    public static IEnumerable<string> CandidateDirectories()
    {
        if (Environment.GetEnvironmentVariable(DirectoryVariable) is { Length: > 0 } chosen) yield return chosen;
        if (Environment.GetEnvironmentVariable("XDG_STATE_HOME") is { Length: > 0 } state) yield return Path.Combine(state, "dluxshera", "crashes");
        string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        if (home.Length > 0) yield return Path.Combine(home, ".local", "state", "dluxshera", "crashes");
        yield return Path.Combine(Path.GetTempPath(), "dluxshera-crashes");
    }

    /// <summary>Writes the report and returns its path, or null when no candidate directory could be written.</summary>
    /// <param name="error">The unexpected exception.</param>
    /// <param name="args">The command line.</param>
    public static string? Write(Exception error, IReadOnlyList<string> args)
    {
        var now = DateTimeOffset.UtcNow;
        string name = $"crash-{now.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'.'ffffff'Z'", CultureInfo.InvariantCulture)}-{Environment.ProcessId}.log";
        string report = string.Join('\n',
            "dluxshera crash report",
            $"time        {now.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffffzzz", CultureInfo.InvariantCulture)}",
            $"version     {typeof(CrashLog).Assembly.GetName().Version}",
            $"runtime     {RuntimeInformation.FrameworkDescription} on {RuntimeInformation.OSDescription} ({RuntimeInformation.ProcessArchitecture})",
            $"directory   {Environment.CurrentDirectory}",
            $"command     dluxshera {string.Join(' ', args.Select(Quote))}",
            "",
            error.ToString(),
            "");
        foreach (string dir in CandidateDirectories())
        {
            try
            {
                Directory.CreateDirectory(dir);
                string path = Path.Combine(dir, name);
                File.WriteAllText(path, report);
                return path;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
            {
                // Try the next place; a crash report must not crash.
            }
        }
        return null;
    }

    private static string Quote(string arg) => arg.Length > 0 && arg.All(c => char.IsLetterOrDigit(c) || "-_./=:,+@".Contains(c)) ? arg : $"'{arg.Replace("'", "'\\''", StringComparison.Ordinal)}'";
}
