using DluxShera.Contracts;
using DluxShera.Curvature;
using DluxShera.TestProblems;
using Xunit;

namespace DluxShera.Tests;

/// <summary>f = ½ xᵀAx with a dense SPD A: the Hessian is A everywhere.</summary>
internal sealed class DenseQuadratic : IHessianVectorObjective
{
    public DenseQuadratic(int d, int seed)
    {
        var rng = new Random(seed);
        var b = new double[d, d];
        for (int i = 0; i < d; i++)
        {
            for (int j = 0; j < d; j++) b[i, j] = rng.NextDouble() - 0.5;
        }
        A = new double[d, d];
        for (int i = 0; i < d; i++)
        {
            for (int j = 0; j < d; j++)
            {
                double s = i == j ? d : 0;
                for (int k = 0; k < d; k++) s += b[i, k] * b[j, k];
                A[i, j] = s;
            }
        }
        IndexMap = IndexMap.SingleVector(d);
    }

    public double[,] A { get; }
    public string Name => "dense_quadratic";
    public IndexMap IndexMap { get; }
    public void GetInitialTheta(Span<double> theta) => theta.Fill(1);

    public double Evaluate(ReadOnlySpan<double> x, Span<double> g)
    {
        HessianVectorProduct(x, x, g);
        double f = 0;
        for (int i = 0; i < x.Length; i++) f += 0.5 * x[i] * g[i];
        return f;
    }

    public void HessianVectorProduct(ReadOnlySpan<double> x, ReadOnlySpan<double> v, Span<double> hv)
    {
        for (int i = 0; i < v.Length; i++)
        {
            double s = 0;
            for (int j = 0; j < v.Length; j++) s += A[i, j] * v[j];
            hv[i] = s;
        }
    }

    public IReadOnlyDictionary<string, object?> Describe() => new Dictionary<string, object?>();
}

public class CurvatureEstimatorTests
{
    private static double RmsError(double[] estimate, double[] truth) =>
        Math.Sqrt(estimate.Zip(truth, (e, t) => (e - t) * (e - t)).Average());

    [Fact]
    public void Hutchinson_is_unbiased_and_its_error_falls_as_one_over_root_probes()
    {
        var q = new DenseQuadratic(8, 1);
        var truth = Enumerable.Range(0, 8).Select(i => q.A[i, i]).ToArray();
        var theta = new double[8];
        double ErrorAt(int probes) => Math.Sqrt(Enumerable.Range(0, 200).Select(seed =>
        {
            var e = new HutchinsonDiagonal(new HutchinsonOptions { Probes = probes }, (ulong)seed).Estimate(q, theta, default);
            return Math.Pow(RmsError(e.Diagonal, truth), 2);
        }).Average());
        double e4 = ErrorAt(4), e64 = ErrorAt(64);
        double ratio = e4 / e64; // √(64/4) = 4 for a 1/√K law
        Assert.InRange(ratio, 3.0, 5.3);

        // Unbiased: the mean of many one-probe estimates converges to diag(A).
        var mean = new double[8];
        const int runs = 4000;
        for (int seed = 0; seed < runs; seed++)
        {
            var e = new HutchinsonDiagonal(new HutchinsonOptions { Probes = 1, Negative = NegativeHandling.Abs }, (ulong)seed + 1000).Estimate(q, theta, default);
            for (int i = 0; i < 8; i++) mean[i] += e.Diagonal[i] / runs;
        }
        // Standard error of the mean ≈ off-diagonal row norm / √runs; allow 4 of them.
        for (int i = 0; i < 8; i++)
        {
            double offRow = Math.Sqrt(Enumerable.Range(0, 8).Where(j => j != i).Sum(j => q.A[i, j] * q.A[i, j]));
            Assert.InRange(mean[i], truth[i] - 4 * offRow / Math.Sqrt(runs), truth[i] + 4 * offRow / Math.Sqrt(runs));
        }
    }

    [Fact]
    public void Hutchinson_is_exact_for_a_diagonal_hessian_and_reproducible_from_its_seed()
    {
        var q = new DiagonalQuadratic(new QuadraticOptions { Dimension = 12, Condition = 1e8 });
        var a = new HutchinsonDiagonal(new HutchinsonOptions { Probes = 3 }, 42).Estimate(q, new double[12], default);
        for (int i = 0; i < 12; i++) Assert.Equal(q.Curvatures[i], a.Diagonal[i], q.Curvatures[i] * 1e-14);
        Assert.Equal(a.Diagonal, new HutchinsonDiagonal(new HutchinsonOptions { Probes = 3 }, 42).Estimate(q, new double[12], default).Diagonal);
        var b = new HutchinsonDiagonal(new HutchinsonOptions { Probes = 3, FiniteDifferences = true }, 42);
        var fd = b.Estimate(q, new double[12], default);
        for (int i = 0; i < 12; i++) Assert.Equal(q.Curvatures[i], fd.Diagonal[i], q.Curvatures[i] * 1e-6);
        Assert.StartsWith("central_difference", (string)b.Describe()["hvp"]!);
    }

