using DluxShera.Contracts;

namespace DluxShera.Host.Runs;

/// <summary>
/// The host does not take an engine's word for its result: lengths, finiteness and step numbers are
/// checked against D and against the rows the trace sink saw, and the non-finite rule is enforced here
/// for every engine. A result that fails the check is recorded as a failed run naming the engine.
/// </summary>
public static class EngineResultCheck
{
    /// <summary>What is wrong with <paramref name="result"/>, or null when it can be trusted.</summary>
    /// <param name="result">The engine's result (may be null: an engine defect).</param>
    /// <param name="dimension">D.</param>
    /// <param name="trace">The rows the host saw.</param>
    public static string? Problem(OptimizationResult? result, int dimension, ObservedTrace trace)
    {
        if (result is null) return "returned no result (null)";
        if (result.StopReason is null) return "returned a result without a stop_reason";
        if (result.BestTheta is null || result.BestTheta.Length != dimension)
        {
            return $"returned best θ of length {result.BestTheta?.Length.ToString() ?? "null"}; expected D = {dimension}";
        }
        if (result.FinalTheta is null || result.FinalTheta.Length != dimension)
        {
            return $"returned final θ of length {result.FinalTheta?.Length.ToString() ?? "null"}; expected D = {dimension}";
        }
        if (result.StepsCompleted < 0) return $"returned steps_completed = {result.StepsCompleted}";
        if (trace.Rows > 0 && (result.BestStep < 0 || result.BestStep > trace.LastStep))
        {
            return $"returned best_step = {result.BestStep}, outside the trace's steps 0..{trace.LastStep}";
        }
        if (trace.Rows > 0 && (result.FinalStep < 0 || result.FinalStep > trace.LastStep))
        {
            return $"returned final_step = {result.FinalStep}, outside the trace's steps 0..{trace.LastStep}";
        }
        if (trace.StepOrderProblem is { } order) return order;
        if (result.Status == RunStatus.Ok)
        {
            if (!AllFinite(result.BestTheta)) return "reported ok with a non-finite best θ";
            if (!AllFinite(result.FinalTheta)) return "reported ok with a non-finite final θ";
            if (!double.IsFinite(result.BestLoss) || !double.IsFinite(result.FinalLoss)) return "reported ok with a non-finite best or final loss";
        }
        return null;
    }

    /// <summary>The stop reason and message when an engine reported ok although the trace holds a non-finite
    /// loss, θ or gradient norm (the host's non-finite rule), else null.</summary>
    /// <param name="result">A result that passed <see cref="Problem"/>.</param>
    /// <param name="trace">The rows the host saw.</param>
    public static (string StopReason, string Message)? NonFiniteRule(OptimizationResult result, ObservedTrace trace)
    {
        if (result.Status != RunStatus.Ok || trace.FirstNonFinite is not { } bad) return null;
        string reason = bad.What == "gradient norm" ? StopReasons.NonFiniteGradient : StopReasons.NonFiniteLoss;
        return (reason, $"the trace has a non-finite {bad.What} at step {bad.Step} but the engine reported ok; the host fails such runs");
    }

    private static bool AllFinite(double[] values)
    {
        foreach (double v in values)
        {
            if (!double.IsFinite(v)) return false;
        }
        return true;
    }
}
