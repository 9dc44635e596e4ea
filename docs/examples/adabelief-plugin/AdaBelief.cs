using DluxShera.Contracts;
using DluxShera.Sdk;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

[assembly: DluxSheraPlugin(typeof(ThirdParty.AdaBeliefPlugin))]

namespace ThirdParty;

/// <summary>Registers <c>optimizer:adabelief</c>: the toolkit's first-order loop (schedules, stopping, recording,
/// non-finite checks, cancellation) around one new transformation, chained with the shipped learning-rate scaling.</summary>
public sealed class AdaBeliefPlugin : IDluxSheraPlugin
{
    public string Id => "thirdparty.adabelief";
    public string Version => "1.0.0";
    public string Description => "AdaBelief (Optax scale_by_belief) on the DluxShera engine toolkit";

    public void Register(IServiceCollection services, IConfiguration options) =>
        services.AddOptimizer<AdaBeliefOptions>("adabelief", "AdaBelief: Adam with the variance of the gradient's surprise",
            (_, o) => new FirstOrderEngine("adabelief", o, new Chain(new ScaleByBelief(o.B1, o.B2, o.Eps, o.EpsRoot), new ScaleByLearningRate())));
}

/// <summary>num_steps, learning_rate, schedule and stopping come from the toolkit; the rest are Optax's defaults.</summary>
public sealed class AdaBeliefOptions : FirstOrderOptions
{
    public override double LearningRate { get; set; } = 1e-3;
    public double B1 { get; set; } = 0.9;
    public double B2 { get; set; } = 0.999;
    public double Eps { get; set; } = 1e-16;
    public double EpsRoot { get; set; } = 1e-16;
}

/// <summary>Optax <c>scale_by_belief</c>: m ← b1 m + (1−b1) g, s ← b2 s + (1−b2)(g − m_prev)² + eps_root,
/// u = m̂ / (√ŝ + eps) with Adam's bias corrections.</summary>
public sealed class ScaleByBelief(double b1, double b2, double eps, double epsRoot) : IGradientTransformation
{
    private double[] _m = [], _s = [];

    public void Init(OptimizationContext context) => (_m, _s) = (new double[context.InitialTheta.Length], new double[context.InitialTheta.Length]);

    public void Apply(Span<double> u, ReadOnlySpan<double> theta, int step, double learningRate)
    {
        double c1 = 1 - Math.Pow(b1, step + 1), c2 = 1 - Math.Pow(b2, step + 1);
        for (int i = 0; i < u.Length; i++)
        {
            double surprise = u[i] - _m[i];
            _m[i] = b1 * _m[i] + (1 - b1) * u[i];
            _s[i] = b2 * _s[i] + (1 - b2) * surprise * surprise + epsRoot;
            u[i] = _m[i] / c1 / (Math.Sqrt(_s[i] / c2) + eps);
        }
    }

    public IReadOnlyDictionary<string, object?> Describe() => new Dictionary<string, object?> { ["b1"] = b1, ["b2"] = b2, ["eps"] = eps, ["eps_root"] = epsRoot };
}