    [Fact]
    public void Finite_difference_hvps_match_exact_ones_on_a_smooth_problem()
    {
        var r = new Rosenbrock(new RosenbrockOptions { Dimension = 6 });
        var theta = new[] { -1.2, 1.0, 0.3, 0.8, 1.5, 2.0 };
        var v = new[] { 0.3, -1.0, 2.0, 0.5, -0.7, 1.1 };
        var exact = new double[6];
        var fd = new double[6];
        new HessianVectorProducts(r).Multiply(theta, v, exact);
        new HessianVectorProducts(r, forceFiniteDifferences: true).Multiply(theta, v, fd);
        for (int i = 0; i < 6; i++) Assert.True(Math.Abs(exact[i] - fd[i]) <= 1e-6 * Math.Max(1, Math.Abs(exact[i])), $"{i}: {exact[i]} vs {fd[i]}");
    }

    [Fact]
    public void Gn_diag_is_exact_for_linear_least_squares_and_fisher_dense_equals_jtwj()
    {
        var p = new NoisyLinearLeastSquares(new NoisyLinearOptions { Dimension = 4, Observations = 30, Sigma = 0.5, Seed = 9 });
        var a = p.Design;
        double w = 1 / 0.25;
        var expected = new double[16];
        for (int i = 0; i < 30; i++)
        {
            for (int j = 0; j < 4; j++)
            {
                for (int k = 0; k < 4; k++) expected[j * 4 + k] += w * a[i * 4 + j] * a[i * 4 + k];
            }
        }
        var theta = new[] { 0.1, -0.2, 0.3, 0.4 };
        var diag = new GaussNewtonDiagonal(new GuardrailOptions()).Estimate(p, theta, default).Diagonal;
        for (int j = 0; j < 4; j++) Assert.Equal(expected[j * 4 + j], diag[j], 1e-9 * expected[j * 4 + j]);
        var dense = new DenseFisher(new GuardrailOptions()).Estimate(p, theta, new CurvatureRequest(Dense: true)).Dense!;
        for (int k = 0; k < 16; k++) Assert.Equal(expected[k], dense[k], 1e-9 * Math.Max(1, Math.Abs(expected[k])));
    }

    [Fact]
    public void Fisher_dense_is_the_hessian_for_an_objective_without_residuals()
    {
        var q = new DenseQuadratic(5, 3);
        var dense = new DenseFisher(new GuardrailOptions()).Estimate(q, new double[5], new CurvatureRequest(Dense: true)).Dense!;
        for (int i = 0; i < 5; i++)
        {
            for (int j = 0; j < 5; j++) Assert.Equal(q.A[i, j], dense[i * 5 + j], 12);
        }
    }

    [Fact]
    public void Empirical_fisher_sums_per_observation_gradient_squares()
    {
        var p = new NoisyLinearLeastSquares(new NoisyLinearOptions { Dimension = 3, Observations = 20, Seed = 4 });
        var theta = new[] { 0.5, -0.5, 1.0 };
        var expected = new double[3];
        var g = new double[3];
        for (int i = 0; i < 20; i++)
        {
            p.EvaluateObservation(i, theta, g);
            for (int j = 0; j < 3; j++) expected[j] += g[j] * g[j];
        }
        var sum = new EmpiricalFisherDiagonal(new EmpiricalFisherOptions()).Estimate(p, theta, default).Diagonal;
        var mean = new EmpiricalFisherDiagonal(new EmpiricalFisherOptions { Reduction = Reduction.Mean }).Estimate(p, theta, default).Diagonal;
        for (int j = 0; j < 3; j++)
        {
            Assert.Equal(expected[j], sum[j], 1e-10 * expected[j]);
            Assert.Equal(expected[j] / 20, mean[j], 1e-10 * expected[j]);
        }
        // The per-observation gradients add up to the total gradient.
        var total = new double[3];
        p.Evaluate(theta, total);
        var acc = new double[3];
        for (int i = 0; i < 20; i++)
        {
            p.EvaluateObservation(i, theta, g);
            for (int j = 0; j < 3; j++) acc[j] += g[j];
        }
        for (int j = 0; j < 3; j++) Assert.Equal(total[j], acc[j], 9);
    }

    [Fact]
    public void Capabilities_a_method_needs_are_named_when_missing()
    {
        var r = new Rosenbrock(new RosenbrockOptions());
        var e1 = Assert.Throws<NotSupportedException>(() => new EmpiricalFisherDiagonal(new EmpiricalFisherOptions()).Estimate(r, new double[2], default));
        Assert.Contains("'rosenbrock'", e1.Message);
        var e2 = Assert.Throws<NotSupportedException>(() => new GaussNewtonDiagonal(new GuardrailOptions()).Estimate(r, new double[2], default));
        Assert.Contains("'rosenbrock'", e2.Message);
    }

