namespace DluxShera.Contracts;

/// <summary>
/// An optimizer engine: runs from θ₀, streams each step to the trace sink, honours cancellation and
/// returns a status with the best and final points. Engines see only θ, loss and gradients.
/// </summary>
public interface IOptimizerEngine
{
    /// <summary>The registered name, e.g. <c>gd</c>.</summary>
    string Name { get; }

    /// <summary>Runs the optimisation. Must not throw for numerical failures: return a failed result instead.</summary>
    /// <param name="context">Objective, starting point, sinks and cancellation.</param>
    OptimizationResult Run(OptimizationContext context);

    /// <summary>
    /// The <c>meta.json.optimizer</c> block: <c>name</c>, <c>num_steps</c>, <c>base_lr</c>, <c>schedule</c>,
    /// optional <c>preconditioning</c> and other hyper-parameters. Called before and after the run.
    /// </summary>
    IReadOnlyDictionary<string, object?> Describe();
}

/// <summary>What an engine receives for one run.</summary>
public sealed class OptimizationContext
{
    /// <summary>The objective, in θ-space.</summary>
    public required IObjective Objective { get; init; }

    /// <summary>θ₀ (length D); engines copy it.</summary>
    public required double[] InitialTheta { get; init; }

    /// <summary>Where trace rows go.</summary>
    public required ITraceSink Trace { get; init; }

    /// <summary>Where optional arrays go (<c>precond.npz</c>, <c>curvature.npz</c>, <c>diag_steps.jsonl</c>).</summary>
    public required IRunArtifacts Artifacts { get; init; }

    /// <summary>Progress display.</summary>
    public required IProgressReporter Progress { get; init; }

    /// <summary>Creates other components (curvature estimators) by name.</summary>
    public required IComponentResolver Components { get; init; }

    /// <summary>Record the full gradient every this many steps into <c>grads.npz</c> (0: never).</summary>
    public int GradientEvery { get; init; }

    /// <summary><c>run.diagnostics_every</c> (0: never). The host itself writes a <c>diag_steps.jsonl</c> line
    /// (step, loss, grad_norm, step_norm, base_lr, accepted) for every trace row whose step is a multiple of it,
    /// so engines need do nothing; an engine may append lines of its own (engine-specific values) at this pace
    /// through <see cref="IRunArtifacts.AppendDiagnostics"/>, and those should carry a <c>"source"</c> key.</summary>
    public int DiagnosticsEvery { get; init; }

    /// <summary>Stops the run early; the engine returns what it has with reason <c>cancelled</c>.</summary>
    public CancellationToken Cancellation { get; init; }
}

/// <summary>How a run ended.</summary>
public enum RunStatus
{
    /// <summary>The run completed (including early convergence).</summary>
    Ok,

    /// <summary>The run failed (non-finite values, an exception, cancellation).</summary>
    Failed,
}

/// <summary>Standard stop reasons written to <c>summary.json.stop_reason</c>.</summary>
public static class StopReasons
{
    /// <summary>All requested steps were taken.</summary>
    public const string MaxSteps = "max_steps";

    /// <summary>The loss became NaN or infinite.</summary>
    public const string NonFiniteLoss = "non_finite_loss";

    /// <summary>The gradient had a NaN or infinite entry.</summary>
    public const string NonFiniteGradient = "non_finite_gradient";

    /// <summary>A convergence criterion (tolerance with patience) was met.</summary>
    public const string Converged = "converged";

    /// <summary>The run was cancelled.</summary>
    public const string Cancelled = "cancelled";

    /// <summary>The engine or objective threw.</summary>
    public const string Error = "error";

    /// <summary>The loss never improved on its start and ended far above it (the host's divergence rule).</summary>
    public const string Diverged = "diverged";

    /// <summary>
    /// The status a stop reason implies (contract 1.2): <see cref="RunStatus.Ok"/> for <see cref="MaxSteps"/>,
    /// <see cref="Converged"/> and engine-specific words; <see cref="RunStatus.Failed"/> for the non-finite
    /// reasons, <see cref="Cancelled"/>, <see cref="Error"/> and <see cref="Diverged"/>.
    /// </summary>
    /// <param name="stopReason">The stop reason.</param>
    public static RunStatus StatusOf(string stopReason) => stopReason switch
    {
        NonFiniteLoss or NonFiniteGradient or Cancelled or Error or Diverged => RunStatus.Failed,
        _ => RunStatus.Ok,
    };
}

/// <summary>The outcome of an optimisation run.</summary>
/// <remarks>
/// <para>Two step counts that differ on purpose: <see cref="StepsCompleted"/> is how many steps the engine
/// took; <see cref="FinalStep"/> is the step of the point it reports as final, an earlier one when it
/// restored the best point or stopped on a non-finite evaluation. Since contract 1.2, <see cref="FinalStep"/>
/// defaults to <see cref="StepsCompleted"/> and <see cref="Status"/> defaults to what
/// <see cref="StopReason"/> implies (<see cref="StopReasons.StatusOf"/>), so set them only to say otherwise.
/// Engines built on the DluxShera.Sdk toolkit get the whole result from <c>StepRecorder.Finish</c>.</para>
/// </remarks>
public sealed class OptimizationResult
{
    private readonly RunStatus? _status;
    private readonly int? _finalStep;

    /// <summary>Ok or failed (default: <see cref="StopReasons.StatusOf"/> of <see cref="StopReason"/>).</summary>
    public RunStatus Status { get => _status ?? StopReasons.StatusOf(StopReason); init => _status = value; }

    /// <summary>One of <see cref="StopReasons"/> (or an engine-specific word).</summary>
    public required string StopReason { get; init; }

    /// <summary>Human-readable message (empty when ok).</summary>
    public string Message { get; init; } = "";

    /// <summary>Steps the engine took (the last trace row's step).</summary>
    public required int StepsCompleted { get; init; }

    /// <summary>loss(θ₀).</summary>
    public required double InitialLoss { get; init; }

    /// <summary>Step of the lowest finite loss seen.</summary>
    public required int BestStep { get; init; }

    /// <summary>The lowest finite loss seen.</summary>
    public required double BestLoss { get; init; }

    /// <summary>θ at <see cref="BestStep"/>.</summary>
    public required double[] BestTheta { get; init; }

    /// <summary>Step of the final point: an earlier step than <see cref="StepsCompleted"/> when the best point
    /// was restored or the run failed (the last good one); default <see cref="StepsCompleted"/>.</summary>
    public int FinalStep { get => _finalStep ?? StepsCompleted; init => _finalStep = value; }

    /// <summary>loss(θ_final).</summary>
    public required double FinalLoss { get; init; }

    /// <summary>The final point (the last finite one when the run failed).</summary>
    public required double[] FinalTheta { get; init; }

    /// <summary>Loss and gradient evaluations made.</summary>
    public int Evaluations { get; init; }

    /// <summary>Extra scalars for <c>summary.json</c> (engine-specific).</summary>
    public IReadOnlyDictionary<string, object?> Extra { get; init; } = new Dictionary<string, object?>();
}
