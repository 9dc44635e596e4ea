using DluxShera.Contracts;
using DluxShera.Sdk;

namespace DluxShera.Optimizers;

/// <summary>Options of <c>optimizer:gd</c>: one global learning rate.</summary>
public sealed class GradientDescentOptions : FirstOrderOptions
{
    /// <inheritdoc/>
    public override double LearningRate { get; set; } = 1e-3;
}

/// <summary>Options of <c>optimizer:momentum</c> (Optax <c>sgd</c> with momentum).</summary>
public sealed class MomentumOptions : FirstOrderOptions
{
    /// <inheritdoc/>
    public override double LearningRate { get; set; } = 1e-3;

    /// <summary>Momentum β in [0, 1).</summary>
    public double Momentum { get; set; } = 0.9;

    /// <summary>Nesterov's variant.</summary>
    public bool Nesterov { get; set; }

    /// <inheritdoc/>
    public override IEnumerable<(string Key, string Message)> Validate() =>
        base.Validate().Concat(Momentum is >= 0 and < 1 ? [] : [("momentum", $"must be in [0, 1), got {Momentum}")]);
}

/// <summary>Options of <c>optimizer:adam</c> (Optax defaults).</summary>
public sealed class AdamOptions : FirstOrderOptions
{
    /// <inheritdoc/>
    public override double LearningRate { get; set; } = 1e-3;

    /// <summary>First-moment decay.</summary>
    public double B1 { get; set; } = 0.9;

    /// <summary>Second-moment decay.</summary>
    public double B2 { get; set; } = 0.999;

    /// <summary>Added outside the square root.</summary>
    public double Eps { get; set; } = 1e-8;

    /// <summary>Added inside the square root.</summary>
    public double EpsRoot { get; set; }
}

/// <summary>Options of <c>optimizer:rmsprop</c> (Optax defaults).</summary>
public sealed class RmsPropOptions : FirstOrderOptions
{
    /// <inheritdoc/>
    public override double LearningRate { get; set; } = 1e-3;

    /// <summary>Decay of the squared-gradient average.</summary>
    public double Decay { get; set; } = 0.9;

    /// <summary>Added inside the square root.</summary>
    public double Eps { get; set; } = 1e-8;

    /// <summary>Initial value of the squared-gradient average.</summary>
    public double InitialScale { get; set; }
}
