using System.Numerics.Tensors;
using DluxShera.Contracts;
using DluxShera.Sdk;

namespace DluxShera.Optimizers;

/// <summary>Options of <c>optimizer:lbfgs</c>. Defaults follow scipy's L-BFGS-B (m = 10, ftol from factr = 1e7, gtol = 1e-5).</summary>
public sealed class LbfgsOptions : IValidatableOptions
{
    /// <summary>Maximum iterations.</summary>
    public int NumSteps { get; set; } = 1000;

    /// <summary>History size m.</summary>
    public int History { get; set; } = 10;

    /// <summary>Bound on loss+gradient evaluations over the run.</summary>
    public int MaxEvaluations { get; set; } = 15000;

    /// <summary>Evaluations per line search.</summary>
    public int MaxLineSearch { get; set; } = 20;

    /// <summary>Armijo constant.</summary>
    public double C1 { get; set; } = 1e-4;

    /// <summary>Curvature constant.</summary>
    public double C2 { get; set; } = 0.9;

    /// <summary>Stop when (f_k − f_{k+1}) / max(|f_k|, |f_{k+1}|, 1) ≤ ftol.</summary>
    public double Ftol { get; set; } = 2.220446049250313e-09;

    /// <summary>Stop when max |g_i| ≤ gtol.</summary>
    public double Gtol { get; set; } = 1e-5;

    /// <summary>Additional early stopping.</summary>
    public StoppingOptions Stopping { get; set; } = new();

    /// <inheritdoc/>
    public IEnumerable<(string Key, string Message)> Validate()
    {
        if (NumSteps < 0) yield return ("num_steps", "must be ≥ 0");
        if (History < 1) yield return ("history", "must be ≥ 1");
        if (MaxEvaluations < 1) yield return ("max_evaluations", "must be ≥ 1");
        if (!(C1 > 0 && C1 < C2 && C2 < 1)) yield return ("c2", "need 0 < c1 < c2 < 1");
    }
}

/// <summary>
/// Limited-memory BFGS: two-loop recursion with the Shanno–Phua initial scaling, strong-Wolfe line search,
/// a bounded number of evaluations. One trace row per accepted iterate; the line-search evaluations are
/// counted in <c>evaluations</c>.
/// </summary>
/// <param name="options">Options.</param>
public sealed class Lbfgs(LbfgsOptions options) : IOptimizerEngine
{
    /// <inheritdoc/>
    public string Name => "lbfgs";

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, object?> Describe() => new Dictionary<string, object?>
    {
        ["name"] = Name,
        ["num_steps"] = options.NumSteps,
        ["base_lr"] = 1.0,
        ["schedule"] = new Dictionary<string, object?> { ["kind"] = "line_search", ["config"] = new Dictionary<string, object?> { ["c1"] = options.C1, ["c2"] = options.C2, ["max_line_search"] = options.MaxLineSearch } },
        ["history"] = options.History,
        ["max_evaluations"] = options.MaxEvaluations,
        ["ftol"] = options.Ftol,
        ["gtol"] = options.Gtol,
        ["stopping"] = options.Stopping.Describe(),
    };

