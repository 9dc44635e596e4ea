using System.Numerics.Tensors;
using System.Text.Json.Nodes;
using DluxShera.Contracts;

namespace DluxShera.Optimizers;

/// <summary>
/// The one loop all first-order engines share: evaluate, check finiteness, record, transform the
/// gradient, step θ ← θ − lr_t · u. Buffers are allocated once; a step allocates nothing.
/// </summary>
/// <param name="name">Registered engine name.</param>
/// <param name="numSteps">Steps to take.</param>
/// <param name="learningRate">The base learning rate (the schedule's scale).</param>
/// <param name="transform">The gradient transformation.</param>
public sealed class FirstOrderEngine(string name, int numSteps, double learningRate, IGradientTransformation transform) : IOptimizerEngine
{
    /// <inheritdoc/>
    public string Name => name;

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, object?> Describe()
    {
        var d = new Dictionary<string, object?>
        {
            ["name"] = name,
            ["num_steps"] = numSteps,
            ["base_lr"] = learningRate,
            ["schedule"] = new Dictionary<string, object?> { ["kind"] = "constant" },
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
        var best = (double[])theta.Clone();
        transform.Init(d);

        double bestLoss = double.PositiveInfinity, initialLoss = double.NaN, lastLoss = double.NaN;
        int bestStep = 0, evaluations = 0;
        double stepNorm = 0;
        for (int t = 0; ; t++)
        {
            double loss = objective.Evaluate(theta, gradient);
            evaluations++;
            string? failure = !double.IsFinite(loss) ? StopReasons.NonFiniteLoss
                : !AllFinite(gradient) ? StopReasons.NonFiniteGradient : null;
            if (failure is not null)
            {
                // θ_t is the bad point; the last good one is θ_{t−1} (or θ₀ itself when t = 0).
                var lastGood = t == 0 ? theta : previous;
                string what = failure == StopReasons.NonFiniteLoss ? $"loss is {loss}" : "the gradient has a non-finite entry";
                return Result(RunStatus.Failed, failure, $"step {t}: {what}; the last finite point (step {Math.Max(t - 1, 0)}) is kept",
                    Math.Max(t - 1, 0), lastGood, t == 0 ? double.NaN : lastLoss);
            }
            if (t == 0) initialLoss = loss;
            lastLoss = loss;
            double gradNorm = TensorPrimitives.Norm(gradient);
            context.Trace.Append(new TraceRow(t, loss, theta, gradNorm, stepNorm, learningRate, true));
            if (context.GradientEvery > 0 && t % context.GradientEvery == 0) context.Trace.RecordGradient(t, gradient);
            if (context.DiagnosticsEvery > 0 && t % context.DiagnosticsEvery == 0)
            {
                context.Artifacts.AppendDiagnostics(new JsonObject { ["step"] = t, ["loss"] = loss, ["grad_norm"] = gradNorm, ["step_norm"] = stepNorm });
            }
            context.Progress.Report(new ProgressUpdate(t, numSteps, loss, gradNorm));
            if (loss < bestLoss)
            {
                bestLoss = loss;
                bestStep = t;
                theta.CopyTo(best, 0);
            }
            if (t == numSteps) return Result(RunStatus.Ok, StopReasons.MaxSteps, "", t, theta, loss);
            if (context.Cancellation.IsCancellationRequested)
            {
                return Result(RunStatus.Failed, StopReasons.Cancelled, $"cancelled after {t} steps", t, theta, loss);
            }

            // The gradient buffer becomes the update direction, then the step.
            transform.Apply(gradient, t);
            theta.CopyTo(previous, 0);
            TensorPrimitives.MultiplyAdd(gradient, -learningRate, theta, theta);
            stepNorm = Math.Abs(learningRate) * TensorPrimitives.Norm(gradient);
        }

        static bool AllFinite(ReadOnlySpan<double> values)
        {
            foreach (double v in values)
            {
                if (!double.IsFinite(v)) return false;
            }
            return true;
        }

        OptimizationResult Result(RunStatus status, string reason, string message, int finalStep, double[] final, double finalLoss) => new()
        {
            Status = status,
            StopReason = reason,
            Message = message,
            StepsCompleted = finalStep,
            InitialLoss = initialLoss,
            BestStep = bestStep,
            BestLoss = bestLoss,
            BestTheta = best,
            FinalStep = finalStep,
            FinalLoss = finalLoss,
            FinalTheta = (double[])final.Clone(),
            Evaluations = evaluations,
        };
    }
}
