using DluxShera.Contracts;
using DluxShera.Curvature;
using Xunit;

namespace DluxShera.Tests;

/// <summary>
/// Hessian-vector products against docs/curvature.md: central differences step by
/// h = ε^{1/3}(1 + ‖θ‖∞)/‖v‖∞ and cost two gradients each (one exact product otherwise), a batched objective gets
/// all 2K points in one call with the same values, and fisher_dense symmetrises what the products give. The
/// objectives are linear gradient fields g(θ) = Bθ, so every difference is exact up to rounding and the expected
/// values are B's entries written out by hand.
/// </summary>
public class HessianVectorProductTests
{
    // Deliberately not symmetric: a finite-difference "Hessian" of a gradient with errors need not be.
    private static readonly double[,] B = { { 2, 1, 0 }, { 3, 5, -1 }, { 4, 0, 7 } };

    private static readonly double CubeRootEpsilon = Math.Cbrt(2.220446049250313e-16);

    /// <summary>loss = ½θᵀBθ, reported gradient Bθ (the loss is irrelevant to the products).</summary>
    private static FunctionObjective LinearField() => new(3, (x, g) =>
    {
        double f = 0;
        for (int i = 0; i < 3; i++)
        {
            for (int j = 0; j < 3; j++) g[i] += B[i, j] * x[j];
            f += 0.5 * x[i] * g[i];
        }
        return f;
    });

    private static double[] Bv(double[] v) => [.. Enumerable.Range(0, 3).Select(i => B[i, 0] * v[0] + B[i, 1] * v[1] + B[i, 2] * v[2])];

    private static readonly double[] Theta = [0.5, -3.0, 2.0];       // ‖θ‖∞ = 3
    private static readonly double[] V = [0.5, -2.0, 1.0];            // ‖v‖∞ = 2
    private static readonly double[] W = [-0.25, 0.125, 0.5];         // ‖w‖∞ = 0.5

    private static double DocumentedStep(double[] v) => CubeRootEpsilon * (1 + 3.0) / v.Max(Math.Abs);

