using DluxShera.Contracts;

namespace DluxShera.Optimizers;

/// <summary>Options every first-order engine shares.</summary>
public abstract class FirstOrderOptions : IValidatableOptions
{
    /// <summary>Steps to take.</summary>
    public int NumSteps { get; set; } = 1000;

    /// <summary>The learning rate.</summary>
    public abstract double LearningRate { get; set; }

    /// <summary>The learning-rate schedule (a multiplier of <see cref="LearningRate"/>).</summary>
    public ScheduleOptions Schedule { get; set; } = new();

    /// <summary>Early stopping.</summary>
    public StoppingOptions Stopping { get; set; } = new();

    /// <inheritdoc/>
    public virtual IEnumerable<(string Key, string Message)> Validate()
    {
        if (NumSteps < 0) yield return ("num_steps", $"must be ≥ 0, got {NumSteps}");
        if (!(LearningRate > 0) || !double.IsFinite(LearningRate)) yield return ("learning_rate", $"must be a positive finite number, got {LearningRate}");
    }
}

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
