using System.Text.Json.Nodes;
using DluxShera.Artifacts;
using DluxShera.Contracts;
using DluxShera.Host.Components;
using DluxShera.Numpy;
using DluxShera.Theta;

namespace DluxShera.Host.Theta;

/// <summary>The run's θ-space: the map, the objective engines see (loss∘map) and the starting z.</summary>
/// <param name="Chain">The map.</param>
/// <param name="Objective">The composed objective (the original one for primitive runs).</param>
/// <param name="InitialTheta">z₀.</param>
public sealed record ThetaSpaceSetup(ThetaMapChain Chain, IObjective Objective, double[] InitialTheta);

/// <summary>
/// Builds the θ map a run spec names (<c>theta_map: {name, options}</c>) on top of the objective, stage by stage
/// from the objective outwards: an eigen stage decomposes the dense curvature of everything built so far at its θref.
/// </summary>
/// <param name="catalog">Registered components (curvature estimators for eigen maps).</param>
public sealed class ThetaSpaceBuilder(ComponentCatalog catalog)
{
    /// <summary>Builds the θ-space.</summary>
    /// <param name="spec">The spec's theta_map block.</param>
    /// <param name="objective">The objective in primitive θ.</param>
    /// <param name="primitiveStart">θ₀ in primitive values.</param>
    /// <exception cref="BadInputException">Unknown map, bad options, a curvature that cannot define eigenmodes, a start outside a bijector's domain.</exception>
    public ThetaSpaceSetup Build(ThetaMapSpec spec, IObjective objective, double[] primitiveStart)
    {
        var stages = new List<IDifferentiableThetaMap>();
        IObjective current = objective;
        var start = (double[])primitiveStart.Clone();
        var specs = spec.Name == "compose"
            ? Bind<ComposeMapOptions>(spec.Options, "theta_map.options").Maps.Select((m, i) => (m, $"theta_map.options.maps[{i}]")).ToList()
            : [(spec, "theta_map")];
        if (specs.Count == 0) throw new BadInputException("theta_map.options.maps: give at least one map, e.g. [{\"name\": \"unconstrained\"}, {\"name\": \"eigen\"}].");
        try
        {
            foreach (var (stageSpec, path) in specs)
            {
                var stage = BuildStage(stageSpec, path, current, start, objective.IndexMap, stages.Count == 0);
                if (stage is null) continue;
                var z = new double[stage.ThetaDimension];
                stage.ToTheta(start, z);
                stages.Add(stage);
                current = ThetaMappedObjective.Create(current, stage);
                start = z;
            }
            var chain = new ThetaMapChain(objective.IndexMap, stages);
            return new ThetaSpaceSetup(chain, current, start);
        }
        catch (ThetaMapException e)
        {
            throw new BadInputException($"theta_map: {e.Message}", e);
        }
    }

    private IDifferentiableThetaMap? BuildStage(ThetaMapSpec spec, string path, IObjective current, double[] start, IndexMap primitive, bool first)
    {
        switch (spec.Name)
        {
            case "identity":
                if (spec.Options is { Count: > 0 }) throw new BadInputException($"{path}.options: identity takes no options.");
                return null;
            case "unconstrained":
                var u = Bind<UnconstrainedMapOptions>(spec.Options, $"{path}.options");
                return new BijectorThetaMap(current.IndexMap, ParseBijectors(u.Bijectors, current.IndexMap, $"{path}.options.bijectors"));
            case "eigen":
                return BuildEigen(Bind<EigenMapOptions>(spec.Options, $"{path}.options"), $"{path}.options", current, start, primitive, first);
            case "compose":
                throw new BadInputException($"{path}: compose cannot be nested; list every map in theta_map.options.maps.");
            default:
                throw new BadInputException($"{path}.name: unknown theta map '{spec.Name}'; expected identity, eigen, unconstrained or compose.");
        }
    }

