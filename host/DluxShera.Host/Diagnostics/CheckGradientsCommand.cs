using System.Globalization;
using DluxShera.Contracts;
using DluxShera.Host.Components;
using DluxShera.Host.Runs;
using DluxShera.Host.Theta;

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
/// <c>dluxshera check-gradients &lt;spec&gt; [--at initial|truth|random] [--seed N] [--primitive]</c>: builds the
/// objective the spec's run would optimise, that is the objective composed with the spec's <c>theta_map</c> (built
/// exactly as <c>run</c> builds it, at the run's start), runs <see cref="GradientChecker"/> at the chosen point
/// encoded into that θ-space, and prints one table per capability. <c>--primitive</c> checks the bare objective in
/// primitive θ instead. Exit 0 when every check agrees within tolerance, 1 when any does not (the worst are named),
/// 2 for bad input.
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
    /// <param name="primitive">Check the bare objective in primitive θ, ignoring the spec's theta_map.</param>
    public static int Execute(ComponentCatalog catalog, string specFile, IReadOnlyList<string> overrides, CheckPoint at, ulong? seed,
        GradientCheckSettings settings, TextWriter o, bool primitive = false)
    {
        var (spec, objective) = SpecObjective.Create(catalog, specFile, overrides);
        ulong effectiveSeed = seed ?? spec.Run.Seed;
        var start = RunStart.PrimitiveStart(spec, $"{ComponentKinds.Objective}:{spec.Objective.Name}", objective);
        var point = PointFor(objective, start, at, effectiveSeed, specFile);
        string where = $"at {at.ToString().ToLowerInvariant()} θ";
        GradientChecker checker;
        if (primitive || spec.ThetaMap.Name == "identity")
        {
            checker = new GradientChecker(objective, point, settings with { Seed = effectiveSeed });
            string ignored = primitive && spec.ThetaMap.Name != "identity" ? $" (the spec's theta_map '{spec.ThetaMap.Name}' is not applied: --primitive)" : "";
            o.WriteLine($"check-gradients: objective {objective.Name} in primitive θ{ignored}, D = {point.Length}, {where}, seed {effectiveSeed}, rtol {Format(settings.Rtol)} (derivatives) / {Format(settings.IdentityRtol)} (identities)");
        }
        else
        {
            // The map is built where the run would build it (its start), then the chosen point is encoded into z.
            var space = new ThetaSpaceBuilder(catalog).Build(spec.ThetaMap, objective, start);
            var z = new double[space.Chain.ThetaDimension];
            space.Chain.ToTheta(point, z);
            if (!z.All(double.IsFinite))
            {
                throw new BadInputException($"{specFile}: --at {at.ToString().ToLowerInvariant()}: the point is outside the domain of theta_map '{spec.ThetaMap.Name}' (it encodes to a non-finite z); use another --at, or --primitive.");
            }
            // The composed objective forwards the primitive one's extra terms (pulled back), so the identities hold in z.
            checker = new GradientChecker(space.Objective, z, settings with { Seed = effectiveSeed });
            o.WriteLine($"check-gradients: objective {objective.Name} through theta_map {space.Chain.Id} (what 'run' optimises: z-space '{space.Chain.ThetaSpace}', D = {z.Length}; primitive D = {point.Length}; --primitive checks the bare objective), {where}, seed {effectiveSeed}, rtol {Format(settings.Rtol)} (derivatives) / {Format(settings.IdentityRtol)} (identities)");
        }
        var results = checker.RunAll();
        Print(results, o);
        return Summarise(results, o);
    }

    /// <summary>The primitive θ at which to check.</summary>
    /// <param name="objective">The objective.</param>
    /// <param name="start">The run's primitive start (θ₀, or run.init_from's checkpoint).</param>
    /// <param name="at">Where.</param>
    /// <param name="seed">Seed of the random point.</param>
    /// <param name="specFile">For messages.</param>
    public static double[] PointFor(IObjective objective, double[] start, CheckPoint at, ulong seed, string specFile)
    {
        var theta = (double[])start.Clone();
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
