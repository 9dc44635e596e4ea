using System.Numerics.Tensors;
using DluxShera.Contracts;
using DluxShera.LeastSquares;
using DluxShera.Sdk;
using MathNet.Numerics.LinearAlgebra;

namespace DluxShera.Optimizers;

/// <summary>Options of <c>optimizer:gauss_newton</c> and <c>optimizer:levenberg_marquardt</c>.</summary>
public sealed class ResidualLeastSquaresOptions : IValidatableOptions
{
    /// <summary>Maximum iterations (LM counts rejected trials too).</summary>
    public int NumSteps { get; set; } = 200;

    /// <summary>Initial damping τ: λ₀ = τ · max diag(JᵀWJ) (Levenberg–Marquardt only).</summary>
    public double Lambda0 { get; set; } = 1e-3;

    /// <summary>Stop when max |g| ≤ gtol.</summary>
    public double Gtol { get; set; } = 1e-10;

    /// <summary>Stop when an accepted step reduces the loss by a relative amount ≤ ftol.</summary>
    public double Ftol { get; set; } = 1e-14;

    /// <summary>Stop when ‖δ‖ ≤ xtol (‖θ‖ + xtol).</summary>
    public double Xtol { get; set; } = 1e-14;

    /// <summary>Additional early stopping.</summary>
    public StoppingOptions Stopping { get; set; } = new();

    /// <inheritdoc/>
    public IEnumerable<(string Key, string Message)> Validate()
    {
        if (NumSteps < 0) yield return ("num_steps", "must be ≥ 0");
        if (!(Lambda0 > 0)) yield return ("lambda0", "must be positive");
    }
}

/// <summary>
/// Gauss–Newton (with Armijo backtracking) and Levenberg–Marquardt (Marquardt scaling, Nielsen's damping
/// update) for objectives exposing residuals: the step solves (JᵀWJ + λ diag(JᵀWJ)) δ = −g, with g the
/// objective's own gradient so extra terms such as priors are honoured. J is built from JVP columns or VJP
/// rows, whichever needs fewer products. Rejected LM trials are trace rows with <c>accepted = false</c>.
/// </summary>
/// <param name="levenbergMarquardt">Damped (LM) rather than line-searched (GN).</param>
/// <param name="options">Options.</param>
public sealed class ResidualLeastSquares(bool levenbergMarquardt, ResidualLeastSquaresOptions options) : IOptimizerEngine
{
    /// <inheritdoc/>
    public string Name => levenbergMarquardt ? "levenberg_marquardt" : "gauss_newton";

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, object?> Describe() => new Dictionary<string, object?>
    {
        ["name"] = Name,
        ["num_steps"] = options.NumSteps,
        ["base_lr"] = 1.0,
        ["schedule"] = new Dictionary<string, object?> { ["kind"] = levenbergMarquardt ? "trust_region" : "line_search" },
        ["lambda0"] = levenbergMarquardt ? options.Lambda0 : null,
        ["gtol"] = options.Gtol,
        ["ftol"] = options.Ftol,
        ["xtol"] = options.Xtol,
        ["stopping"] = options.Stopping.Describe(),
    };