    private EigenThetaMap BuildEigen(EigenMapOptions o, string path, IObjective current, double[] start, IndexMap primitive, bool first)
    {
        var settings = new EigenSettings
        {
            Whiten = o.Whiten, Keep = o.Keep, MinRelativeEigenvalue = o.MinRelativeEigenvalue, SpectrumFraction = o.SpectrumFraction, Tolerance = o.Tolerance,
        };
        double[]? reference = o.Reference == "start" ? null : ReferencePoint(o, path, primitive);
        if (o.HessianFrom is { } runDirectory)
        {
            if (!first) throw new BadInputException($"{path}.hessian_from: fisher.npz holds a primitive-space Hessian; use it only for an eigen map next to the objective.");
            var fisher = new FilesystemRunReader(runDirectory).LoadArrays(RunLayout.Fisher)
                ?? throw new BadInputException($"{path}.hessian_from: {Path.Combine(runDirectory, RunLayout.Fisher)} not found (run the earlier fit with run.uncertainty = true).");
            var hessian = fisher["hessian"];
            if (hessian.Shape.Length != 2 || hessian.Shape[0] != primitive.Dimension)
            {
                throw new BadInputException($"{path}.hessian_from: {Path.Combine(runDirectory, RunLayout.Fisher)} holds a {hessian.ShapeText} Hessian; this objective has D = {primitive.Dimension}.");
            }
            return EigenThetaMap.FromCurvature(hessian.ToDoubles(), reference ?? fisher["theta"].ToDoubles(), settings);
        }
        // θref in the current coordinates (after the stages built so far).
        var at = start;
        if (reference is not null)
        {
            at = new double[current.IndexMap.Dimension];
            new ThetaMapChain(primitive, CurrentStages(current)).ToTheta(reference, at);
        }
        ICurvatureEstimator estimator;
        try
        {
            estimator = catalog.Create<ICurvatureEstimator>(ComponentKinds.Curvature, new ComponentReference { Name = o.Curvature }, $"{path}.curvature");
        }
        catch (ComponentOptionsException e)
        {
            throw new BadInputException(e.Message, e);
        }
        var estimate = estimator.Estimate(current, at, new CurvatureRequest(Dense: true));
        var dense = estimate.Dense ?? throw new BadInputException($"{path}.curvature: '{o.Curvature}' gives no dense matrix; use fisher_dense.");
        return EigenThetaMap.FromCurvature(dense, at, settings);
    }

    private static List<IDifferentiableThetaMap> CurrentStages(IObjective current)
    {
        var stages = new List<IDifferentiableThetaMap>();
        while (current is ThetaMappedObjective mapped)
        {
            stages.Insert(0, mapped.Map);
            current = mapped.Inner;
        }
        return stages;
    }

    private static double[] ReferencePoint(EigenMapOptions o, string path, IndexMap primitive)
    {
        if (o.Reference.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
        {
            if (!File.Exists(o.Reference)) throw new BadInputException($"{path}.reference: {o.Reference} not found.");
            var values = NpyFile.Load(o.Reference).ToDoubles();
            if (values.Length != primitive.Dimension) throw new BadInputException($"{path}.reference: {o.Reference} holds {values.Length} values; expected D = {primitive.Dimension} primitive values.");
            return values;
        }
        return RunThetaReader.LoadPrimitive(o.Reference, o.Checkpoint, primitive, $"{path}.reference");
    }

    private static Dictionary<string, EntryBijector> ParseBijectors(JsonObject? json, IndexMap map, string path)
    {
        var result = new Dictionary<string, EntryBijector>();
        foreach (var (name, node) in json ?? [])
        {
            var entry = map.Find(name) ?? throw new BadInputException($"{path}.{name}: not an IndexMap entry; entries: {string.Join(", ", map.Entries.Select(e => e.Name))}.");
            string? kind = node is JsonValue v && v.TryGetValue<string>(out var s) ? s : node?["kind"]?.GetValue<string>();
            double? lower = node is JsonObject o1 ? o1["lower"]?.GetValue<double>() : null;
            double? upper = node is JsonObject o2 ? o2["upper"]?.GetValue<double>() : null;
            result[name] = kind switch
            {
                "identity" => new EntryBijector(BijectorKind.Identity),
                "log" => new EntryBijector(BijectorKind.Log, lower ?? entry.LowerBound ?? 0),
                "logit" => new EntryBijector(BijectorKind.Logit, lower ?? entry.LowerBound ?? double.NaN, upper ?? entry.UpperBound ?? double.NaN),
                _ => throw new BadInputException($"{path}.{name}: expected \"identity\", \"log\", \"logit\" or {{\"kind\": \"logit\", \"lower\": a, \"upper\": b}}."),
            };
        }
        return result;
    }

    private static T Bind<T>(JsonObject? options, string path) where T : class, new()
    {
        try
        {
            return (T)StrictJsonBinder.Bind(typeof(T), options ?? new JsonObject(), path);
        }
        catch (ComponentOptionsException e)
        {
            throw new BadInputException(e.Message, e);
        }
    }
}