    private static void AssertPoint(double[] expected, double[] actual)
    {
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 1e-15 * Math.Max(1, Math.Abs(expected[i])));
    }

    private static double[] Step(double[] theta, double[] v, double h) => [.. theta.Select((t, i) => t + h * v[i])];

    [Fact]
    public void A_central_difference_evaluates_the_gradient_at_theta_plus_and_minus_the_documented_step()
    {
        var f = LinearField();
        var products = new HessianVectorProducts(f);
        var hv = new double[3];
        products.Multiply(Theta, V, hv);
        double h = DocumentedStep(V); // ε^{1/3} · (1 + 3) / 2
        Assert.Equal(2, f.Calls);
        Assert.Equal(2, products.Evaluations);
        AssertPoint(Step(Theta, V, h), f.Points[0]);
        AssertPoint(Step(Theta, V, -h), f.Points[1]);
        var expected = Bv(V); // (−1, −10, 9)
        for (int i = 0; i < 3; i++) Assert.Equal(expected[i], hv[i], 1e-8);
        Assert.False(products.IsExact);
        Assert.Equal("central_difference(h = eps^(1/3) (1 + |theta|_inf) / |v|_inf)", products.Description);
    }

    [Fact]
    public void The_product_with_the_zero_vector_is_zero()
    {
        var products = new HessianVectorProducts(LinearField());
        var hv = new double[] { 9, 9, 9 };
        products.Multiply(Theta, new double[3], hv);
        Assert.Equal(new double[3], hv);
    }

    [Fact]
    public void A_batched_objective_gets_all_two_k_points_in_one_call_and_the_same_products()
    {
        var inner = LinearField();
        var batched = new BatchCountingObjective(inner);
        var products = new HessianVectorProducts(batched);
        // K = 3 rows: V, the zero vector, W.
        double[] vs = [.. V, 0, 0, 0, .. W];
        var hvs = Enumerable.Repeat(9.0, 9).ToArray(); // whatever the buffer held before: every row is written
        products.MultiplyBatch(Theta, vs, hvs);
        Assert.Equal(1, batched.Batches);
        Assert.Equal(6, batched.BatchedPoints);
        Assert.Equal(6, products.Evaluations);
        double hv1 = DocumentedStep(V), hw = DocumentedStep(W);
        AssertPoint(Step(Theta, V, hv1), inner.Points[0]);
        AssertPoint(Step(Theta, V, -hv1), inner.Points[1]);
        AssertPoint(Step(Theta, W, hw), inner.Points[4]);
        AssertPoint(Step(Theta, W, -hw), inner.Points[5]);
        double[] expected = [.. Bv(V), 0, 0, 0, .. Bv(W)];
        for (int i = 0; i < 9; i++) Assert.Equal(expected[i], hvs[i], 1e-8);
        Assert.Equal(0.0, hvs[3]);
        Assert.Equal(0.0, hvs[5]);

        // One by one, through the plain objective: the same numbers.
        var single = new HessianVectorProducts(new PlainObjective(LinearField()));
        var one = new double[3];
        single.Multiply(Theta, V, one);
        Assert.Equal(one, hvs[..3]);
        single.Multiply(Theta, W, one);
        Assert.Equal(one, hvs[6..]);
    }

    [Fact]
    public void Two_products_are_already_a_batch()
    {
        var batched = new BatchCountingObjective(LinearField());
        var products = new HessianVectorProducts(batched);
        products.MultiplyBatch(Theta, [.. V, .. W], new double[6]);
        Assert.Equal(1, batched.Batches);
        Assert.Equal(4, products.Evaluations);
    }

    [Fact]
    public void Exact_products_cost_one_evaluation_each_one_by_one_or_in_a_batch()
    {
        var q = new DenseQuadratic(4, 5);
        var products = new HessianVectorProducts(q);
        Assert.True(products.IsExact);
        Assert.Equal("exact", products.Description);
        double[] v = [1, -2, 0.5, 3];
        var hv = new double[4];
        products.Multiply(v, v, hv);
        products.Multiply(v, v, hv);
        Assert.Equal(2, products.Evaluations);
        for (int i = 0; i < 4; i++) Assert.Equal(Enumerable.Range(0, 4).Sum(j => q.A[i, j] * v[j]), hv[i], 12);
        products.MultiplyBatch(v, [.. v, .. v, .. v], new double[12]);
        Assert.Equal(5, products.Evaluations);

        var hutchinson = new HutchinsonDiagonal(new HutchinsonOptions { Probes = 6 }, 3);
        Assert.Equal(6, hutchinson.Estimate(q, v, default).Evaluations);
        Assert.Equal("exact", hutchinson.Describe()["hvp"]);
    }

    [Fact]
    public void Fisher_dense_symmetrises_an_asymmetric_difference_hessian_to_half_h_plus_h_transpose()
    {
        var fisher = new DenseFisher(new GuardrailOptions());
        var e = fisher.Estimate(LinearField(), Theta, new CurvatureRequest(Dense: true));
        // ½(B + Bᵀ) by hand.
        double[] expected = [2, 2, 2, 2, 5, -0.5, 2, -0.5, 7];
        for (int k = 0; k < 9; k++) Assert.Equal(expected[k], e.Dense![k], 1e-8);
        for (int a = 0; a < 3; a++)
        {
            for (int b = 0; b < 3; b++) Assert.Equal(e.Dense![a * 3 + b], e.Dense[b * 3 + a]);
        }
        for (int i = 0; i < 3; i++) Assert.Equal(expected[i * 4], e.Diagonal[i], 1e-8);
        Assert.Equal(6, e.Evaluations); // D = 3 products, two gradients each
        Assert.Equal("hessian(central_difference(h = eps^(1/3) (1 + |theta|_inf) / |v|_inf))", fisher.Describe()["source"]);
    }

    [Fact]
    public void Fisher_dense_records_where_its_matrix_came_from_and_what_it_cost()
    {
        var exact = new DenseFisher(new GuardrailOptions());
        Assert.Equal(4, exact.Estimate(new DenseQuadratic(4, 2), new double[4], default).Evaluations);
        Assert.Equal("hessian(exact)", exact.Describe()["source"]);

        var residuals = new DenseFisher(new GuardrailOptions());
        residuals.Estimate(new DluxShera.TestProblems.NoisyLinearLeastSquares(new DluxShera.TestProblems.NoisyLinearOptions { Dimension = 3, Observations = 12, Seed = 2 }), new double[3], default);
        Assert.Equal("jtwj", residuals.Describe()["source"]);
    }
}
