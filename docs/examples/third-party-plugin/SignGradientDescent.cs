using DluxShera.Contracts;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

[assembly: DluxSheraPlugin(typeof(ThirdParty.SignGradientDescentPlugin))]

namespace ThirdParty;

/// <summary>The plugin entry: registers <c>optimizer:sign_gd</c>.</summary>
public sealed class SignGradientDescentPlugin : IDluxSheraPlugin
{
    public string Id => "thirdparty.sign-gd";
    public string Version => "1.0.0";
    public string Description => "sign gradient descent with a decaying step (a third-party example)";

    public void Register(IServiceCollection services, IConfiguration options) =>
        services.AddOptimizer<SignGdOptions>("sign_gd", "θ ← θ − lr·decay^t·sign(g)", (_, o) => new SignGradientDescent(o));
}

/// <summary>Options, bound from the run spec as snake_case keys (num_steps, learning_rate, decay).</summary>
public sealed class SignGdOptions : IValidatableOptions
{
    public int NumSteps { get; set; } = 500;
    public double LearningRate { get; set; } = 0.1;
    public double Decay { get; set; } = 0.99;

    public IEnumerable<(string Key, string Message)> Validate()
    {
        if (NumSteps < 0) yield return ("num_steps", "must be ≥ 0");
        if (!(Decay is > 0 and <= 1)) yield return ("decay", "must be in (0, 1]");
    }
}

/// <summary>θ_{t+1} = θ_t − lr · decay^t · sign(∇loss(θ_t)).</summary>
public sealed class SignGradientDescent(SignGdOptions options) : IOptimizerEngine
{
    public string Name => "sign_gd";

    public IReadOnlyDictionary<string, object?> Describe() => new Dictionary<string, object?>
    {
        ["name"] = Name,
        ["num_steps"] = options.NumSteps,
        ["base_lr"] = options.LearningRate,
        ["schedule"] = new Dictionary<string, object?> { ["kind"] = "exponential_decay", ["decay"] = options.Decay },
    };

    public OptimizationResult Run(OptimizationContext context)
    {
        var theta = (double[])context.InitialTheta.Clone();
        var grad = new double[theta.Length];
        var best = (double[])theta.Clone();
        var lastGood = (double[])theta.Clone();
        double bestLoss = double.PositiveInfinity, initial = double.NaN, loss = double.NaN, lastGoodLoss = double.NaN, lr = options.LearningRate, stepNorm = 0;
        int bestStep = 0, t = 0;
        for (; ; t++)
        {
            loss = context.Objective.Evaluate(theta, grad);
            if (!double.IsFinite(loss) || grad.Any(g => !double.IsFinite(g)))
            {
                // Never step on a NaN: fail, reporting the last finite point (Status follows from the reason).
                string reason = double.IsFinite(loss) ? StopReasons.NonFiniteGradient : StopReasons.NonFiniteLoss;
                return Result(reason, $"non-finite evaluation at step {t}", Math.Max(t - 1, 0), lastGood, lastGoodLoss);
            }
            if (t == 0) initial = loss;
            theta.CopyTo(lastGood, 0);
            lastGoodLoss = loss;
            double gradNorm = Math.Sqrt(grad.Sum(g => g * g));
            context.Trace.Append(new TraceRow { Step = t, Loss = loss, Theta = theta, GradNorm = gradNorm, StepNorm = stepNorm, BaseLr = lr });
            context.Progress.Report(new ProgressUpdate(t, options.NumSteps, loss, gradNorm));
            if (loss < bestLoss)
            {
                bestLoss = loss;
                bestStep = t;
                theta.CopyTo(best, 0);
            }
            if (t == options.NumSteps) return Result(StopReasons.MaxSteps, "", t, theta, loss);
            // A cancelled run is a failed run (status follows from StopReasons.Cancelled), never "ok".
            if (context.Cancellation.IsCancellationRequested) return Result(StopReasons.Cancelled, $"cancelled after {t} steps", t, theta, loss);
            lr = options.LearningRate * Math.Pow(options.Decay, t);
            for (int i = 0; i < theta.Length; i++) theta[i] -= lr * Math.Sign(grad[i]);
            stepNorm = lr * Math.Sqrt(grad.Count(g => g != 0));
        }

        // Status is left to the contract's default: StopReasons.StatusOf(reason) (ok for max_steps, failed for cancelled or non-finite).
        OptimizationResult Result(string reason, string message, int finalStep, double[] final, double finalLoss) => new()
        {
            StopReason = reason,
            Message = message,
            StepsCompleted = t,
            InitialLoss = initial,
            BestStep = bestStep,
            BestLoss = bestLoss,
            BestTheta = best,
            FinalStep = finalStep,
            FinalLoss = finalLoss,
            FinalTheta = (double[])final.Clone(),
            Evaluations = t + 1,
        };
    }
}
