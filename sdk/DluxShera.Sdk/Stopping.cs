using DluxShera.Contracts;

namespace DluxShera.Sdk;

/// <summary>
/// Early stopping shared by every engine. A step "has converged" when any enabled test holds:
/// |Δloss| ≤ loss_atol + loss_rtol·|loss|, step_norm ≤ step_atol, grad_norm ≤ grad_norm_atol.
/// The run stops with <c>converged</c> after <c>patience</c> consecutive such steps, never before
/// <c>min_iter</c>. A test is enabled when its tolerance is positive.
/// </summary>
public sealed class StoppingOptions : IValidatableOptions
{
    /// <summary>Consecutive converged steps needed (1: stop at the first).</summary>
    public int Patience { get; set; } = 1;

    /// <summary>Relative loss-change tolerance (0: off).</summary>
    public double LossRtol { get; set; }

    /// <summary>Absolute loss-change tolerance (0: off).</summary>
    public double LossAtol { get; set; }

    /// <summary>Step-norm tolerance (0: off).</summary>
    public double StepAtol { get; set; }

    /// <summary>Gradient-norm tolerance (0: off).</summary>
    public double GradNormAtol { get; set; }

    /// <summary>Steps before any test may stop the run.</summary>
    public int MinIter { get; set; }

    /// <summary>End at the best point seen instead of the last one (final checkpoint = best).</summary>
    public bool RestoreBest { get; set; }

    /// <summary>Whether any test is enabled.</summary>
    public bool Enabled => LossRtol > 0 || LossAtol > 0 || StepAtol > 0 || GradNormAtol > 0;

    /// <inheritdoc/>
    public IEnumerable<(string Key, string Message)> Validate()
    {
        if (Patience < 1) yield return ("patience", "must be ≥ 1");
        // Each tolerance named on its own: "loss_rtol" for a negative step_atol sent users to the wrong key.
        if (!(LossRtol >= 0)) yield return ("loss_rtol", "must be ≥ 0 (0: off)");
        if (!(LossAtol >= 0)) yield return ("loss_atol", "must be ≥ 0 (0: off)");
        if (!(StepAtol >= 0)) yield return ("step_atol", "must be ≥ 0 (0: off)");
        if (!(GradNormAtol >= 0)) yield return ("grad_norm_atol", "must be ≥ 0 (0: off)");
        if (MinIter < 0) yield return ("min_iter", "must be ≥ 0");
    }

    /// <summary>For meta.json.</summary>
    public IReadOnlyDictionary<string, object?> Describe() => new Dictionary<string, object?>
    {
        ["patience"] = Patience, ["loss_rtol"] = LossRtol, ["loss_atol"] = LossAtol, ["step_atol"] = StepAtol,
        ["grad_norm_atol"] = GradNormAtol, ["min_iter"] = MinIter, ["restore_best"] = RestoreBest,
    };
}

/// <summary>Applies <see cref="StoppingOptions"/> step by step.</summary>
/// <param name="options">The options.</param>
public sealed class ConvergenceMonitor(StoppingOptions options)
{
    private int _streak;
    private double _previousLoss = double.NaN;

    /// <summary>Which test fired last (for the message).</summary>
    public string LastTest { get; private set; } = "";

    /// <summary>Feeds the state after step <paramref name="step"/>; true when the run should stop.</summary>
    /// <param name="step">Steps completed.</param>
    /// <param name="loss">Current loss.</param>
    /// <param name="stepNorm">‖θ_t − θ_{t−1}‖.</param>
    /// <param name="gradNorm">‖g_t‖.</param>
    public bool ShouldStop(int step, double loss, double stepNorm, double gradNorm)
    {
        double previous = _previousLoss;
        _previousLoss = loss;
        if (!options.Enabled || step == 0) return false;
        string? test = null;
        if ((options.LossAtol > 0 || options.LossRtol > 0) && Math.Abs(loss - previous) <= options.LossAtol + options.LossRtol * Math.Abs(loss)) test = "loss change";
        else if (options.StepAtol > 0 && stepNorm <= options.StepAtol) test = "step norm";
        else if (options.GradNormAtol > 0 && gradNorm <= options.GradNormAtol) test = "gradient norm";
        _streak = test is null ? 0 : _streak + 1;
        if (test is not null) LastTest = test;
        return step >= options.MinIter && _streak >= options.Patience;
    }
}
