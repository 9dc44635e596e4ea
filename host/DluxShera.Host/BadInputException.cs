namespace DluxShera.Host;

/// <summary>Bad input (run spec, plugins.json, a plugin, an artifact): exit code 2 with this message.</summary>
/// <param name="message">What is wrong, naming the file, key or plugin and what was expected.</param>
/// <param name="inner">The underlying error.</param>
public class BadInputException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The process exit codes.</summary>
public static class ExitCodes
{
    /// <summary>Success.</summary>
    public const int Ok = 0;

    /// <summary>The run ran and failed (summary status <c>failed</c>).</summary>
    public const int RunFailed = 1;

    /// <summary>Bad input: spec, plugins.json, plugin or artifact, or a path that cannot be read or written.</summary>
    public const int BadInput = 2;

    /// <summary>An unexpected internal error (a defect): one line on stderr and a crash log (EX_SOFTWARE).</summary>
    public const int InternalError = 70;

    /// <summary>Stopped by SIGINT (Ctrl+C); the run directory is saved as failed/cancelled (128 + 2).</summary>
    public const int Interrupted = 130;

    /// <summary>Stopped by SIGTERM (Slurm, Kubernetes, kill); the run directory is saved as failed/cancelled (128 + 15).</summary>
    public const int Terminated = 143;
}
