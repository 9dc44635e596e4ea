namespace DluxShera.Contracts;

/// <summary>The kinds of component a plugin can register. A component's key is <c>kind:name</c>.</summary>
public static class ComponentKinds
{
    /// <summary>An objective (<see cref="IObjective"/>): loss and gradient over θ.</summary>
    public const string Objective = "objective";

    /// <summary>An optimizer engine (<see cref="IOptimizerEngine"/>).</summary>
    public const string Optimizer = "optimizer";

    /// <summary>A curvature estimator (<see cref="ICurvatureEstimator"/>).</summary>
    public const string Curvature = "curvature";

    /// <summary>A sampler (<see cref="ISampler"/>).</summary>
    public const string Sampler = "sampler";

    /// <summary>A signal recipe (<see cref="ISignalRecipe"/>).</summary>
    public const string Signals = "signals";

    /// <summary>An artifact store (<see cref="IArtifactStore"/>).</summary>
    public const string Store = "store";

    /// <summary>Every kind the host knows, in display order.</summary>
    public static IReadOnlyList<string> All { get; } = [Objective, Optimizer, Curvature, Sampler, Signals, Store];

    /// <summary>The contract interface a component of <paramref name="kind"/> must implement, or null for an unknown kind.</summary>
    /// <param name="kind">A kind from <see cref="All"/>.</param>
    public static Type? ServiceTypeOf(string kind) => kind switch
    {
        Objective => typeof(IObjective),
        Optimizer => typeof(IOptimizerEngine),
        Curvature => typeof(ICurvatureEstimator),
        Sampler => typeof(ISampler),
        Signals => typeof(ISignalRecipe),
        Store => typeof(IArtifactStore),
        _ => null,
    };
}