    [Fact]
    public void Ema_of_squared_gradients_follows_its_recursion()
    {
        var first = new EmaGradientSquares(new EmaGrad2Options { Beta = 0.5 });
        first.Observe(0, [2.0, -1.0]);
        first.Observe(1, [4.0, 0.0]);
        var q = new DiagonalQuadratic(new QuadraticOptions { Dimension = 2 });
        Assert.Equal(new[] { 0.5 * 4 + 0.5 * 16, 0.5 * 1 + 0.0 }, first.Estimate(q, new double[2], default).Diagonal);

        var zero = new EmaGradientSquares(new EmaGrad2Options { Beta = 0.5, Init = EmaInit.Zero });
        zero.Observe(0, [2.0, -1.0]);
        // v₁ = 0.5·4 = 2, bias-corrected by 1/(1 − 0.5) → 4 = g².
        Assert.Equal(new[] { 4.0, 1.0 }, zero.Estimate(q, new double[2], default).Diagonal);
    }

    [Fact]
    public void Guardrails_leave_every_entry_finite_and_at_least_the_floor()
    {
        var rng = new Random(5);
        var options = new GuardrailOptions { Floor = 1e-6, Ceiling = 1e6 };
        for (int trial = 0; trial < 50; trial++)
        {
            var raw = Enumerable.Range(0, 30).Select(_ => rng.Next(6) switch
            {
                0 => double.NaN,
                1 => double.PositiveInfinity,
                2 => -rng.NextDouble() * 10,
                3 => rng.NextDouble() * 1e-9,
                4 => 1e12,
                _ => rng.NextDouble(),
            }).ToArray();
            int nonFinite = raw.Count(x => !double.IsFinite(x));
            var e = Guardrails.Apply((double[])raw.Clone(), options, null, 0);
            Assert.All(e.Diagonal, x => Assert.True(double.IsFinite(x) && x >= 1e-6 && x <= 1e6));
            Assert.Equal(nonFinite, e.NonFiniteCount);
        }
    }
}

/// <summary>An objective seen only through IObjective (finite-difference products), optionally also batched (counting batches).</summary>
internal sealed class BatchCountingObjective(IObjective inner) : IBatchedObjective
{
    public int Batches { get; private set; }

    public int BatchedPoints { get; private set; }

    public string Name => inner.Name;

    public IndexMap IndexMap => inner.IndexMap;

    public void GetInitialTheta(Span<double> theta) => inner.GetInitialTheta(theta);

    public double Evaluate(ReadOnlySpan<double> theta, Span<double> gradient) => inner.Evaluate(theta, gradient);

    public void EvaluateBatch(ReadOnlySpan<double> thetas, Span<double> losses, Span<double> gradients)
    {
        int d = IndexMap.Dimension;
        Batches++;
        BatchedPoints += losses.Length;
        for (int b = 0; b < losses.Length; b++) losses[b] = inner.Evaluate(thetas.Slice(b * d, d), gradients.Slice(b * d, d));
    }

    public IReadOnlyDictionary<string, object?> Describe() => inner.Describe();
}

internal sealed class PlainObjective(IObjective inner) : IObjective
{
    public string Name => inner.Name;

    public IndexMap IndexMap => inner.IndexMap;

    public void GetInitialTheta(Span<double> theta) => inner.GetInitialTheta(theta);

    public double Evaluate(ReadOnlySpan<double> theta, Span<double> gradient) => inner.Evaluate(theta, gradient);

    public IReadOnlyDictionary<string, object?> Describe() => inner.Describe();
}

public sealed class BatchedHutchinsonTests
{
    [Fact]
    public void Hutchinson_evaluates_all_probes_of_a_batched_objective_in_one_batch_with_the_same_estimate()
    {
        var rosenbrock = new Rosenbrock(new RosenbrockOptions { Dimension = 6 });
        var theta = new[] { -1.2, 1.0, 0.3, 0.8, 1.5, 2.0 };
        var batched = new BatchCountingObjective(rosenbrock);
        var one = new HutchinsonDiagonal(new HutchinsonOptions { Probes = 5 }, 7).Estimate(new PlainObjective(rosenbrock), theta, default);
        var all = new HutchinsonDiagonal(new HutchinsonOptions { Probes = 5 }, 7).Estimate(batched, theta, default);
        Assert.Equal(1, batched.Batches);
        Assert.Equal(10, batched.BatchedPoints); // θ ± h·v for each of the 5 probes
        Assert.Equal(one.Diagonal, all.Diagonal);
        // and the probes are the real ones: the estimate is close to Rosenbrock's exact Hessian diagonal estimate
        var exact = new HutchinsonDiagonal(new HutchinsonOptions { Probes = 5 }, 7).Estimate(rosenbrock, theta, default);
        for (int i = 0; i < 6; i++) Assert.Equal(exact.Diagonal[i], all.Diagonal[i], 1e-5 * Math.Max(1, Math.Abs(exact.Diagonal[i])));
    }
}
