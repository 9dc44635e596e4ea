using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using DluxShera.Numpy;

namespace DluxShera.Host.Experiments;

/// <summary>What <c>experiment submit --slurm</c> was asked.</summary>
/// <param name="SpecFile">The experiment spec.</param>
/// <param name="Out">Output root, or null for the spec's.</param>
/// <param name="ArraySize">Array tasks (0: one per point, at most <see cref="SlurmSubmit.MaxArraySize"/>).</param>
/// <param name="Partition">Partition, or null for the cluster's default.</param>
/// <param name="Time">Time limit per task (Slurm syntax, e.g. 02:00:00), or null.</param>
/// <param name="CpusPerTask">CPUs per task; the task runs that many points at once.</param>
/// <param name="Memory">Memory per task (Slurm syntax, e.g. 4G), or null.</param>
/// <param name="Account">Account, or null.</param>
/// <param name="DryRun">Print the script; write and submit nothing.</param>
/// <param name="PluginsFile">plugins.json (absolute).</param>
/// <param name="ExtraPlugins"><c>--plugin</c> assemblies (absolute), named again in the script so every task loads them.</param>
public sealed record SlurmSubmitRequest(string SpecFile, string? Out, int ArraySize, string? Partition, string? Time, int CpusPerTask, string? Memory,
    string? Account, bool DryRun, string PluginsFile, IReadOnlyList<string> ExtraPlugins);

/// <summary>
/// <c>dluxshera experiment submit &lt;spec&gt; --slurm</c>: prepares the experiment directory (so every spec
/// error shows now, not in N task logs), writes <c>&lt;experiment&gt;/slurm/submit.sbatch</c> — an array job
/// whose task i runs <c>experiment run --shard</c> i of N via SLURM_ARRAY_TASK_ID/COUNT on a shared
/// experiment directory — and submits it with <c>sbatch --parsable</c>, printing the job id last.
/// </summary>
public static partial class SlurmSubmit
{
    /// <summary>Slurm's default MaxArraySize is 1001, so index 1000 is the highest a default cluster takes.</summary>
    public const int MaxArraySize = 1000;

    /// <summary>Writes (or, with dry-run, prints) the script and submits it.</summary>
    /// <param name="request">The request.</param>
    /// <param name="stdout">The script (dry run) or the job id.</param>
    /// <param name="stderr">Notes.</param>
    public static int Execute(SlurmSubmitRequest request, TextWriter stdout, TextWriter stderr)
    {
        var spec = ExperimentSpec.Load(request.SpecFile);
        Check(request);
        var layout = new ExperimentLayout(Path.GetFullPath(Path.Combine(request.Out ?? spec.Out, spec.Name)));
        int tasks = request.ArraySize > 0 ? request.ArraySize : Math.Min(spec.Points.Count, MaxArraySize);
        if (tasks > spec.Points.Count)
        {
            stderr.WriteLine($"dluxshera: note: --array-size {tasks} > {spec.Points.Count} points; using {spec.Points.Count} tasks.");
            tasks = spec.Points.Count;
        }
        if (spec.Kind == "time_series" && tasks > 1)
        {
            stderr.WriteLine("dluxshera: note: a time series is one chain of warm-started runs; using 1 task.");
            tasks = 1;
        }
        string script = Script(spec, layout, request, tasks);
        if (request.DryRun)
        {
            stdout.Write(script);
            return ExitCodes.Ok;
        }
        ExperimentPlan.Prepare(spec, layout);
        string slurmDirectory = Path.Combine(layout.Directory, "slurm");
        string file = Path.Combine(slurmDirectory, "submit.sbatch");
        AtomicFile.WriteText(file, script);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        stderr.WriteLine($"wrote {file} ({tasks} array tasks over {spec.Points.Count} points)");
        return Submit(file, stdout, stderr);
    }

