using DluxShera.Contracts;
using DluxShera.Curvature;
using DluxShera.TestProblems;
using Xunit;

namespace DluxShera.Tests;

/// <summary>
/// The guardrails entry by entry, the raw (unguarded) estimates, option validation and evaluation counts: what the
/// mutation run of the curvature plugin showed no test pinned down (a sign flip in a sum hid behind |·|).
/// </summary>
public class CurvatureGuardrailTests
{
    private static readonly double[] Raw = [-4, 5e-7, double.NaN, 2e6, 3, -2, 1e-6, 0];

    [Fact]
    public void Abs_takes_the_magnitude_of_negatives_then_floors_and_clips_and_counts_each_bound_hit()
    {
        var e = Guardrails.Apply((double[])Raw.Clone(), new GuardrailOptions { Floor = 1e-6, Ceiling = 1e6, Negative = NegativeHandling.Abs }, null, 7);
        Assert.Equal([4, 1e-6, 1e-6, 1e6, 3, 2, 1e-6, 1e-6], e.Diagonal);
        // Raised: 5e-7 and 0; clipped: 2e6. The NaN is counted as non-finite; 1e-6 already sits on the floor.
        Assert.Equal(3, e.FlooredCount);
        Assert.Equal(1, e.NonFiniteCount);
        Assert.Equal(7, e.Evaluations);
        Assert.Equal(Raw, e.RawDiagonal);
    }

    [Fact]
    public void Floor_raises_negatives_to_the_floor_and_counts_them()
    {
        var e = Guardrails.Apply((double[])Raw.Clone(), new GuardrailOptions { Floor = 1e-6, Ceiling = 1e6, Negative = NegativeHandling.Floor }, null, 0);
        Assert.Equal([1e-6, 1e-6, 1e-6, 1e6, 3, 1e-6, 1e-6, 1e-6], e.Diagonal);
        Assert.Equal(5, e.FlooredCount); // −4, 5e-7, −2, 0 raised; 2e6 clipped
        Assert.Equal(1, e.NonFiniteCount);
    }

    [Fact]
    public void Estimators_sum_positive_terms_before_the_guardrails()
    {
        // negative: floor would turn a sign error in the sums into the floor instead of hiding it behind |·|.
        var q = new DiagonalQuadratic(new QuadraticOptions { Dimension = 6, Condition = 100 });
        var h = new HutchinsonDiagonal(new HutchinsonOptions { Probes = 4, Negative = NegativeHandling.Floor }, 3).Estimate(q, new double[6], default);
        for (int i = 0; i < 6; i++)
        {
            Assert.Equal(q.Curvatures[i], h.RawDiagonal![i], 1e-12 * q.Curvatures[i]);
            Assert.Equal(q.Curvatures[i], h.Diagonal[i], 1e-12 * q.Curvatures[i]);
        }

        var p = new NoisyLinearLeastSquares(new NoisyLinearOptions { Dimension = 3, Observations = 20, Seed = 4 });
        var theta = new[] { 0.5, -0.5, 1.0 };
        var g = new double[3];
        var expected = new double[3];
        for (int i = 0; i < 20; i++)
        {
            p.EvaluateObservation(i, theta, g);
            for (int j = 0; j < 3; j++) expected[j] += g[j] * g[j];
        }
        var f = new EmpiricalFisherDiagonal(new EmpiricalFisherOptions { Negative = NegativeHandling.Floor }).Estimate(p, theta, default);
        for (int j = 0; j < 3; j++) Assert.Equal(expected[j], f.RawDiagonal![j], 1e-10 * expected[j]);
    }