    /// <inheritdoc/>
    public OptimizationResult Run(OptimizationContext context)
    {
        var objective = context.Objective;
        int d = context.InitialTheta.Length, m = options.History;
        var x = (double[])context.InitialTheta.Clone();
        var g = new double[d];
        var xNew = new double[d];
        var gNew = new double[d];
        var dir = new double[d];
        var sNew = new double[d];
        var yNew = new double[d];
        var s = new double[m][];
        var y = new double[m][];
        for (int i = 0; i < m; i++)
        {
            s[i] = new double[d];
            y[i] = new double[d];
        }
        var rho = new double[m];
        var alphas = new double[m];
        int stored = 0, newest = -1;
        var recorder = new StepRecorder(context, options.NumSteps);
        var monitor = new ConvergenceMonitor(options.Stopping);
        var search = new StrongWolfeLineSearch(options.C1, options.C2, options.MaxLineSearch);

        double f = objective.Evaluate(x, g);
        recorder.Evaluations++;
        if (NonFiniteCheck.Reason(f, g) is { } bad0) return recorder.NonFiniteResult(bad0, 0, f, 0, x, double.NaN);
        double gradNorm = recorder.Record(0, f, x, g, 0, 1.0);
        double stepNorm = 0, alpha = 1;
        int k = 0;
        for (; ; )
        {
            if (Math.Abs(TensorPrimitives.MaxMagnitude(g)) <= options.Gtol)
            {
                return recorder.Finish(RunStatus.Ok, StopReasons.Converged, $"max |g| ≤ gtol = {options.Gtol}", k, x, f, options.Stopping.RestoreBest, Extra(k));
            }
            if (k >= options.NumSteps) return recorder.Finish(RunStatus.Ok, StopReasons.MaxSteps, "", k, x, f, options.Stopping.RestoreBest, Extra(k));
            if (recorder.Evaluations >= options.MaxEvaluations)
            {
                return recorder.Finish(RunStatus.Ok, "max_evaluations", $"evaluation budget of {options.MaxEvaluations} spent", k, x, f, options.Stopping.RestoreBest, Extra(k));
            }
            if (context.Cancellation.IsCancellationRequested) return recorder.Finish(RunStatus.Failed, StopReasons.Cancelled, $"cancelled after {k} iterations", k, x, f);

            TwoLoop(g, dir);
            double alpha0 = stored == 0 ? Math.Min(1.0, 1.0 / TensorPrimitives.Norm(g)) : 1.0;
            var outcome = search.Search(objective, x, f, g, dir, alpha0, xNew, gNew, options.MaxEvaluations - recorder.Evaluations);
            recorder.Evaluations += outcome.Evaluations;
            if (!outcome.Success)
            {
                // Non-finite trials and no step at all: the objective itself has broken down, not the step size.
                if (outcome.SawNonFinite && outcome.Alpha == 0)
                {
                    return recorder.NonFiniteResult(StopReasons.NonFiniteLoss, k + 1, double.NaN, k, x, f);
                }
                if (recorder.Evaluations >= options.MaxEvaluations) continue; // the budget ran out mid-search: stop as max_evaluations
                if (stored > 0)
                {
                    stored = 0; // restart from steepest descent once before giving up
                    continue;
                }
                return recorder.Finish(RunStatus.Ok, "line_search_failed", "no step satisfying the strong Wolfe conditions (typically at the precision limit)", k, x, f, options.Stopping.RestoreBest, Extra(k));
            }
            alpha = outcome.Alpha;
            // The pair is built aside and stored only when kept: with a full history its slot holds the oldest
            // pair, which a skipped pair must not overwrite (its ρ would no longer match its s and y).
            TensorPrimitives.Subtract(xNew, x, sNew);
            TensorPrimitives.Subtract(gNew, g, yNew);
            double sy = TensorPrimitives.Dot(sNew, yNew);
            if (sy > 1e-12 * TensorPrimitives.Dot(yNew, yNew))
            {
                newest = (newest + 1) % m;
                sNew.CopyTo(s[newest], 0);
                yNew.CopyTo(y[newest], 0);
                rho[newest] = 1 / sy;
                stored = Math.Min(stored + 1, m);
            }
            // else: skip a pair that would break positive definiteness
            stepNorm = alpha * TensorPrimitives.Norm(dir);
            double fOld = f;
            xNew.CopyTo(x, 0);
            gNew.CopyTo(g, 0);
            f = outcome.Loss;
            k++;
            gradNorm = recorder.Record(k, f, x, g, stepNorm, alpha);
            if ((fOld - f) / Math.Max(Math.Max(Math.Abs(fOld), Math.Abs(f)), 1) <= options.Ftol)
            {
                return recorder.Finish(RunStatus.Ok, StopReasons.Converged, $"relative reduction ≤ ftol = {options.Ftol}", k, x, f, options.Stopping.RestoreBest, Extra(k));
            }
            if (monitor.ShouldStop(k, f, stepNorm, gradNorm))
            {
                return recorder.Finish(RunStatus.Ok, StopReasons.Converged, $"{monitor.LastTest} below tolerance", k, x, f, options.Stopping.RestoreBest, Extra(k));
            }
        }

        // d = −H g by the two-loop recursion over the stored pairs, newest first.
        void TwoLoop(ReadOnlySpan<double> grad, Span<double> result)
        {
            grad.CopyTo(result);
            for (int i = 0; i < stored; i++)
            {
                int j = (newest - i + m) % m;
                alphas[j] = rho[j] * TensorPrimitives.Dot(s[j], result);
                TensorPrimitives.MultiplyAdd(y[j], -alphas[j], result, result);
            }
            if (stored > 0)
            {
                double gamma = 1 / (rho[newest] * TensorPrimitives.Dot(y[newest], y[newest]));
                TensorPrimitives.Multiply(result, gamma, result);
            }
            for (int i = stored - 1; i >= 0; i--)
            {
                int j = (newest - i + m) % m;
                double beta = rho[j] * TensorPrimitives.Dot(y[j], result);
                TensorPrimitives.MultiplyAdd(s[j], alphas[j] - beta, result, result);
            }
            TensorPrimitives.Negate(result, result);
        }

        IReadOnlyDictionary<string, object?> Extra(int iterations) => new Dictionary<string, object?> { ["iterations"] = iterations };
    }
}