    /// <summary>The sbatch script.</summary>
    /// <param name="spec">The experiment.</param>
    /// <param name="layout">Where it goes.</param>
    /// <param name="request">Resources.</param>
    /// <param name="tasks">Array tasks.</param>
    public static string Script(ExperimentSpec spec, ExperimentLayout layout, SlurmSubmitRequest request, int tasks)
    {
        var (file, prefix) = SelfCommand.Resolve();
        string outRoot = Path.GetDirectoryName(layout.Directory)!;
        var command = new List<string> { file };
        command.AddRange(prefix);
        command.AddRange(["--plugins", request.PluginsFile]);
        foreach (string plugin in request.ExtraPlugins) command.AddRange(["--plugin", plugin]);
        command.AddRange(["experiment", "run", spec.SpecFile, "--out", outRoot, "--workers", request.CpusPerTask.ToString(CultureInfo.InvariantCulture)]);
        var sb = new StringBuilder();
        sb.Append("#!/bin/bash\n");
        sb.Append($"# Written by dluxshera experiment submit: {spec.Points.Count} points of experiment '{spec.Name}' over {tasks} array tasks.\n");
        sb.Append("# Task i runs the points k with k mod N = i (SLURM_ARRAY_TASK_ID/COUNT); all tasks share the experiment directory.\n");
        sb.Append("# Resubmitting the same script is safe: finished points are skipped, interrupted ones rerun.\n");
        sb.Append($"#SBATCH --job-name={Regex.Replace("dluxshera-" + spec.Name, "[^A-Za-z0-9._-]", "_")}\n");
        sb.Append($"#SBATCH --array=0-{tasks - 1}\n");
        sb.Append($"#SBATCH --output={Path.Combine(layout.Directory, "slurm", "%A_%a.out")}\n");
        sb.Append("#SBATCH --ntasks=1\n");
        sb.Append($"#SBATCH --cpus-per-task={request.CpusPerTask}\n");
        if (request.Memory is { } mem) sb.Append($"#SBATCH --mem={mem}\n");
        if (request.Partition is { } partition) sb.Append($"#SBATCH --partition={partition}\n");
        if (request.Time is { } time) sb.Append($"#SBATCH --time={time}\n");
        if (request.Account is { } account) sb.Append($"#SBATCH --account={account}\n");
        // SIGTERM to the batch shell (which exec makes dluxshera) 90 s before the limit: running points stop cleanly and are rerun on resubmission.
        sb.Append("#SBATCH --signal=B:TERM@90\n");
        sb.Append("set -euo pipefail\n");
        sb.Append($"cd {Quote(Directory.GetCurrentDirectory())}\n");
        sb.Append("exec " + string.Join(" ", command.Select(Quote)) + "\n");
        return sb.ToString();
    }

    private static void Check(SlurmSubmitRequest request)
    {
        if (request.ArraySize < 0 || request.ArraySize > MaxArraySize) throw new BadInputException($"--array-size {request.ArraySize}: expected 1–{MaxArraySize} (0: one task per point).");
        if (request.CpusPerTask < 1) throw new BadInputException($"--cpus-per-task {request.CpusPerTask}: expected ≥ 1.");
        if (request.Time is { } t && !TimeLimit().IsMatch(t)) throw new BadInputException($"--time '{t}': expected a Slurm time limit, e.g. 30, 02:00:00 or 1-12:00:00.");
        foreach (var (name, value) in new[] { ("--partition", request.Partition), ("--account", request.Account), ("--mem", request.Memory) })
        {
            if (value is not null && !SafeWord().IsMatch(value)) throw new BadInputException($"{name} '{value}': expected letters, digits, '.', '_', '-' or ',' only.");
        }
    }

    private static int Submit(string script, TextWriter stdout, TextWriter stderr)
    {
        var info = new ProcessStartInfo("sbatch") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add("--parsable");
        info.ArgumentList.Add(script);
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new BadInputException("sbatch could not be started.");
        }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new BadInputException($"sbatch not found on PATH; the script is {script} (submit it on a login node, or see it with --dry-run).");
        }
        using (process)
        {
            string output = process.StandardOutput.ReadToEnd();
            string error = process.StandardError.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                stderr.WriteLine($"dluxshera: error: sbatch refused {script} (exit {process.ExitCode}): {error.Trim()}");
                return ExitCodes.RunFailed;
            }
            string job = output.Trim().Split(';')[0]; // --parsable prints "jobid[;cluster]"
            stderr.WriteLine($"submitted array job {job}; follow it with: squeue -j {job}; dluxshera experiment status <experiment dir>");
            stdout.WriteLine(job);
            return ExitCodes.Ok;
        }
    }

    private static string Quote(string s) => SafePath().IsMatch(s) ? s : "'" + s.Replace("'", "'\\''") + "'";

    [GeneratedRegex(@"^[A-Za-z0-9._,-]+$")]
    private static partial Regex SafeWord();

    [GeneratedRegex(@"^[A-Za-z0-9._/=:+-]+$")]
    private static partial Regex SafePath();

    [GeneratedRegex(@"^(\d+-)?\d+(:\d+){0,2}$")]
    private static partial Regex TimeLimit();
}
