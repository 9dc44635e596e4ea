using System.Diagnostics;
using Xunit;

namespace DluxShera.Tests;

/// <summary>
/// Runs Python with numpy to check our files against numpy itself. On a developer machine without
/// numpy the interop tests are skipped (reported as skipped); under CI (CI=true, where .ci/run installs
/// python3-numpy) a missing numpy is a failure, so the interop checks can never silently vanish.
/// </summary>
internal static class PythonNumpy
{
    private static readonly Lazy<string?> Interpreter = new(Find);

    public static void RequireOrSkip()
    {
        TestRequirement.SkipUnless(Interpreter.Value is not null, "python3 with numpy", "apt-get install python3-numpy");
    }

    /// <summary>Skips (or fails under CI) unless scipy is importable next to numpy.</summary>
    public static void RequireScipyOrSkip()
    {
        RequireOrSkip();
        bool hasScipy = Run("import importlib.util; print(importlib.util.find_spec('scipy') is not None)").Trim() == "True";
        TestRequirement.SkipUnless(hasScipy, "scipy (python3-scipy)", "apt-get install python3-scipy");
    }

    /// <summary>Runs a script; returns stdout; throws with stderr on failure.</summary>
    public static string Run(string script, string? workingDirectory = null)
    {
        RequireOrSkip();
        var info = new ProcessStartInfo(Interpreter.Value!)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Directory.GetCurrentDirectory(),
        };
        info.ArgumentList.Add("-");
        using var p = Process.Start(info)!;
        p.StandardInput.Write(script);
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        string stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"python failed ({p.ExitCode}):\n{stderr}\nscript:\n{script}");
        return stdout.Result;
    }

    /// <summary>Runs python with <paramref name="arguments"/> and extra environment variables; returns the exit code and
    /// stdout + stderr together (for assertion messages).</summary>
    public static (int ExitCode, string Output) RunWith(IEnumerable<string> arguments, IReadOnlyDictionary<string, string> environment, string workingDirectory)
    {
        RequireOrSkip();
        var info = new ProcessStartInfo(Interpreter.Value!)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        foreach (string a in arguments) info.ArgumentList.Add(a);
        foreach (var (key, value) in environment) info.Environment[key] = value;
        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        string stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result + stderr);
    }

    private static string? Find()
    {
        foreach (string candidate in new[] { "/usr/bin/python3", "python3" })
        {
            try
            {
                var info = new ProcessStartInfo(candidate, "-c \"import numpy\"") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
                using var p = Process.Start(info);
                if (p is null) continue;
                p.WaitForExit(20000);
                if (p.ExitCode == 0) return candidate;
            }
            catch (System.ComponentModel.Win32Exception)
            {
            }
        }
        return null;
    }
}