    [Fact]
    public void Gn_diag_returns_the_dense_normal_matrix_only_when_asked()
    {
        var p = new NoisyLinearLeastSquares(new NoisyLinearOptions { Dimension = 3, Observations = 12, Seed = 2 });
        var gn = new GaussNewtonDiagonal(new GuardrailOptions());
        Assert.Null(gn.Estimate(p, new double[3], default).Dense);
        var dense = gn.Estimate(p, new double[3], new CurvatureRequest(Dense: true)).Dense;
        var fisher = new DenseFisher(new GuardrailOptions()).Estimate(p, new double[3], new CurvatureRequest(Dense: true)).Dense;
        Assert.NotNull(dense);
        Assert.Equal(fisher, dense);
    }

    [Fact]
    public void Finite_difference_products_cost_two_gradients_each_and_exact_ones_one()
    {
        var r = new Rosenbrock(new RosenbrockOptions { Dimension = 4 });
        var theta = new[] { -1.2, 1.0, 0.3, 0.8 };
        var v = new[] { 0.3, -1.0, 2.0, 0.5 };
        var hv = new double[4];
        var fd = new HessianVectorProducts(r, forceFiniteDifferences: true);
        fd.Multiply(theta, v, hv);
        fd.Multiply(theta, v, hv);
        Assert.Equal(4, fd.Evaluations);
        var hutchinson = new HutchinsonDiagonal(new HutchinsonOptions { Probes = 5, FiniteDifferences = true }, 1).Estimate(r, theta, default);
        Assert.Equal(10, hutchinson.Evaluations);
    }

    [Theory]
    [InlineData(0, "probes")]
    [InlineData(-3, "probes")]
    [InlineData(1, null)]
    public void Hutchinson_needs_at_least_one_probe(int probes, string? key) =>
        AssertProblem(new HutchinsonOptions { Probes = probes }.Validate(), key);

    [Theory]
    [InlineData(1.0, "beta")]
    [InlineData(-0.1, "beta")]
    [InlineData(0.0, null)]
    [InlineData(0.999, null)]
    public void Ema_beta_is_in_zero_one(double beta, string? key) =>
        AssertProblem(new EmaGrad2Options { Beta = beta }.Validate(), key);

    [Theory]
    [InlineData(-1e-9, null, "floor")]
    [InlineData(double.NaN, null, "floor")]
    [InlineData(double.PositiveInfinity, null, "floor")]
    [InlineData(0.0, null, null)]
    [InlineData(1.0, 1.0, "ceiling")]
    [InlineData(1.0, 0.5, "ceiling")]
    [InlineData(1.0, 1.5, null)]
    public void Guardrail_floor_is_finite_and_non_negative_and_the_ceiling_above_it(double floor, double? ceiling, string? key) =>
        AssertProblem(new GuardrailOptions { Floor = floor, Ceiling = ceiling }.Validate(), key);

    [Fact]
    public void Every_estimator_describes_its_guardrails_under_the_seed_s_method_name()
    {
        var options = new GuardrailOptions { Floor = 0.5, Ceiling = 9, Negative = NegativeHandling.Floor };
        var described = Guardrails.Describe("gn_diag", options);
        Assert.Equal("gn_diag", described["method"]);
        Assert.Equal(0.5, described["floor"]);
        Assert.Equal(9.0, described["ceiling"]);
        Assert.Equal("floor", described["negative"]);
        var hutchinson = new HutchinsonDiagonal(new HutchinsonOptions { Probes = 3 }, 11).Describe();
        Assert.Equal("hutchinson_hessian_diag", hutchinson["method"]);
        Assert.Equal(3, hutchinson["probes"]);
        Assert.Equal(11UL, hutchinson["seed"]);
        var ema = new EmaGradientSquares(new EmaGrad2Options { Beta = 0.9, Init = EmaInit.Zero }).Describe();
        Assert.Equal(("ema_grad2", 0.9, "zero"), ((string?)ema["method"], (double?)ema["beta"], (string?)ema["init"]));
    }

    private static void AssertProblem(IEnumerable<(string Key, string Message)> problems, string? key)
    {
        var list = problems.ToList();
        if (key is null) Assert.Empty(list);
        else Assert.Equal(key, Assert.Single(list).Key);
    }
}
