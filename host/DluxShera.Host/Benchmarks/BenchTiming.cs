using System.Diagnostics;
using System.Globalization;

namespace DluxShera.Host.Benchmarks;

/// <summary>Median-of-N wall-clock timing, after one warm-up run.</summary>
public static class BenchTiming
{
    /// <summary>
    /// Warms up (at least once, and until 30 calls or 2 s so tiered JIT has promoted the hot code), then runs
    /// <paramref name="action"/> <paramref name="repeat"/> times; returns the median seconds.
    /// </summary>
    /// <param name="repeat">Timed repetitions.</param>
    /// <param name="action">The work.</param>
    public static double Median(int repeat, Action action)
    {
        var warm = Stopwatch.StartNew();
        for (int i = 0; i < 30 && (i == 0 || warm.Elapsed.TotalSeconds < 2); i++) action();
        var times = new double[repeat];
        for (int i = 0; i < repeat; i++)
        {
            var clock = Stopwatch.StartNew();
            action();
            times[i] = clock.Elapsed.TotalSeconds;
        }
        Array.Sort(times);
        return times[repeat / 2];
    }

    /// <summary>
    /// As <see cref="Median"/>, and also the median CPU time of the process over each call (all threads): on a machine
    /// shared with other work, wall time measures the share of the cores this process got as much as its own cost.
    /// </summary>
    /// <param name="repeat">Timed repetitions.</param>
    /// <param name="action">The work.</param>
    public static (double Wall, double Cpu) MedianWallAndCpu(int repeat, Action action)
    {
        var cpu = new double[repeat];
        int call = -1;
        var process = Process.GetCurrentProcess();
        double wall = Median(repeat, () =>
        {
            process.Refresh();
            var start = process.TotalProcessorTime;
            action();
            process.Refresh();
            // the warm-up calls come first and are overwritten; the last `repeat` calls are the timed ones
            call++;
            cpu[call % repeat] = (process.TotalProcessorTime - start).TotalSeconds;
        });
        Array.Sort(cpu);
        return (wall, cpu[repeat / 2]);
    }

    /// <summary>Finds python3 with numpy (Debian's first), or null.</summary>
    public static string? PythonWithNumpy()
    {
        foreach (string candidate in new[] { "/usr/bin/python3", "python3" })
        {
            try
            {
                using var p = Process.Start(new ProcessStartInfo(candidate, "-c \"import numpy\"") { RedirectStandardError = true, UseShellExecute = false });
                if (p is null) continue;
                p.WaitForExit();
                if (p.ExitCode == 0) return candidate;
            }
            catch (System.ComponentModel.Win32Exception)
            {
            }
        }
        return null;
    }

    /// <summary>Runs a Python script and returns its stdout.</summary>
    /// <param name="python">The interpreter.</param>
    /// <param name="script">The script.</param>
    /// <param name="arguments">Values for sys.argv[1:].</param>
    public static string RunPython(string python, string script, params object[] arguments)
    {
        var info = new ProcessStartInfo(python) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add("-");
        foreach (var a in arguments) info.ArgumentList.Add(Convert.ToString(a, CultureInfo.InvariantCulture)!);
        using var p = Process.Start(info)!;
        p.StandardInput.Write(script);
        p.StandardInput.Close();
        var err = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"python failed: {err.Result}");
        return output;
    }
}
