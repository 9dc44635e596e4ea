using DluxShera.Contracts;

namespace DluxShera.Sdk;

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
