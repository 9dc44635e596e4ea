using DluxShera.Contracts;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

[assembly: DluxSheraPlugin(typeof(HostilePlugin.Plugin))]

namespace HostilePlugin;

/// <summary>
/// Components that break the rules on purpose, so the host's defences can be tested: engines that return
/// wrong results, lie about NaN, return null, ignore cancellation or number steps backwards, and an
/// objective that throws, starts at NaN or names its parameters with path separators.
/// </summary>
public sealed class Plugin : IDluxSheraPlugin
{
    public string Id => "test.hostile";
    public string Version => "1.0.0";
    public string Description => "Rule-breaking components for the host's failure-path tests";

    public void Register(IServiceCollection services, IConfiguration options)
    {
        services.AddObjective<HostileObjectiveOptions>("hostile", "a bowl that can throw, start at NaN or carry odd names",
            (_, o) => o.FactoryThrows ? throw new NullReferenceException("factory defect") : new HostileObjective(o));
        services.AddOptimizer<HostileEngineOptions>("hostile", "an engine that breaks one rule (mode)", (_, o) => new HostileEngine(o));
    }
}

public sealed class HostileObjectiveOptions
{
    public int Dimension { get; set; } = 2;
    public bool StartNan { get; set; }
    public int ThrowAfter { get; set; } = -1;
    public bool FactoryThrows { get; set; }
    public string ParameterName { get; set; } = "x";

    /// <summary>Milliseconds each evaluation sleeps (a slow model, so a run lasts long enough to be signalled).</summary>
    public int DelayMs { get; set; }
}

public sealed class HostileObjective(HostileObjectiveOptions o) : IObjective
{
    private int _evaluations;

    public string Name => "hostile";
    public IndexMap IndexMap { get; } = IndexMap.SingleVector(o.Dimension, o.ParameterName);

    public void GetInitialTheta(Span<double> theta)
    {
        // The host must refuse a run that cannot fit before it allocates θ: fail loudly instead of touching gigabytes.
        if (theta.Length > 100_000_000) throw new InvalidOperationException($"the host asked for a start of D = {theta.Length} without checking memory first");
        theta.Fill(3.0);
        if (o.StartNan) theta[theta.Length - 1] = double.NaN;
    }

    public double Evaluate(ReadOnlySpan<double> theta, Span<double> gradient)
    {
        if (o.ThrowAfter >= 0 && _evaluations++ >= o.ThrowAfter) ThrowDefect();
        if (o.DelayMs > 0) Thread.Sleep(o.DelayMs);
        double f = 0;
        for (int i = 0; i < theta.Length; i++)
        {
            gradient[i] = theta[i];
            f += 0.5 * theta[i] * theta[i];
        }
        return f;
    }

    private static void ThrowDefect()
    {
        string? missing = null;
        _ = missing!.Length;
    }

    public IReadOnlyDictionary<string, object?> Describe() => new Dictionary<string, object?> { ["name"] = Name };
}

public sealed class HostileEngineOptions
{
    /// <summary>wrong_length, null, nan_ok, deaf, step_order, honest.</summary>
    public string Mode { get; set; } = "honest";
    public int NumSteps { get; set; } = 5;
}

public sealed class HostileEngine(HostileEngineOptions o) : IOptimizerEngine
{
    public string Name => "hostile";

    public OptimizationResult Run(OptimizationContext c)
    {
        var theta = (double[])c.InitialTheta.Clone();
        var g = new double[theta.Length];
        double f0 = c.Objective.Evaluate(theta, g), f = f0;
        c.Trace.Append(new TraceRow(0, f0, theta, 1, 0, 0.1, true));
        int step = 0;
        while (o.Mode == "deaf" || step < o.NumSteps)
        {
            step++;
            for (int i = 0; i < theta.Length; i++) theta[i] -= 0.1 * g[i];
            f = c.Objective.Evaluate(theta, g);
            double recorded = o.Mode == "nan_ok" && step == 2 ? double.NaN : f;
            int recordedStep = o.Mode == "step_order" && step == 3 ? 1 : step;
            c.Trace.Append(new TraceRow(recordedStep, recorded, theta, 1, 0.1, 0.1, true));
            if (o.Mode == "deaf") Thread.Sleep(2);
            else if (c.Cancellation.IsCancellationRequested) break;
        }
        if (o.Mode == "null") return null!;
        return new OptimizationResult
        {
            Status = RunStatus.Ok,
            StopReason = StopReasons.MaxSteps,
            StepsCompleted = step,
            InitialLoss = f0,
            BestStep = step,
            BestLoss = f,
            BestTheta = o.Mode == "wrong_length" ? new double[theta.Length + 1] : (double[])theta.Clone(),
            FinalStep = step,
            FinalLoss = f,
            FinalTheta = (double[])theta.Clone(),
        };
    }

    public IReadOnlyDictionary<string, object?> Describe() => new Dictionary<string, object?>
    {
        ["name"] = Name,
        ["mode"] = o.Mode,
        ["num_steps"] = o.NumSteps,
    };
}
