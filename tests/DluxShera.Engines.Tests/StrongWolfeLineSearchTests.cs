using DluxShera.Optimizers;
using Xunit;

namespace DluxShera.Tests;

/// <summary>
/// The line search on its own (Nocedal &amp; Wright, Algorithms 3.5 and 3.6): the strong Wolfe conditions checked
/// directly on every accepted step, hand-traced searches on ½(1 − α)², and the cubic step against the
/// minimisers of cubics and quadratics worked out by hand.
/// </summary>
public class StrongWolfeLineSearchTests
{
    // f(x) = ½x² from x = 1 along d = −1: φ(α) = ½(1 − α)², φ'(α) = α − 1, φ(0) = ½, φ'(0) = −1.
    private static FunctionObjective HalfSquare() => OneDimensional.HalfSquare();

    private static (StrongWolfeLineSearch.Outcome Outcome, double[] Trial, double[] TrialGradient) Search(
        FunctionObjective f, double[] theta, double[] direction, double alpha0, double c1, double c2, int maxEvaluations = 20, int budget = int.MaxValue)
    {
        var g0 = f.Gradient(theta);
        double f0 = f.Loss(theta);
        var trial = new double[theta.Length];
        var trialGradient = new double[theta.Length];
        var outcome = new StrongWolfeLineSearch(c1, c2, maxEvaluations).Search(f, theta, f0, g0, direction, alpha0, trial, trialGradient, budget);
        return (outcome, trial, trialGradient);
    }

    private static double Dot(double[] a, double[] b) => a.Select((ai, i) => ai * b[i]).Sum();

    /// <summary>Asserts what a successful search promises: θ + αd in the buffer, its loss and gradient, and both Wolfe conditions.</summary>
    private static void AssertStrongWolfe(FunctionObjective f, double[] theta, double[] d, double c1, double c2,
        (StrongWolfeLineSearch.Outcome Outcome, double[] Trial, double[] TrialGradient) r)
    {
        Assert.True(r.Outcome.Success, $"no step found (α = {r.Outcome.Alpha}, {r.Outcome.Evaluations} evaluations)");
        double a = r.Outcome.Alpha;
        var x = theta.Select((t, i) => t + a * d[i]).ToArray();
        Assert.Equal(x, r.Trial, new RelativeEquality(1e-14));
        var g = f.Gradient(x);
        Assert.Equal(g, r.TrialGradient, new RelativeEquality(1e-14));
        double phi = f.Loss(x), phi0 = f.Loss(theta), dphi0 = Dot(f.Gradient(theta), d);
        Assert.Equal(phi, r.Outcome.Loss, 1e-14 * Math.Max(1, Math.Abs(phi)));
        Assert.True(a > 0, $"α = {a}");
        Assert.True(phi <= phi0 + c1 * a * dphi0, $"sufficient decrease fails at α = {a}: φ = {phi}, bound {phi0 + c1 * a * dphi0}");
        Assert.True(Math.Abs(Dot(g, d)) <= c2 * Math.Abs(dphi0), $"curvature fails at α = {a}: |φ'| = {Math.Abs(Dot(g, d))}, bound {c2 * Math.Abs(dphi0)}");
        Assert.Equal(f.Calls, r.Outcome.Evaluations);
    }

    [Fact]
    public void Expands_by_doubling_until_the_curvature_condition_holds()
    {
        // c2 = 0.5 needs |α − 1| ≤ 0.5: 0.1, 0.2, 0.4 have φ' = −0.9, −0.8, −0.6 (too steep, still descending), 0.8 has −0.2.
        var f = HalfSquare();
        var r = Search(f, [1.0], [-1.0], 0.1, 1e-4, 0.5);
        AssertStrongWolfe(f, [1.0], [-1.0], 1e-4, 0.5, r);
        Assert.Equal(0.8, r.Outcome.Alpha, 1e-15);
        Assert.Equal(4, r.Outcome.Evaluations);
        Assert.Equal(0.02, r.Outcome.Loss, 1e-15);
    }

