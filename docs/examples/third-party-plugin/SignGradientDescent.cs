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
        double bestLoss = double.PositiveInfinity, initial = double.NaN, loss = double.NaN, lr = options.LearningRate, stepNorm = 0;
        int bestStep = 0, t = 0;
        for (; ; t++)
        {
            loss = context.Objective.Evaluate(theta, grad);
            if (!double.IsFinite(loss))
            {
                return Result(RunStatus.Failed, StopReasons.NonFiniteLoss, $"loss is {loss} at step {t}");
            }
            if (t == 0) initial = loss;
            double gradNorm = Math.Sqrt(grad.Sum(g => g * g));
            context.Trace.Append(new TraceRow(t, loss, theta, gradNorm, stepNorm, lr, true));
            context.Progress.Report(new ProgressUpdate(t, options.NumSteps, loss, gradNorm));
            if (loss < bestLoss)
            {
                bestLoss = loss;
                bestStep = t;
                theta.CopyTo(best, 0);
            }
            if (t == options.NumSteps || context.Cancellation.IsCancellationRequested) break;
            lr = options.LearningRate * Math.Pow(options.Decay, t);
            for (int i = 0; i < theta.Length; i++) theta[i] -= lr * Math.Sign(grad[i]);
            stepNorm = lr * Math.Sqrt(theta.Length);
        }
        return Result(RunStatus.Ok, StopReasons.MaxSteps, "");

        OptimizationResult Result(RunStatus status, string reason, string message) => new()
        {
            Status = status,
            StopReason = reason,
            Message = message,
            StepsCompleted = t,
            InitialLoss = initial,
            BestStep = bestStep,
            BestLoss = bestLoss,
            BestTheta = best,
            FinalStep = t,
            FinalLoss = loss,
            FinalTheta = theta,
            Evaluations = t + 1,
        };
    }
}
