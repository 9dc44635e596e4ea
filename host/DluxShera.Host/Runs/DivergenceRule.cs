using System.Globalization;
using System.Text.Json.Nodes;
using DluxShera.Contracts;

namespace DluxShera.Host.Runs;

/// <summary>
/// The host's divergence rule, applied to every engine's result: a run that never improved on its start and ended
/// far above it did not fit anything, whatever stop reason the engine gave (typically <c>max_steps</c> after a
/// learning rate that was too large), so it is recorded as <c>failed</c> / <c>diverged</c>.
/// </summary>
public static class DivergenceRule
{
    /// <summary>Why the result diverged, or null when it did not (or the rule is off).</summary>
    /// <param name="result">The engine's result.</param>
    /// <param name="ratio">r of <c>run.divergence_ratio</c>; null turns the rule off.</param>
    public static string? Check(OptimizationResult result, double? ratio)
    {
        if (ratio is not { } r || result.Status != RunStatus.Ok) return null;
        double start = result.InitialLoss, final = result.FinalLoss;
        bool neverImproved = !(result.BestLoss < start);
        double limit = start + r * Math.Max(Math.Abs(start), 1e-300);
        if (!neverImproved || !(final > limit)) return null;
        return string.Create(CultureInfo.InvariantCulture,
            $"the loss never went below its start {start:G6} and ended at {final:G6}, above the divergence limit {limit:G6} (run.divergence_ratio = {r}); try a smaller learning rate");
    }

    /// <summary>Marks <paramref name="summary"/> failed/diverged when <see cref="Check"/> says so.</summary>
    /// <param name="summary">summary.json being built.</param>
    /// <param name="result">The engine's result, or null when it threw.</param>
    /// <param name="ratio">r, or null.</param>
    public static void Apply(JsonObject summary, OptimizationResult? result, double? ratio)
    {
        if (result is null || Check(result, ratio) is not { } message) return;
        summary["status"] = "failed";
        summary["engine_stop_reason"] = result.StopReason;
        summary["stop_reason"] = StopReasons.Diverged;
        summary["message"] = message;
    }
}
