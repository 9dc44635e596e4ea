using DluxShera.Contracts;
using DluxShera.Sdk;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

[assembly: DluxSheraPlugin(typeof(MyEngine.MyEnginePlugin))]

namespace MyEngine;

/// <summary>Registers <c>optimizer:my_engine</c>. Rename the component, describe it, and replace the transformation
/// with your method; everything else (schedules, stopping, recording, non-finite checks, cancellation) is the toolkit's.</summary>
public sealed class MyEnginePlugin : IDluxSheraPlugin
{
    public string Id => "my_engine";
    public string Version => "0.1.0";
    public string Description => "my_engine: Lion (sign of an interpolated momentum) on the DluxShera engine toolkit";

    public void Register(IServiceCollection services, IConfiguration options) =>
        services.AddOptimizer<MyEngineOptions>("my_engine", "Lion: θ ← θ − lr·sign(b1·m + (1 − b1)·g)",
            (_, o) => new FirstOrderEngine("my_engine", o, new Chain(new ScaleByLion(o.B1, o.B2), new ScaleByLearningRate())));
}

/// <summary>Run-spec options (snake_case keys): num_steps, learning_rate, schedule and stopping come from the toolkit.</summary>
public sealed class MyEngineOptions : FirstOrderOptions
{
    public override double LearningRate { get; set; } = 1e-4;
    public double B1 { get; set; } = 0.9;
    public double B2 { get; set; } = 0.99;

    public override IEnumerable<(string Key, string Message)> Validate() =>
        base.Validate().Concat(B1 is >= 0 and < 1 && B2 is >= 0 and < 1 ? [] : [("b1", "b1 and b2 must be in [0, 1)")]);
}

/// <summary>Lion (Chen et al. 2023, Optax <c>scale_by_lion</c>): u = sign(b1·m + (1 − b1)·g), then m ← b2·m + (1 − b2)·g.</summary>
public sealed class ScaleByLion(double b1, double b2) : IGradientTransformation
{
    private double[] _m = [];

    public void Init(OptimizationContext context) => _m = new double[context.InitialTheta.Length];

    public void Apply(Span<double> u, ReadOnlySpan<double> theta, int step, double learningRate)
    {
        for (int i = 0; i < u.Length; i++)
        {
            double g = u[i];
            u[i] = Math.Sign(b1 * _m[i] + (1 - b1) * g);
            _m[i] = b2 * _m[i] + (1 - b2) * g;
        }
    }

    public IReadOnlyDictionary<string, object?> Describe() => new Dictionary<string, object?> { ["b1"] = b1, ["b2"] = b2 };
}