    [Fact]
    public void A_step_past_the_minimum_is_zoomed_back_by_the_cubic_step()
    {
        // φ(3) = 2 > φ(0): bracket [0, 3]; the cubic through (0, ½, −1) and (3, 2, 2) is the parabola itself, minimum at 1.
        var f = HalfSquare();
        var r = Search(f, [1.0], [-1.0], 3.0, 1e-4, 0.9);
        AssertStrongWolfe(f, [1.0], [-1.0], 1e-4, 0.9, r);
        Assert.Equal(1.0, r.Outcome.Alpha, 1e-14);
        Assert.Equal(2, r.Outcome.Evaluations);
    }

    [Fact]
    public void Sufficient_decrease_is_checked_with_c1_not_only_a_lower_loss()
    {
        // α = 1.8 lowers φ to 0.32 and meets the curvature condition (|0.8| ≤ 0.9), but with c1 = 0.4 the bound is
        // ½ − 0.4·1.8 = −0.22: it must be rejected, and the zoom lands on the minimum.
        var f = HalfSquare();
        var r = Search(f, [1.0], [-1.0], 1.8, 0.4, 0.9);
        AssertStrongWolfe(f, [1.0], [-1.0], 0.4, 0.9, r);
        Assert.Equal(1.0, r.Outcome.Alpha, 1e-14);
        Assert.Equal(2, r.Outcome.Evaluations);
    }

    [Fact]
    public void An_ascending_slope_at_the_first_trial_zooms_between_it_and_the_start()
    {
        // α = 1.9: sufficient decrease holds (0.405 ≤ ½ − 1.9e-4) but φ' = 0.9 > 0.1: zoom(lo = 1.9, hi = 0), minimum 1.
        var f = HalfSquare();
        var r = Search(f, [1.0], [-1.0], 1.9, 1e-4, 0.1);
        AssertStrongWolfe(f, [1.0], [-1.0], 1e-4, 0.1, r);
        Assert.Equal(1.0, r.Outcome.Alpha, 1e-14);
        Assert.Equal(2, r.Outcome.Evaluations);
    }

    [Fact]
    public void A_higher_loss_after_a_descending_step_closes_the_bracket_there()
    {
        // φ'(α) = (α − 0.6)(α − 1)(α − 3): a local minimum at 0.6, a bump up to α = 1, the global minimum at 3.
        // From α₀ = 0.55 (φ' = −0.055, too steep for c2 = 0.01) the next trial 1.1 is still descending (φ' = −0.095)
        // but higher than φ(0.55): Algorithm 3.5 zooms in [0.55, 1.1] and must not walk on to the far minimum.
        var f = new FunctionObjective(1, (x, g) =>
        {
            double a = x[0];
            g[0] = (a - 0.6) * (a - 1) * (a - 3);
            return a * a * a * a / 4 - 4.6 * a * a * a / 3 + 2.7 * a * a - 1.8 * a;
        });
        var r = Search(f, [0.0], [1.0], 0.55, 1e-4, 0.01);
        AssertStrongWolfe(f, [0.0], [1.0], 1e-4, 0.01, r);
        Assert.InRange(r.Outcome.Alpha, 0.55, 1.0);
    }

    [Theory]
    [InlineData(0.01)] [InlineData(0.3)] [InlineData(1.0)] [InlineData(2.5)] [InlineData(7.0)] [InlineData(40.0)]
    public void Every_accepted_step_meets_both_strong_wolfe_conditions_on_rosenbrock(double alpha0)
    {
        // Rosenbrock from (−1.2, 1) along −∇f: the cubic is never exact, so the zoom iterates.
        double[] theta = [-1.2, 1.0];
        var grad = new FunctionObjective(2, Rosenbrock).Gradient(theta);
        var d = grad.Select(v => -v / Math.Sqrt(Dot(grad, grad))).ToArray();
        foreach (var (c1, c2) in new[] { (1e-4, 0.9), (1e-4, 0.1), (0.3, 0.4) })
        {
            var f = new FunctionObjective(2, Rosenbrock);
            var r = Search(f, theta, d, alpha0, c1, c2, maxEvaluations: 40);
            AssertStrongWolfe(f, theta, d, c1, c2, r);
        }
    }

    private static double Rosenbrock(double[] x, double[] g)
    {
        double a = 1 - x[0], b = x[1] - x[0] * x[0];
        g[0] = -2 * a - 400 * x[0] * b;
        g[1] = 200 * b;
        return a * a + 100 * b * b;
    }

