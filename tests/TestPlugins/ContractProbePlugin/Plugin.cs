using DluxShera.Contracts;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

[assembly: DluxSheraPlugin(typeof(ContractProbePlugin.Plugin))]

namespace ContractProbePlugin;

/// <summary>
/// Probes what the host guarantees to a plugin that uses only the contracts (no DluxShera.Sdk): an engine that
/// streams trace rows and nothing else (the host must write diag_steps.jsonl from them), and whose Describe()
/// returns the values a plugin author might reach for (dictionaries, tuples, records, rectangular arrays, or
/// things that have no JSON form at all).
/// </summary>
public sealed class Plugin : IDluxSheraPlugin
{
    public string Id => "test.contract-probe";
    public string Version => "1.0.0";
    public string Description => "A contracts-only engine for the host's guarantees (diag_steps, Describe() serialisation)";

    public void Register(IServiceCollection services, IConfiguration options) =>
        services.AddOptimizer<ProbeEngineOptions>("probe_gd", "plain gradient descent written against the contracts only", (_, o) => new ProbeEngine(o));
}

public sealed class ProbeEngineOptions
{
    public int NumSteps { get; set; } = 10;
    public double LearningRate { get; set; } = 0.1;

    /// <summary>What Describe() returns: plain, structured, delegate, cycle, bad_num_steps.</summary>
    public string Describe { get; set; } = "plain";
}

/// <summary>A record a plugin might put into its description.</summary>
public sealed record Window(int Start, double Width, string Kind);

/// <summary>Refers to itself, which no JSON can hold.</summary>
public sealed class Node
{
    public Node? Next { get; set; }
}

/// <summary>θ ← θ − lr ∇loss(θ), one trace row per step, nothing else recorded by the engine itself.</summary>
public sealed class ProbeEngine(ProbeEngineOptions o) : IOptimizerEngine
{
    public string Name => "probe_gd";

    public OptimizationResult Run(OptimizationContext c)
    {
        var theta = (double[])c.InitialTheta.Clone();
        var g = new double[theta.Length];
        double f0 = c.Objective.Evaluate(theta, g), f = f0;
        c.Trace.Append(new TraceRow { Step = 0, Loss = f0, Theta = theta, GradNorm = Norm(g), StepNorm = 0, BaseLr = o.LearningRate });
        int step = 0;
        while (step < o.NumSteps && !c.Cancellation.IsCancellationRequested)
        {
            step++;
            double moved = 0;
            for (int i = 0; i < theta.Length; i++)
            {
                theta[i] -= o.LearningRate * g[i];
                moved += o.LearningRate * o.LearningRate * g[i] * g[i];
            }
            f = c.Objective.Evaluate(theta, g);
            c.Trace.Append(new TraceRow { Step = step, Loss = f, Theta = theta, GradNorm = Norm(g), StepNorm = Math.Sqrt(moved), BaseLr = o.LearningRate });
        }
        return new OptimizationResult
        {
            StopReason = c.Cancellation.IsCancellationRequested ? StopReasons.Cancelled : StopReasons.MaxSteps,
            StepsCompleted = step,
            InitialLoss = f0,
            BestStep = step,
            BestLoss = f,
            BestTheta = (double[])theta.Clone(),
            FinalLoss = f,
            FinalTheta = (double[])theta.Clone(),
            Evaluations = step + 1,
            Extra = new Dictionary<string, object?> { ["probe_window"] = new Window(step, 0.5, "final") },
        };
    }

    private static double Norm(double[] g) => Math.Sqrt(g.Sum(x => x * x));

    public IReadOnlyDictionary<string, object?> Describe()
    {
        var d = new Dictionary<string, object?> { ["num_steps"] = o.NumSteps, ["base_lr"] = o.LearningRate };
        switch (o.Describe)
        {
            case "structured":
                d["weights"] = new Dictionary<string, double> { ["a"] = 1.5, ["b"] = -2.0 };
                d["pair"] = (1, "x");
                d["window"] = new Window(3, 0.25, "hann");
                d["grid"] = new double[,] { { 1, 2, 3 }, { 4, 5, 6 } };
                d["steps_by_stage"] = new SortedDictionary<int, List<double>> { [1] = [0.1, 0.2], [2] = [double.NaN] };
                break;
            case "delegate":
                d["schedule"] = new Dictionary<string, object?> { ["kind"] = "custom", ["config"] = new Dictionary<string, object?> { ["rate"] = (Func<int, double>)(t => 1.0 / (t + 1)) } };
                break;
            case "cycle":
                var node = new Node();
                node.Next = node;
                d["chain"] = node;
                break;
            case "bad_num_steps":
                d["num_steps"] = "ten";
                break;
        }
        return d;
    }
}