    /// <inheritdoc/>
    public OptimizationResult Run(OptimizationContext context)
    {
        if (context.Objective is not IResidualObjective objective)
        {
            throw new NotSupportedException($"{Name} needs an objective exposing residuals (IResidualObjective); '{context.Objective.Name}' does not. Use lbfgs or a first-order engine.");
        }
        int d = context.InitialTheta.Length;
        var x = (double[])context.InitialTheta.Clone();
        var g = new double[d];
        var trial = new double[d];
        var gTrial = new double[d];
        var delta = new double[d];
        var recorder = new StepRecorder(context, options.NumSteps);
        var monitor = new ConvergenceMonitor(options.Stopping);

        double f = objective.Evaluate(x, g);
        recorder.Evaluations++;
        if (NonFiniteCheck.Reason(f, g) is { } bad0) return recorder.NonFiniteResult(bad0, 0, f, 0, x, double.NaN);
        double gradNorm = recorder.Record(0, f, x, g, 0, 1.0);
        double lambda = double.NaN, nu = 2;
        int accepted = 0, rejected = 0;
        var normal = Matrix<double>.Build.Dense(d, d);
        bool haveNormal = false;
        for (int k = 0; ; )
        {
            if (Math.Abs(TensorPrimitives.MaxMagnitude(g)) <= options.Gtol) return Done(StopReasons.Converged, $"max |g| ≤ gtol = {options.Gtol}", k);
            if (k >= options.NumSteps) return Done(StopReasons.MaxSteps, "", k);
            if (context.Cancellation.IsCancellationRequested) return recorder.Finish(RunStatus.Failed, StopReasons.Cancelled, $"cancelled after {k} iterations", k, x, f);

            if (!haveNormal)
            {
                var entries = ResidualJacobian.At(objective, x).Normal();
                // A NaN in JᵀWJ would make every damped solve NaN (and with a NaN diagonal the ridge search never
                // ended): the residual model has broken down where the loss has not, so stop as for a NaN gradient.
                if (!entries.All(double.IsFinite))
                {
                    return recorder.Finish(RunStatus.Failed, StopReasons.NonFiniteGradient,
                        $"step {k}: JᵀWJ from the objective's Jacobian products has a non-finite entry; the last finite point (step {k}) is kept", k, x, f);
                }
                normal = Matrix<double>.Build.DenseOfRowMajor(d, d, entries);
                haveNormal = true;
            }
            if (double.IsNaN(lambda)) lambda = options.Lambda0 * Enumerable.Range(0, d).Max(i => normal[i, i]);
            Solve(normal, levenbergMarquardt ? lambda : 0.0, g, delta);
            double predicted = -(TensorPrimitives.Dot(g, delta) + 0.5 * Quadratic(normal, delta)); // model decrease

            double alpha = 1, fTrial = double.NaN;
            if (levenbergMarquardt)
            {
                TensorPrimitives.Add(x, delta, trial);
                fTrial = objective.Evaluate(trial, gTrial);
                recorder.Evaluations++;
            }
            else
            {
                double slope = TensorPrimitives.Dot(g, delta);
                for (; alpha > 1e-12; alpha *= 0.5)
                {
                    TensorPrimitives.MultiplyAdd(delta, alpha, x, trial);
                    fTrial = objective.Evaluate(trial, gTrial);
                    recorder.Evaluations++;
                    if (double.IsFinite(fTrial) && fTrial <= f + 1e-4 * alpha * slope) break;
                }
            }
            k++;
            bool ok = double.IsFinite(fTrial) && NonFiniteCheck.Reason(fTrial, gTrial) is null && fTrial < f
                && (!levenbergMarquardt || (f - fTrial) / Math.Max(predicted, double.Epsilon) > 0);
            if (!ok)
            {
                rejected++;
                if (!levenbergMarquardt) return Done("line_search_failed", "no Gauss–Newton step decreased the loss", k - 1);
                lambda *= nu;
                nu *= 2;
                recorder.Record(k, f, x, g, 0, lambda, accepted: false);
                continue;
            }
            accepted++;
            if (levenbergMarquardt)
            {
                double rhoRatio = (f - fTrial) / predicted;
                lambda *= Math.Max(1.0 / 3, 1 - Math.Pow(2 * rhoRatio - 1, 3));
                nu = 2;
            }
            double stepNorm = alpha * TensorPrimitives.Norm(delta);
            double fOld = f;
            trial.CopyTo(x, 0);
            gTrial.CopyTo(g, 0);
            f = fTrial;
            haveNormal = false;
            gradNorm = recorder.Record(k, f, x, g, stepNorm, levenbergMarquardt ? lambda : alpha);
            if ((fOld - f) / Math.Max(Math.Max(Math.Abs(fOld), Math.Abs(f)), 1e-300) <= options.Ftol) return Done(StopReasons.Converged, $"relative reduction ≤ ftol = {options.Ftol}", k);
            if (stepNorm <= options.Xtol * (TensorPrimitives.Norm(x) + options.Xtol)) return Done(StopReasons.Converged, $"step ≤ xtol = {options.Xtol}", k);
            if (monitor.ShouldStop(k, f, stepNorm, gradNorm)) return Done(StopReasons.Converged, $"{monitor.LastTest} below tolerance", k);
        }

        OptimizationResult Done(string reason, string message, int k) => recorder.Finish(RunStatus.Ok, reason, message, k, x, f, options.Stopping.RestoreBest,
            new Dictionary<string, object?> { ["accepted_steps"] = accepted, ["rejected_steps"] = rejected, ["final_lambda"] = levenbergMarquardt ? lambda : null });
    }

    private static double Quadratic(Matrix<double> a, double[] v)
    {
        double s = 0;
        for (int i = 0; i < v.Length; i++)
        {
            for (int j = 0; j < v.Length; j++) s += v[i] * a[i, j] * v[j];
        }
        return s;
    }

    // Solves (A + λ diag(A)) δ = −g by Cholesky, adding a growing ridge when A is singular.
    private static void Solve(Matrix<double> a, double lambda, double[] g, double[] delta)
    {
        int d = g.Length;
        double scale = Math.Max(Enumerable.Range(0, d).Max(i => a[i, i]), 1e-300);
        var rhs = Vector<double>.Build.Dense(d, i => -g[i]);
        for (double ridge = 0; ; ridge = ridge == 0 ? 1e-12 * scale : ridge * 100)
        {
            var m = a.Clone();
            for (int i = 0; i < d; i++) m[i, i] += lambda * Math.Max(a[i, i], 1e-12 * scale) + ridge;
            try
            {
                var solution = m.Cholesky().Solve(rhs);
                if (solution.All(double.IsFinite))
                {
                    for (int i = 0; i < d; i++) delta[i] = solution[i];
                    return;
                }
            }
            catch (ArgumentException)
            {
                // not positive definite: raise the ridge
            }
            if (ridge > 1e6 * scale)
            {
                TensorPrimitives.Negate(g, delta);
                TensorPrimitives.Divide(delta, scale, delta);
                return;
            }
        }
    }
}