    // f(x) = eˣ + e^{−3x}: convex, far from quadratic, minimum at ln 3 / 4.
    private static double SteepExponential(double[] x, double[] g)
    {
        g[0] = Math.Exp(x[0]) - 3 * Math.Exp(-3 * x[0]);
        return Math.Exp(x[0]) + Math.Exp(-3 * x[0]);
    }

    [Theory]
    [InlineData(0.02)] [InlineData(0.5)] [InlineData(3.0)]
    public void Every_accepted_step_meets_both_strong_wolfe_conditions_on_a_steep_exponential(double alpha0)
    {
        foreach (double c2 in new[] { 0.9, 0.1, 0.01 })
        {
            var f = new FunctionObjective(1, SteepExponential);
            var r = Search(f, [1.0], [-1.0], alpha0, 1e-4, c2, maxEvaluations: 40);
            AssertStrongWolfe(f, [1.0], [-1.0], 1e-4, c2, r);
        }
    }

    [Fact]
    public void A_non_finite_loss_counts_as_too_far()
    {
        // φ is NaN beyond α = 2: the trial 4 is too far, the bisection of [0, 4] gives 2 (φ = ½, no decrease),
        // then the parabola through α = 0 and α = 2 gives 1.
        var f = OneDimensional.HalfSquare(undefined: x => x < -1);
        var r = Search(f, [1.0], [-1.0], 4.0, 1e-4, 0.9);
        AssertStrongWolfe(f, [1.0], [-1.0], 1e-4, 0.9, r);
        Assert.Equal(1.0, r.Outcome.Alpha, 1e-14);
        Assert.Equal(3, r.Outcome.Evaluations);
        Assert.True(r.Outcome.SawNonFinite);
    }

    [Fact]
    public void A_non_finite_gradient_with_a_finite_loss_counts_as_too_far()
    {
        // At α = 1.6 the loss 0.18 would pass sufficient decrease, but the gradient is NaN: the search must treat it as too
        // far (bisect [0, 1.6] → 0.8, φ' = −0.2, accepted), not take NaN for a slope.
        var f = new FunctionObjective(1, (x, g) =>
        {
            g[0] = x[0] < -0.5 ? double.NaN : x[0];
            return 0.5 * x[0] * x[0];
        });
        var r = Search(f, [1.0], [-1.0], 1.6, 1e-4, 0.9);
        AssertStrongWolfe(f, [1.0], [-1.0], 1e-4, 0.9, r);
        Assert.Equal(0.8, r.Outcome.Alpha, 1e-14);
        Assert.Equal(2, r.Outcome.Evaluations);
        Assert.True(r.Outcome.SawNonFinite);
    }

    [Fact]
    public void A_non_finite_trial_inside_the_zoom_shrinks_the_bracket_by_bisection()
    {
        // φ'(α) = α − 1 but everything in (0.9, 1.2) is NaN: α₀ = 2 gives φ = ½ (no decrease), the parabola through
        // α = 0 and 2 proposes 1 (NaN), so the bracket becomes [0, 1] with φ(1) unusable and the next trial is its
        // midpoint 0.5 (φ' = −0.5, accepted with c2 = 0.9).
        var f = new FunctionObjective(1, (x, g) =>
        {
            double a = 1 - x[0];
            bool hole = a > 0.9 && a < 1.2;
            g[0] = x[0];
            return hole ? double.NaN : 0.5 * x[0] * x[0];
        });
        var r = Search(f, [1.0], [-1.0], 2.0, 1e-4, 0.9);
        AssertStrongWolfe(f, [1.0], [-1.0], 1e-4, 0.9, r);
        Assert.Equal(0.5, r.Outcome.Alpha, 1e-14);
        Assert.Equal(3, r.Outcome.Evaluations);
        Assert.True(r.Outcome.SawNonFinite);
    }

