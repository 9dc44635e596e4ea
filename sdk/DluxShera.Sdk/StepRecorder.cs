using System.Numerics.Tensors;
using DluxShera.Contracts;

namespace DluxShera.Sdk;

/// <summary>
/// The bookkeeping every engine shares: streams trace rows, sparse gradients and progress (the host turns the
/// rows into diag_steps.jsonl),
/// tracks the first and best points, and assembles the result. Buffers are allocated once per run.
/// </summary>
public sealed class StepRecorder
{
    private readonly OptimizationContext _context;
    private readonly int _plannedSteps;
    private readonly double[] _best;
    private double _bestLoss = double.PositiveInfinity;
    private int _bestStep;
    private double _initialLoss = double.NaN;

    /// <summary>Creates a recorder.</summary>
    /// <param name="context">The run context.</param>
    /// <param name="plannedSteps">Planned steps (for progress).</param>
    public StepRecorder(OptimizationContext context, int plannedSteps)
    {
        _context = context;
        _plannedSteps = plannedSteps;
        _best = (double[])context.InitialTheta.Clone();
    }

    /// <summary>Objective evaluations made so far (engines count them here).</summary>
    public int Evaluations { get; set; }

    /// <summary>Rows recorded.</summary>
    public int Rows { get; private set; }

    /// <summary>Records the state after <paramref name="step"/> steps.</summary>
    /// <param name="step">Steps completed.</param>
    /// <param name="loss">loss(θ).</param>
    /// <param name="theta">θ.</param>
    /// <param name="gradient">∇loss(θ).</param>
    /// <param name="stepNorm">‖θ_t − θ_{t−1}‖.</param>
    /// <param name="learningRate">The global rate of the step that produced θ.</param>
    /// <param name="accepted">Whether the step was accepted.</param>
    /// <returns>‖gradient‖₂.</returns>
    public double Record(int step, double loss, ReadOnlySpan<double> theta, ReadOnlySpan<double> gradient, double stepNorm, double learningRate, bool accepted = true)
    {
        double gradNorm = TensorPrimitives.Norm(gradient);
        _context.Trace.Append(new TraceRow
        {
            Step = step, Loss = loss, Theta = theta, GradNorm = gradNorm, StepNorm = stepNorm, BaseLr = learningRate, Accepted = accepted,
        });
        if (Rows == 0) _initialLoss = loss;
        Rows++;
        if (_context.GradientEvery > 0 && step % _context.GradientEvery == 0) _context.Trace.RecordGradient(step, gradient);
        _context.Progress.Report(new ProgressUpdate(step, _plannedSteps, loss, gradNorm));
        if (loss < _bestLoss)
        {
            _bestLoss = loss;
            _bestStep = step;
            theta.CopyTo(_best);
        }
        return gradNorm;
    }

    /// <summary>A failed result for a non-finite evaluation at <paramref name="step"/>; θ_final is the last good point.</summary>
    /// <param name="reason">The reason from <see cref="NonFiniteCheck.Reason"/>.</param>
    /// <param name="step">The step whose evaluation failed.</param>
    /// <param name="loss">The bad loss.</param>
    /// <param name="lastGoodStep">Step of the last good point.</param>
    /// <param name="lastGood">The last good point.</param>
    /// <param name="lastGoodLoss">Its loss.</param>
    public OptimizationResult NonFiniteResult(string reason, int step, double loss, int lastGoodStep, double[] lastGood, double lastGoodLoss)
    {
        string what = reason == StopReasons.NonFiniteLoss ? $"loss is {loss}" : "the gradient has a non-finite entry";
        return Finish(RunStatus.Failed, reason, $"step {step}: {what}; the last finite point (step {lastGoodStep}) is kept", lastGoodStep, lastGood, lastGoodLoss);
    }

    /// <summary>Assembles the result.</summary>
    /// <param name="status">Ok or failed.</param>
    /// <param name="reason">Stop reason.</param>
    /// <param name="message">Message.</param>
    /// <param name="finalStep">Final step.</param>
    /// <param name="finalTheta">Final θ (copied).</param>
    /// <param name="finalLoss">Final loss.</param>
    /// <param name="restoreBest">Report the best point as final.</param>
    /// <param name="extra">Extra summary scalars.</param>
    public OptimizationResult Finish(RunStatus status, string reason, string message, int finalStep, ReadOnlySpan<double> finalTheta, double finalLoss,
        bool restoreBest = false, IReadOnlyDictionary<string, object?>? extra = null)
    {
        bool restore = restoreBest && Rows > 0 && _bestLoss < finalLoss;
        return new OptimizationResult
        {
            Status = status,
            StopReason = reason,
            Message = restore ? (message.Length > 0 ? message + "; " : "") + $"restored the best point (step {_bestStep})" : message,
            StepsCompleted = finalStep,
            InitialLoss = _initialLoss,
            BestStep = _bestStep,
            BestLoss = Rows > 0 ? _bestLoss : double.NaN,
            BestTheta = (double[])_best.Clone(),
            FinalStep = restore ? _bestStep : finalStep,
            FinalLoss = restore ? _bestLoss : finalLoss,
            FinalTheta = restore ? (double[])_best.Clone() : finalTheta.ToArray(),
            Evaluations = Evaluations,
            Extra = extra ?? new Dictionary<string, object?>(),
        };
    }
}
