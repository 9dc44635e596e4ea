using System.Globalization;
using DluxShera.Contracts;
using DluxShera.Host.Components;
using DluxShera.Host.Runs;

namespace DluxShera.Host.Diagnostics;

/// <summary>Where <c>check-gradients</c> evaluates the objective.</summary>
public enum CheckPoint
{
    /// <summary>The objective's θ₀.</summary>
    Initial,

    /// <summary>The truth (<see cref="ITruthProvider"/>).</summary>
    Truth,

    /// <summary>θ₀ moved by a seeded random amount: 5 % of each |θ₀ᵢ| (0.05 where θ₀ᵢ = 0).</summary>
    Random,
}

/// <summary>
/// <c>dluxshera check-gradients &lt;spec&gt; [--at initial|truth|random] [--seed N]</c>: builds the spec's
/// objective, runs <see cref="GradientChecker"/> at the chosen θ and prints one table per capability.
/// Exit 0 when every check agrees within tolerance, 1 when any does not (the worst are named), 2 for bad input.
/// </summary>
public static class CheckGradientsCommand
{
    /// <summary>Runs the checks.</summary>
    /// <param name="catalog">Registered components.</param>
    /// <param name="specFile">The run spec.</param>
    /// <param name="overrides"><c>--set</c> assignments.</param>
    /// <param name="at">Where to check.</param>
    /// <param name="seed">Seed of the random point and directions (default: the spec's run.seed).</param>
    /// <param name="settings">Tolerances and sizes (its seed is replaced).</param>
    /// <param name="o">Output.</param>
    public static int Execute(ComponentCatalog catalog, string specFile, IReadOnlyList<string> overrides, CheckPoint at, ulong? seed,
        GradientCheckSettings settings, TextWriter o)
    {
        var (spec, objective) = SpecObjective.Create(catalog, specFile, overrides);
        ulong effectiveSeed = seed ?? spec.Run.Seed;
        var theta = PointFor(objective, at, effectiveSeed, specFile);
        var results = new GradientChecker(objective, theta, settings with { Seed = effectiveSeed }).RunAll();
        o.WriteLine($"check-gradients: objective {objective.Name}, D = {theta.Length}, at {at.ToString().ToLowerInvariant()} θ, seed {effectiveSeed}, rtol {Format(settings.Rtol)} (derivatives) / {Format(settings.IdentityRtol)} (identities)");
        Print(results, o);
        return Summarise(results, o);
    }

    /// <summary>θ at which to check.</summary>
    /// <param name="objective">The objective.</param>
    /// <param name="at">Where.</param>
    /// <param name="seed">Seed of the random point.</param>
    /// <param name="specFile">For messages.</param>
    public static double[] PointFor(IObjective objective, CheckPoint at, ulong seed, string specFile)
    {
        var theta = new double[objective.IndexMap.Dimension];
        objective.GetInitialTheta(theta);
        switch (at)
        {
            case CheckPoint.Truth:
                if (objective is not ITruthProvider truth || !truth.TryGetTruth(theta))
                {
                    throw new BadInputException($"{specFile}: --at truth, but objective '{objective.Name}' knows no truth (it does not implement ITruthProvider, or has no truth for these options); use --at initial or --at random.");
                }
                break;
            case CheckPoint.Random:
                var random = new Random(unchecked((int)(seed ^ (seed >> 32))));
                for (int i = 0; i < theta.Length; i++) theta[i] += 0.05 * (theta[i] != 0 ? Math.Abs(theta[i]) : 1.0) * (2 * random.NextDouble() - 1);
                break;
        }
        return theta;
    }

    private static void Print(IReadOnlyList<CheckResult> results, TextWriter o)
    {
        foreach (var group in results.GroupBy(r => r.Capability))
        {
            o.WriteLine();
            o.WriteLine($"{group.Key}: {group.First().Note}");
            int width = Math.Max(12, group.Max(r => r.Entry.Length));
            o.WriteLine($"  {"entry".PadRight(width)}  {"value",14}  {"reference",14}  {"error",10}  {"tolerance",10}  result");
            foreach (var r in group)
            {
                string result = r.Skipped ? "skipped: " + r.Note : r.Passed ? "ok" : "FAIL";
                o.WriteLine(r.Skipped
                    ? $"  {r.Entry.PadRight(width)}  {result}"
                    : $"  {r.Entry.PadRight(width)}  {Format(r.Value),14}  {Format(r.Reference),14}  {Format(r.Error),10}  {Format(r.Tolerance),10}  {result}");
            }
        }
    }

    private static int Summarise(IReadOnlyList<CheckResult> results, TextWriter o)
    {
        var failed = results.Where(r => !r.Passed).OrderByDescending(r => r.Severity).ToList();
        int checkedCount = results.Count(r => !r.Skipped), skipped = results.Count(r => r.Skipped);
        o.WriteLine();
        if (failed.Count == 0)
        {
            o.WriteLine($"all {checkedCount} checks agree within tolerance{(skipped > 0 ? $" ({skipped} skipped)" : "")}");
            return ExitCodes.Ok;
        }
        string worst = string.Join("; ", failed.Take(5).Select(r => $"{r.Capability} {r.Entry}: error {Format(r.Error)} > tolerance {Format(r.Tolerance)}"));
        o.WriteLine($"{failed.Count} of {checkedCount} checks disagree; worst: {worst}");
        return ExitCodes.RunFailed;
    }

    private static string Format(double v) => v.ToString("0.####e+00", CultureInfo.InvariantCulture);
}