    [Fact]
    public void Out_of_evaluations_inside_the_zoom_it_accepts_the_low_end_without_spending_more()
    {
        // c2 = 0.01 and two evaluations: 0.7 (φ' = −0.3, descending), 1.4 (φ = 0.08 ≥ φ(0.7) = 0.045) closes the
        // bracket [0.7, 1.4] with nothing left; 0.7 has sufficient decrease, so it is returned with its own loss and
        // gradient, and no third evaluation is made.
        var f = HalfSquare();
        var r = Search(f, [1.0], [-1.0], 0.7, 1e-4, 0.01, maxEvaluations: 2);
        Assert.True(r.Outcome.Success);
        Assert.Equal(0.7, r.Outcome.Alpha, 1e-15);
        Assert.Equal(0.045, r.Outcome.Loss, 1e-15);
        Assert.Equal(2, r.Outcome.Evaluations);
        Assert.Equal(2, f.Calls);
        Assert.Equal(0.3, r.Trial[0], 1e-15);
        Assert.Equal(0.3, r.TrialGradient[0], 1e-15);
    }

    [Fact]
    public void The_callers_budget_caps_the_search_below_its_own_limit()
    {
        var f = HalfSquare();
        var r = Search(f, [1.0], [-1.0], 1e-3, 1e-4, 0.1, maxEvaluations: 20, budget: 3);
        Assert.False(r.Outcome.Success);
        Assert.Equal(3, r.Outcome.Evaluations);
        Assert.Equal(3, f.Calls);
        Assert.Equal(0.0, r.Outcome.Alpha);
        Assert.Equal(0.5, r.Outcome.Loss);
    }

    [Fact]
    public void A_direction_along_which_the_loss_only_falls_fails_after_the_evaluation_limit()
    {
        // f(x) = −x along +1: φ' = −1 everywhere, so no step meets the curvature condition.
        var f = new FunctionObjective(1, (x, g) =>
        {
            g[0] = -1;
            return -x[0];
        });
        var r = Search(f, [0.0], [1.0], 1.0, 1e-4, 0.9, maxEvaluations: 6);
        Assert.False(r.Outcome.Success);
        Assert.Equal(6, r.Outcome.Evaluations);
        Assert.Equal(6, f.Calls);
        Assert.Equal(32.0, r.Trial[0]); // the last trial: 1, 2, 4, 8, 16, 32
        Assert.False(r.Outcome.SawNonFinite);
    }

    [Fact]
    public void Both_conditions_are_inclusive_at_their_bounds()
    {
        // N&W (3.7): φ(α) ≤ φ(0) + c1 α φ'(0) and |φ'(α)| ≤ c2 |φ'(0)|, with equality allowed.
        // ½(1 − α)², c1 = ½, α = 1: φ = 0 = ½ − ½·1 exactly.
        var f = HalfSquare();
        var r = Search(f, [1.0], [-1.0], 1.0, 0.5, 0.9);
        Assert.Equal(1.0, r.Outcome.Alpha);
        Assert.Equal(1, r.Outcome.Evaluations);
        // ½x² from x = 2 along d = −2: φ'(α) = −2(2 − 2α), φ'(0) = −4; c2 = ½ is met with equality at α = ½ (φ' = −2).
        var g = HalfSquare();
        var r2 = Search(g, [2.0], [-2.0], 0.5, 1e-4, 0.5);
        Assert.Equal(0.5, r2.Outcome.Alpha);
        Assert.Equal(1, r2.Outcome.Evaluations);
    }

    [Fact]
    public void Both_conditions_are_inclusive_inside_the_zoom_too()
    {
        // NaN beyond x < 0.2 makes α₀ = 1 unusable; the bisection gives ½ where φ' = −2 meets c2 = ½ exactly (from x = 2, d = −2).
        var f = OneDimensional.HalfSquare(undefined: x => x < 0.2);
        var r = Search(f, [2.0], [-2.0], 1.0, 1e-4, 0.5);
        Assert.Equal(0.5, r.Outcome.Alpha);
        Assert.Equal(2, r.Outcome.Evaluations);
        // From x = 1, d = −1 with NaN below x = −0.5: α₀ = 2 is unusable, its midpoint 1 meets c1 = ½ with equality (φ = 0).
        var h = OneDimensional.HalfSquare(undefined: x => x < -0.5);
        var r2 = Search(h, [1.0], [-1.0], 2.0, 0.5, 0.9);
        Assert.Equal(1.0, r2.Outcome.Alpha);
        Assert.Equal(2, r2.Outcome.Evaluations);
    }

