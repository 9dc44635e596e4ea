using System.Numerics.Tensors;
using DluxShera.Contracts;

namespace DluxShera.Sdk;

/// <summary>
/// The one loop all first-order engines share: evaluate, check finiteness (before every step), record,
/// transform the gradient into the step, θ ← θ − u. Buffers are allocated once; a step allocates nothing.
/// </summary>
/// <param name="name">Registered engine name.</param>
/// <param name="options">Steps, learning rate, schedule and stopping.</param>
/// <param name="transform">The gradient transformation (ending with the learning-rate scaling).</param>
public sealed class FirstOrderEngine(string name, FirstOrderOptions options, IGradientTransformation transform) : IOptimizerEngine
{
    /// <inheritdoc/>
    public string Name => name;

    /// <summary>The transformation (its state after a run holds e.g. the preconditioner).</summary>
    public IGradientTransformation Transform => transform;

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, object?> Describe()
    {
        var d = new Dictionary<string, object?>
        {
            ["name"] = name,
            ["num_steps"] = options.NumSteps,
            ["base_lr"] = options.LearningRate,
            ["schedule"] = options.Schedule.Describe(options.NumSteps),
            ["stopping"] = options.Stopping.Describe(),
        };
        foreach (var (k, v) in transform.Describe()) d[k] = v;
        return d;
    }

    /// <inheritdoc/>
    public OptimizationResult Run(OptimizationContext context)
    {
        var objective = context.Objective;
        int d = context.InitialTheta.Length;
        var theta = (double[])context.InitialTheta.Clone();
        var previous = new double[d];
        var gradient = new double[d];
        var recorder = new StepRecorder(context, options.NumSteps);
        var monitor = new ConvergenceMonitor(options.Stopping);
        transform.Init(context);

        double lastLoss = double.NaN, stepNorm = 0, lr = options.LearningRate * options.Schedule.Factor(0);
        for (int t = 0; ; t++)
        {
            double loss = objective.Evaluate(theta, gradient);
            recorder.Evaluations++;
            if (NonFiniteCheck.Reason(loss, gradient) is { } failure)
            {
                return recorder.NonFiniteResult(failure, t, loss, Math.Max(t - 1, 0), t == 0 ? theta : previous, t == 0 ? double.NaN : lastLoss);
            }
            lastLoss = loss;
            double gradNorm = recorder.Record(t, loss, theta, gradient, stepNorm, lr);
            if (monitor.ShouldStop(t, loss, stepNorm, gradNorm))
            {
                return recorder.Finish(RunStatus.Ok, StopReasons.Converged, $"{monitor.LastTest} below tolerance", t, theta, loss, options.Stopping.RestoreBest);
            }
            if (t == options.NumSteps) return recorder.Finish(RunStatus.Ok, StopReasons.MaxSteps, "", t, theta, loss, options.Stopping.RestoreBest);
            if (context.Cancellation.IsCancellationRequested)
            {
                return recorder.Finish(RunStatus.Failed, StopReasons.Cancelled, $"cancelled after {t} steps", t, theta, loss);
            }

            lr = options.LearningRate * options.Schedule.Factor(t);
            transform.Apply(gradient, theta, t, lr);
            theta.CopyTo(previous, 0);
            TensorPrimitives.Subtract(theta, gradient, theta);
            stepNorm = TensorPrimitives.Norm(gradient);
        }
    }
}
