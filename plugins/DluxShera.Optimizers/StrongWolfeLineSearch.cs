using System.Numerics.Tensors;
using DluxShera.Contracts;
using DluxShera.Sdk;

namespace DluxShera.Optimizers;

/// <summary>
/// A line search for the strong Wolfe conditions (Nocedal &amp; Wright, Algorithms 3.5 and 3.6): bracket,
/// then zoom with safeguarded cubic interpolation. Non-finite trial values count as "too far".
/// </summary>
public sealed class StrongWolfeLineSearch(double c1, double c2, int maxEvaluations)
{
    /// <summary>The outcome of a search.</summary>
    /// <param name="Success">Whether a point satisfying the conditions was found.</param>
    /// <param name="Alpha">The accepted step length.</param>
    /// <param name="Loss">loss at the accepted point.</param>
    /// <param name="Evaluations">Objective evaluations spent.</param>
    /// <param name="SawNonFinite">Whether a trial point gave a non-finite loss or gradient.</param>
    public readonly record struct Outcome(bool Success, double Alpha, double Loss, int Evaluations, bool SawNonFinite = false);

    /// <summary>Searches along <paramref name="direction"/> from <paramref name="theta"/>.</summary>
    /// <param name="objective">The objective.</param>
    /// <param name="theta">Start θ (not modified).</param>
    /// <param name="loss0">loss(θ).</param>
    /// <param name="gradient0">∇loss(θ).</param>
    /// <param name="direction">A descent direction.</param>
    /// <param name="alpha0">Initial trial step.</param>
    /// <param name="trial">Work buffer; on success holds θ + α d.</param>
    /// <param name="trialGradient">Work buffer; on success holds ∇loss(θ + α d).</param>
    /// <param name="evaluationBudget">What is left of the caller's evaluation budget: the search never spends more.</param>
    public Outcome Search(IObjective objective, double[] theta, double loss0, double[] gradient0,
        double[] direction, double alpha0, double[] trial, double[] trialGradient, int evaluationBudget = int.MaxValue)
    {
        int limit = Math.Min(maxEvaluations, evaluationBudget);
        double dphi0 = TensorPrimitives.Dot(gradient0, direction);
        int evaluations = 0;
        bool sawNonFinite = false;
        double alphaPrev = 0, phiPrev = loss0, dphiPrev = dphi0;
        double alpha = alpha0;
        double alphaMax = 1e10;
        // θ and ∇ at the low end of the bracket: when the evaluations run out the search accepts that point
        // from these copies instead of evaluating it again (which would spend one more than the budget).
        var loTheta = new double[theta.Length];
        var loGradient = new double[theta.Length];

        void KeepLow()
        {
            trial.CopyTo(loTheta, 0);
            trialGradient.CopyTo(loGradient, 0);
        }

        (double Phi, double Dphi) Eval(double a)
        {
            TensorPrimitives.MultiplyAdd(direction, a, theta, trial);
            double f = objective.Evaluate(trial, trialGradient);
            evaluations++;
            if (NonFiniteCheck.Reason(f, trialGradient) is not null) sawNonFinite = true;
            return (f, TensorPrimitives.Dot(trialGradient, direction));
        }

        for (int i = 0; evaluations < limit; i++)
        {
            var (phi, dphi) = Eval(alpha);
            if (!double.IsFinite(phi) || NonFiniteCheck.Reason(phi, trialGradient) is not null || phi > loss0 + c1 * alpha * dphi0 || (i > 0 && phi >= phiPrev))
            {
                return Zoom(alphaPrev, phiPrev, dphiPrev, alpha, phi, dphi);
            }
            if (Math.Abs(dphi) <= -c2 * dphi0) return new Outcome(true, alpha, phi, evaluations, sawNonFinite);
            if (dphi >= 0)
            {
                KeepLow();
                return Zoom(alpha, phi, dphi, alphaPrev, phiPrev, dphiPrev);
            }
            KeepLow();
            alphaPrev = alpha;
            phiPrev = phi;
            dphiPrev = dphi;
            alpha = Math.Min(2 * alpha, alphaMax);
        }
        return new Outcome(false, 0, loss0, evaluations, sawNonFinite);

        Outcome Zoom(double lo, double phiLo, double dphiLo, double hi, double phiHi, double dphiHi)
        {
            while (evaluations < limit)
            {
                double a = CubicMinimizer(lo, phiLo, dphiLo, hi, phiHi, dphiHi);
                var (phi, dphi) = Eval(a);
                bool bad = !double.IsFinite(phi) || NonFiniteCheck.Reason(phi, trialGradient) is not null;
                if (bad || phi > loss0 + c1 * a * dphi0 || phi >= phiLo)
                {
                    hi = a;
                    phiHi = bad ? double.PositiveInfinity : phi;
                    dphiHi = bad ? double.NaN : dphi;
                }
                else
                {
                    if (Math.Abs(dphi) <= -c2 * dphi0) return new Outcome(true, a, phi, evaluations, sawNonFinite);
                    if (dphi * (hi - lo) >= 0)
                    {
                        hi = lo;
                        phiHi = phiLo;
                        dphiHi = dphiLo;
                    }
                    lo = a;
                    phiLo = phi;
                    dphiLo = dphi;
                    KeepLow();
                }
                if (Math.Abs(hi - lo) <= 1e-16 * Math.Max(1, Math.Abs(lo))) break;
            }
            // Out of evaluations: accept the best sufficient-decrease point if there is one.
            if (lo > 0 && phiLo < loss0)
            {
                loTheta.CopyTo(trial, 0);
                loGradient.CopyTo(trialGradient, 0);
                return new Outcome(true, lo, phiLo, evaluations, sawNonFinite);
            }
            return new Outcome(false, 0, loss0, evaluations, sawNonFinite);
        }
    }

    // Minimiser of the cubic through (a, fa, ga) and (b, fb, gb), kept inside the middle 80 % of [a, b];
    // bisection when the cubic is unusable (non-finite values, no real minimiser).
    internal static double CubicMinimizer(double a, double fa, double ga, double b, double fb, double gb)
    {
        double lo = Math.Min(a, b), hi = Math.Max(a, b), width = hi - lo;
        double mid = 0.5 * (a + b);
        if (!double.IsFinite(fb) || !double.IsFinite(gb) || !double.IsFinite(ga)) return mid;
        double d1 = ga + gb - 3 * (fa - fb) / (a - b);
        double disc = d1 * d1 - ga * gb;
        if (disc < 0) return mid;
        double d2 = Math.Sign(b - a) * Math.Sqrt(disc);
        double x = b - (b - a) * (gb + d2 - d1) / (gb - ga + 2 * d2);
        if (!double.IsFinite(x) || x < lo + 0.1 * width || x > hi - 0.1 * width) return mid;
        return x;
    }
}