    [Fact]
    public void A_too_far_zoom_trial_with_a_finite_loss_becomes_the_new_upper_end_of_the_cubic()
    {
        // α₀ = 3 is NaN (x ≤ −1.5); bisection → 1.5: φ = 0.125 fails c1 = 0.4 (bound −0.1), so [0, 1.5] with φ(1.5) = 0.125 and
        // φ'(1.5) = 0.5: the parabola through both ends has its minimum at 1 (φ = 0).
        var f = OneDimensional.HalfSquare(undefined: x => x <= -1.5);
        var r = Search(f, [1.0], [-1.0], 3.0, 0.4, 0.9);
        Assert.Equal(1.0, r.Outcome.Alpha, 1e-14);
        Assert.Equal(3, r.Outcome.Evaluations);
    }

    [Fact]
    public void A_zoom_trial_with_a_finite_loss_but_a_non_finite_gradient_is_too_far()
    {
        // α₀ = 1.6 NaN (α ≥ 1.5); the midpoint 0.8 has φ = 0.02 but a NaN gradient (x in (0.1, 0.3)): it must close the bracket
        // from above, not become its low end, so the next midpoint is 0.4 (φ' = −0.6, accepted).
        var f = new FunctionObjective(1, (x, g) =>
        {
            g[0] = x[0] > 0.1 && x[0] < 0.3 ? double.NaN : x[0];
            return x[0] <= -0.5 ? double.NaN : 0.5 * x[0] * x[0];
        });
        var r = Search(f, [1.0], [-1.0], 1.6, 1e-4, 0.9);
        Assert.Equal(0.4, r.Outcome.Alpha, 1e-15);
        Assert.Equal(3, r.Outcome.Evaluations);
        Assert.Equal(0.6, r.TrialGradient[0], 1e-15);
    }

    [Theory]
    [InlineData(1.4, 0.1, 1, 1.4)]  // the first trial ascends (φ' = 0.4): zoom(lo = 1.4) with nothing left
    [InlineData(1.6, 0.01, 2, 0.8)] // NaN at 1.6, the midpoint 0.8 becomes the low end, then nothing left
    public void Out_of_evaluations_the_low_end_is_returned_with_its_own_point_and_gradient(double alpha0, double c2, int limit, double expected)
    {
        var f = OneDimensional.HalfSquare(undefined: x => x <= -0.5);
        var r = Search(f, [1.0], [-1.0], alpha0, 1e-4, c2, maxEvaluations: limit);
        Assert.True(r.Outcome.Success);
        Assert.Equal(expected, r.Outcome.Alpha, 1e-15);
        Assert.Equal(limit, r.Outcome.Evaluations);
        Assert.Equal(1 - expected, r.Trial[0], 1e-15);
        Assert.Equal(1 - expected, r.TrialGradient[0], 1e-15);
        Assert.Equal(0.5 * (1 - expected) * (1 - expected), r.Outcome.Loss, 1e-15);
    }

    [Fact]
    public void A_bracket_that_collapses_onto_a_wall_stops_the_zoom_before_the_evaluation_limit()
    {
        // ½(1 − α)² up to a wall at α = ½ (x ≤ ½: the loss jumps to 1 and is flat). Every point below the wall still descends
        // too steeply for c2 = 0.1 (φ' ≤ −½), so the bracket shrinks onto the wall until its width is at the precision
        // limit; then the zoom stops and the last low end (just below ½) is accepted long before 200 evaluations.
        var f = new FunctionObjective(1, (x, g) =>
        {
            bool wall = x[0] <= 0.5;
            g[0] = wall ? 0 : x[0];
            return wall ? 1.0 : 0.5 * x[0] * x[0];
        });
        var r = Search(f, [1.0], [-1.0], 0.9, 1e-4, 0.1, maxEvaluations: 200);
        Assert.True(r.Outcome.Success);
        Assert.InRange(r.Outcome.Alpha, 0.5 - 1e-12, 0.5);
        Assert.InRange(r.Outcome.Evaluations, 2, 120);
        Assert.Equal(f.Calls, r.Outcome.Evaluations);
    }

