using DluxShera.Contracts;
using DluxShera.Host.Components;
using DluxShera.Host.Experiments;
using DluxShera.Host.Theta;

namespace DluxShera.Host.Runs;

/// <summary>What a fit and a sampling run both settle before their engine starts: where θ starts and where the run goes.</summary>
public static class RunStart
{
    /// <summary>The primitive starting point: the objective's θ₀, or <c>run.init_from</c>'s checkpoint decoded from its θ-space; checked finite.</summary>
    /// <param name="spec">The run spec.</param>
    /// <param name="objective">The objective.</param>
    public static double[] PrimitiveStart(RunSpec spec, CreatedComponent<IObjective> objective) => PrimitiveStart(spec, objective.Descriptor.Key, objective.Component);

    /// <summary>The primitive starting point of <paramref name="objective"/> (registered as <paramref name="objectiveKey"/>, for messages).</summary>
    /// <param name="spec">The run spec.</param>
    /// <param name="objectiveKey">E.g. <c>objective:shera</c>.</param>
    /// <param name="objective">The objective.</param>
    public static double[] PrimitiveStart(RunSpec spec, string objectiveKey, IObjective objective)
    {
        var primitiveMap = objective.IndexMap;
        var primitive0 = new double[primitiveMap.Dimension];
        objective.GetInitialTheta(primitive0);
        if (spec.Run.InitFrom is { } initFrom) primitive0 = RunThetaReader.LoadPrimitive(initFrom, spec.Run.InitCheckpoint, primitiveMap, "run.init_from");
        StartingPoint.Check(objectiveKey, primitiveMap, primitive0);
        return primitive0;
    }

    /// <summary>The directory the run directory goes into (run.out, --out, or an experiment's runs/), checked writable.</summary>
    /// <param name="spec">The run spec.</param>
    /// <param name="request">The request (spec file for messages, --out).</param>
    public static string OutputRoot(RunSpec spec, RunRequest request)
    {
        string outputRoot = request.OutDirectory ?? spec.Run.Out;
        string outputWhat = request.OutDirectory is null ? $"{request.SpecFile}: run.out" : "--out";
        if (spec.Run.Experiment is { } experiment)
        {
            string experimentDirectory = Path.Combine(request.OutDirectory ?? spec.Run.ExperimentRoot, experiment);
            WritableDirectory.Require(experimentDirectory, request.OutDirectory is null ? $"{request.SpecFile}: run.experiment_root" : "--out");
            ExperimentManifest.Ensure(experimentDirectory, experiment, spec.Description, spec.Run.ExperimentSettings);
            outputRoot = Path.Combine(experimentDirectory, "runs");
        }
        WritableDirectory.Require(outputRoot, outputWhat);
        return outputRoot;
    }
}
