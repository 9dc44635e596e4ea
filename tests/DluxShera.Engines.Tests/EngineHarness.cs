using System.Text.Json.Nodes;
using DluxShera.Contracts;
using DluxShera.Curvature;
using DluxShera.Optimizers;
using DluxShera.Sdk;

namespace DluxShera.Tests;

/// <summary>Collects what an engine produces, in memory; resolves curvature estimators by name.</summary>
internal sealed class MemorySink : ITraceSink, IRunArtifacts, IProgressReporter, IComponentResolver
{
    public List<(int Step, double Loss, double[] Theta, double StepNorm, double BaseLr, bool Accepted)> Rows { get; } = [];
    public Dictionary<string, IReadOnlyDictionary<string, NdArray>> Files { get; } = [];
    public bool KeepRows { get; init; } = true;

    public void Append(in TraceRow row)
    {
        if (KeepRows) Rows.Add((row.Step, row.Loss, row.Theta.ToArray(), row.StepNorm, row.BaseLr, row.Accepted));
    }

    public List<(int Step, double[] Gradient)> Gradients { get; } = [];
    public void RecordGradient(int step, ReadOnlySpan<double> gradient) => Gradients.Add((step, gradient.ToArray()));
    public void WriteArrays(string fileName, IReadOnlyDictionary<string, NdArray> arrays) => Files[fileName] = arrays;
    public void AppendDiagnostics(JsonObject line) { }
    public List<ProgressUpdate> Progress { get; } = [];
    public Action<ProgressUpdate>? OnProgress { get; set; }

    public void Report(in ProgressUpdate update)
    {
        if (KeepRows) Progress.Add(update);
        OnProgress?.Invoke(update);
    }
    public bool Has(string kind, string name) => false;
    public T Create<T>(string kind, ComponentReference reference, string optionsPath) where T : class => throw new NotSupportedException();
}

internal static class EngineHarness
{
    public static (OptimizationResult Result, MemorySink Sink) Run(IOptimizerEngine engine, IObjective objective, bool keepRows = true, double[]? start = null,
        IComponentResolver? components = null, CancellationToken cancellation = default, Action<ProgressUpdate>? onProgress = null, int gradientEvery = 0)
    {
        var theta0 = new double[objective.IndexMap.Dimension];
        objective.GetInitialTheta(theta0);
        var sink = new MemorySink { KeepRows = keepRows, OnProgress = onProgress };
        var result = engine.Run(new OptimizationContext
        {
            Objective = objective, InitialTheta = start ?? theta0, Trace = sink, Artifacts = sink, Progress = sink, Components = components ?? sink, Cancellation = cancellation, GradientEvery = gradientEvery,
        });
        return (result, sink);
    }

    /// <summary>An engine as the plugin builds it: the transformation (if any) followed by the learning rate.</summary>
    public static FirstOrderEngine FirstOrder(string name, int steps, double lr, IGradientTransformation? transform, ScheduleOptions? schedule = null, StoppingOptions? stopping = null) =>
        new(name, new GradientDescentOptions { NumSteps = steps, LearningRate = lr, Schedule = schedule ?? new(), Stopping = stopping ?? new() },
            transform is null ? new ScaleByLearningRate() : new Chain(transform, new ScaleByLearningRate()));
}