    // The cubic step: the minimiser of the cubic interpolating (a, fa, ga) and (b, fb, gb), worked out by hand.
    [Theory]
    // φ = α³ − 3α: (0, 0, −3), (2, 2, 9); φ' = 3α² − 3 vanishes at 1 (the cubic is exact).
    [InlineData(0.0, 0.0, -3.0, 2.0, 2.0, 9.0, 1.0)]
    [InlineData(2.0, 2.0, 9.0, 0.0, 0.0, -3.0, 1.0)]
    // φ = (α − 0.7)²: a parabola is a cubic with no cubic term.
    [InlineData(0.0, 0.49, -1.4, 1.0, 0.09, 0.6, 0.7)]
    [InlineData(1.0, 0.09, 0.6, 0.0, 0.49, -1.4, 0.7)]
    // φ = (α − 2.3)² on [2, 4]: 2.3 lies inside the middle 80 % ([2.2, 3.8]).
    [InlineData(2.0, 0.09, -0.6, 4.0, 2.89, 3.4, 2.3)]
    [InlineData(4.0, 2.89, 3.4, 2.0, 0.09, -0.6, 2.3)]
    // φ = (α − 3.7)² on [2, 4].
    [InlineData(2.0, 2.89, -3.4, 4.0, 0.09, 0.6, 3.7)]
    // φ = α³ − 6α² + 9α on [2, 5]: φ' = 3(α − 1)(α − 3), the local minimum is at 3.
    [InlineData(2.0, 2.0, -3.0, 5.0, 20.0, 24.0, 3.0)]
    [InlineData(5.0, 20.0, 24.0, 2.0, 2.0, -3.0, 3.0)]
    // φ = (α − 2)³ on [0, 5]: a double root of φ' (discriminant exactly 0), the stationary point 2.
    [InlineData(0.0, -8.0, 12.0, 5.0, 27.0, 27.0, 2.0)]
    // Minima exactly on the edges of the middle 80 % of [0, 10] (1 and 9) are kept: (α − 1)², (α − 9)².
    [InlineData(0.0, 1.0, -2.0, 10.0, 81.0, 18.0, 1.0)]
    [InlineData(0.0, 81.0, -18.0, 10.0, 1.0, 2.0, 9.0)]
    public void The_cubic_step_is_the_minimiser_of_the_interpolating_cubic(double a, double fa, double ga, double b, double fb, double gb, double expected)
    {
        Assert.Equal(expected, StrongWolfeLineSearch.CubicMinimizer(a, fa, ga, b, fb, gb), 1e-12);
    }

    [Theory]
    // Minimum outside the middle 80 %: (α − 0.05)² and (α − 0.95)² on [0, 1]; (α − 2.1)² and (α − 3.9)² on [2, 4].
    [InlineData(0.0, 0.0025, -0.1, 1.0, 0.9025, 1.9, 0.5)]
    [InlineData(1.0, 0.9025, 1.9, 0.0, 0.0025, -0.1, 0.5)]
    [InlineData(0.0, 0.9025, -1.9, 1.0, 0.0025, 0.1, 0.5)]
    [InlineData(2.0, 0.01, -0.2, 4.0, 3.61, 3.8, 3.0)]
    [InlineData(2.0, 3.61, -3.8, 4.0, 0.01, 0.2, 3.0)]
    // No real minimiser: through (0, 0, 2) and (1, 1.5, 2) the cubic is α³ − 1.5α² + 2α, φ' = 3α² − 3α + 2 > 0.
    [InlineData(0.0, 0.0, 2.0, 1.0, 1.5, 2.0, 0.5)]
    // Unusable values: bisection.
    [InlineData(0.0, 0.5, -1.0, 3.0, double.PositiveInfinity, 2.0, 1.5)]
    [InlineData(0.0, 0.5, -1.0, 3.0, double.NaN, 2.0, 1.5)]
    [InlineData(0.0, 0.5, -1.0, 3.0, 2.0, double.NaN, 1.5)]
    [InlineData(0.0, 0.5, double.NaN, 3.0, 2.0, 2.0, 1.5)]
    [InlineData(3.0, 2.0, 2.0, 0.0, 0.5, double.NaN, 1.5)]
    public void The_cubic_step_falls_back_to_bisection_when_the_cubic_is_unusable_or_its_minimum_is_near_an_end(double a, double fa, double ga, double b, double fb, double gb, double expected)
    {
        Assert.Equal(expected, StrongWolfeLineSearch.CubicMinimizer(a, fa, ga, b, fb, gb), 1e-15);
    }

    private sealed class RelativeEquality(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance * Math.Max(1, Math.Max(Math.Abs(x), Math.Abs(y)));
        public int GetHashCode(double obj) => 0;
    }
}
