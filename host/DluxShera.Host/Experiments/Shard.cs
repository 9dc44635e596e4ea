using System.Collections;
using System.Globalization;

namespace DluxShera.Host.Experiments;

/// <summary>
/// Which share of an experiment's points this process runs: point k belongs to shard k mod n (round robin, so
/// shards stay balanced when the cost varies along an axis). From <c>--shard i/n</c>, else a Slurm job array
/// (<c>SLURM_ARRAY_TASK_ID</c> − <c>SLURM_ARRAY_TASK_MIN</c> of <c>SLURM_ARRAY_TASK_COUNT</c>), else a Kubernetes
/// indexed Job (<c>JOB_COMPLETION_INDEX</c> of <c>JOB_COMPLETIONS</c>, which the Job's pod template must set to
/// its <c>.spec.completions</c>: Kubernetes does not export the count itself), else the whole experiment.
/// </summary>
/// <param name="Index">0-based shard index.</param>
/// <param name="Count">Number of shards.</param>
/// <param name="Source">Where the numbers came from, for the log.</param>
public sealed record Shard(int Index, int Count, string Source)
{
    /// <summary>The whole experiment.</summary>
    public static Shard All { get; } = new(0, 1, "all");

    /// <summary>Whether point <paramref name="index"/> is this shard's.</summary>
    /// <param name="index">The point index.</param>
    public bool Owns(int index) => index % Count == Index;

    /// <summary>Resolves the shard from the option or the scheduler's environment.</summary>
    /// <param name="option"><c>--shard i/n</c>, or null.</param>
    /// <param name="environment">Environment variables.</param>
    /// <exception cref="BadInputException">Malformed or inconsistent numbers.</exception>
    public static Shard Resolve(string? option, IDictionary environment)
    {
        if (option is not null)
        {
            var parts = option.Split('/');
            if (parts.Length != 2 || !TryInt(parts[0], out int i) || !TryInt(parts[1], out int n))
            {
                throw new BadInputException($"--shard '{option}': expected i/n with 0 ≤ i < n, e.g. --shard 0/4.");
            }
            return Checked(i, n, "--shard", $"--shard '{option}'");
        }
        string? Env(string name) => environment[name] as string;
        if (Env("SLURM_ARRAY_TASK_ID") is { } task)
        {
            string? count = Env("SLURM_ARRAY_TASK_COUNT");
            if (!TryInt(task, out int id) || count is null || !TryInt(count, out int n))
            {
                throw new BadInputException($"SLURM_ARRAY_TASK_ID={task}, SLURM_ARRAY_TASK_COUNT={count ?? "(unset)"}: expected integers (submit with sbatch --array=0-N).");
            }
            int min = TryInt(Env("SLURM_ARRAY_TASK_MIN") ?? "0", out int m) ? m : 0;
            return Checked(id - min, n, "slurm", $"SLURM_ARRAY_TASK_ID={task} (min {min}) of SLURM_ARRAY_TASK_COUNT={count}");
        }
        if (Env("JOB_COMPLETION_INDEX") is { } index)
        {
            string? completions = Env("JOB_COMPLETIONS");
            if (!TryInt(index, out int i) || completions is null || !TryInt(completions, out int n))
            {
                throw new BadInputException($"JOB_COMPLETION_INDEX={index}, JOB_COMPLETIONS={completions ?? "(unset)"}: set JOB_COMPLETIONS to the Job's .spec.completions in its pod template (docs/experiments.md).");
            }
            return Checked(i, n, "kubernetes", $"JOB_COMPLETION_INDEX={index} of JOB_COMPLETIONS={completions}");
        }
        return All;
    }

    private static Shard Checked(int i, int n, string source, string what) =>
        n >= 1 && i >= 0 && i < n ? new Shard(i, n, source)
            : throw new BadInputException($"{what}: expected 0 ≤ index < count and count ≥ 1.");

    private static bool TryInt(string s, out int value) => int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out value);

    /// <inheritdoc/>
    public override string ToString() => Count == 1 ? "all points" : $"shard {Index}/{Count} ({Source})";
}
