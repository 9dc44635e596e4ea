using DluxShera.Contracts;
using DluxShera.Host.Components;

namespace DluxShera.Host.Runs;

/// <summary>The objective of a run spec on its own (for <c>simulate</c> and <c>check-gradients</c>, which need no engine).</summary>
public static class SpecObjective
{
    /// <summary>Loads the spec (with <c>--set</c>), seeds the catalog with its run seed, and creates its objective.</summary>
    /// <param name="catalog">Registered components.</param>
    /// <param name="specFile">The run spec.</param>
    /// <param name="overrides"><c>--set</c> assignments.</param>
    /// <exception cref="BadInputException">The spec or the objective's options are bad; the message names the spec file.</exception>
    public static (RunSpec Spec, IObjective Objective) Create(ComponentCatalog catalog, string specFile, IReadOnlyList<string> overrides)
    {
        var problems = new SpecProblems(specFile, overrides);
        var (spec, _) = RunSpecLoader.Load(specFile, overrides, problems);
        catalog.RunSeed = spec.Run.Seed;
        var objective = problems.Create("objective", () => catalog.Create<IObjective>(ComponentKinds.Objective, spec.Objective, "objective"));
        problems.ThrowIfAny();
        return (spec, objective!);
    }
}
