using DluxShera.Contracts;
using Xunit;

namespace DluxShera.Tests;

/// <summary>
/// preconditioned_gd's options change the preconditioner by exactly what the docs say (docs/optimizers.md):
/// lr_i = clip(block_lr_i · 1/(max(c_i, floor) + eps)), c ← ema·c + (1 − ema)·fresh at a refresh, and
/// c = α·primary + (1 − α)·blend_with. Expected values come from the objectives' analytic Hessians.
/// </summary>
public class PreconditionerEffectTests
{
    [Fact]
    public void Floor_block_rates_and_linear_power_give_the_documented_learning_rates()
    {
        var q = new TwoBlockQuadratic([1e-6, 4, 100, 0.25]);
        var engine = PluginComponents.Shipped.Optimizer("preconditioned_gd", """
            {"num_steps":1,"learning_rate":0.5,"power":"linear","eps":0,"curvature_floor":0.01,
             "block_lr":{"b":0.05},"curvature":{"name":"hutchinson","options":{"probes":1}}}
            """);
        var (_, sink) = EngineHarness.Run(engine, q, components: PluginComponents.Shipped);

        double[] floored = [0.01, 4, 100, 0.25];
        double[] blockLr = [0.5, 0.5, 0.05, 0.05];
        var curv = sink.Files["curvature.npz"]["curv_diag"].ToDoubles();
        var precond = sink.Files["precond.npz"]["precond"].ToDoubles();
        var lr = sink.Files["precond.npz"]["lr_vec"].ToDoubles();
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(floored[i], curv[i], 1e-9 * floored[i]);
            Assert.Equal(1 / floored[i], precond[i], 1e-9 / floored[i]);
            Assert.Equal(blockLr[i] / floored[i], lr[i], 1e-9 * blockLr[i] / floored[i]);
            // θ₁ = θ₀ − lr ⊙ ∇f(θ₀), ∇f = h ⊙ θ₀, θ₀ = 1.
            Assert.Equal(1 - lr[i] * q.H[i], sink.Rows[1].Theta[i], 12);
        }
        var meta = (Dictionary<string, object?>)engine.Describe()["preconditioning"]!;
        Assert.Equal(1, meta["floored_curvature_entries"]);
    }

    [Fact]
    public void Sqrt_power_and_eps_give_inverse_root_curvature()
    {
        var q = new TwoBlockQuadratic([1, 4, 100, 0.25]);
        var engine = PluginComponents.Shipped.Optimizer("preconditioned_gd", """
            {"num_steps":1,"learning_rate":0.1,"power":"sqrt","eps":0.5,"curvature":{"name":"hutchinson","options":{"probes":1}}}
            """);
        var (_, sink) = EngineHarness.Run(engine, q, components: PluginComponents.Shipped);
        var lr = sink.Files["precond.npz"]["lr_vec"].ToDoubles();
        for (int i = 0; i < 4; i++) Assert.Equal(0.1 / Math.Sqrt(q.H[i] + 0.5), lr[i], 1e-9);
    }

    [Fact]
    public void Unknown_block_in_block_lr_is_refused_naming_the_key_and_the_blocks()
    {
        var engine = PluginComponents.Shipped.Optimizer("preconditioned_gd", """
            {"num_steps":1,"block_lr":{"nope":0.1},"curvature":{"name":"hutchinson","options":{"probes":1}}}
            """);
        var e = Assert.ThrowsAny<Exception>(() => EngineHarness.Run(engine, new TwoBlockQuadratic([1, 1, 1, 1]), components: PluginComponents.Shipped));
        Assert.Contains("block_lr.nope", e.Message);
        Assert.Contains("a, b", e.Message);
    }

    [Fact]
    public void Curvature_ema_mixes_the_old_and_the_fresh_estimate_at_each_refresh()
    {
        // f = Σ h x⁴/12: ∇f = h x³/3, diag H = h x², which changes as θ moves.
        var bowl = new QuarticBowl([1, 3]);
        var engine = PluginComponents.Shipped.Optimizer("preconditioned_gd", """
            {"num_steps":2,"learning_rate":0.1,"power":"linear","eps":0,"refresh_every":1,"curvature_ema":0.75,
             "curvature":{"name":"hutchinson","options":{"probes":1}}}
            """);
        var (_, sink) = EngineHarness.Run(engine, bowl, components: PluginComponents.Shipped);
        double[] x0 = sink.Rows[0].Theta, x1 = sink.Rows[1].Theta, x2 = sink.Rows[2].Theta;
        var curv = sink.Files["curvature.npz"]["curv_diag"].ToDoubles();
        var lr = sink.Files["precond.npz"]["lr_vec"].ToDoubles();
        for (int i = 0; i < 2; i++)
        {
            double c0 = bowl.H[i] * x0[i] * x0[i], fresh = bowl.H[i] * x1[i] * x1[i];
            Assert.Equal(x0[i] - 0.1 / c0 * bowl.H[i] * Math.Pow(x0[i], 3) / 3, x1[i], 12);
            double mixed = 0.75 * c0 + 0.25 * fresh;
            Assert.Equal(mixed, curv[i], 1e-9 * mixed);
            Assert.Equal(0.1 / mixed, lr[i], 1e-9 / mixed);
            Assert.Equal(x1[i] - 0.1 / mixed * bowl.H[i] * Math.Pow(x1[i], 3) / 3, x2[i], 12);
        }
    }

    [Fact]
    public void Blend_with_weights_the_two_estimators_by_blend_alpha()
    {
        // r = x² − 1, f = ½ Σ r²: diag H = 6x² − 2 (hutchinson), diag JᵀJ = 4x² (gn_diag).
        var squares = new SquaredResiduals([2, 3]);
        var engine = PluginComponents.Shipped.Optimizer("preconditioned_gd", """
            {"num_steps":1,"learning_rate":0.1,"power":"linear","eps":0,"blend_alpha":0.25,
             "curvature":{"name":"hutchinson","options":{"probes":1}},"blend_with":{"name":"gn_diag"}}
            """);
        var (_, sink) = EngineHarness.Run(engine, squares, components: PluginComponents.Shipped);
        var curv = sink.Files["curvature.npz"]["curv_diag"].ToDoubles();
        double[] x = [2, 3];
        for (int i = 0; i < 2; i++)
        {
            double expected = 0.25 * (6 * x[i] * x[i] - 2) + 0.75 * 4 * x[i] * x[i];
            Assert.Equal(expected, curv[i], 1e-9 * expected);
        }
        var meta = (Dictionary<string, object?>)engine.Describe()["preconditioning"]!;
        Assert.Equal(0.25, meta["blend_alpha"]);
    }

    /// <summary>½ Σ hᵢ xᵢ² over two blocks, "a" = θ[0:2) and "b" = θ[2:4); starts at 1.</summary>
    private sealed class TwoBlockQuadratic(double[] h) : IHessianVectorObjective
    {
        public double[] H => h;
        public string Name => "two_block_quadratic";
        public IndexMap IndexMap { get; } = new([new IndexMapEntry("a", 0, 2, [2], "a"), new IndexMapEntry("b", 2, 4, [2], "b")]);
        public void GetInitialTheta(Span<double> theta) => theta.Fill(1.0);

        public double Evaluate(ReadOnlySpan<double> x, Span<double> g)
        {
            double f = 0;
            for (int i = 0; i < h.Length; i++)
            {
                g[i] = h[i] * x[i];
                f += 0.5 * h[i] * x[i] * x[i];
            }
            return f;
        }

        public void HessianVectorProduct(ReadOnlySpan<double> x, ReadOnlySpan<double> v, Span<double> hv)
        {
            for (int i = 0; i < h.Length; i++) hv[i] = h[i] * v[i];
        }

        public IReadOnlyDictionary<string, object?> Describe() => new Dictionary<string, object?>();
    }

    /// <summary>Σ hᵢ xᵢ⁴ / 12 from θ = 2: Hessian diag hᵢ xᵢ².</summary>
    private sealed class QuarticBowl(double[] h) : IHessianVectorObjective
    {
        public double[] H => h;
        public string Name => "quartic_bowl";
        public IndexMap IndexMap { get; } = IndexMap.SingleVector(h.Length);
        public void GetInitialTheta(Span<double> theta) => theta.Fill(2.0);

        public double Evaluate(ReadOnlySpan<double> x, Span<double> g)
        {
            double f = 0;
            for (int i = 0; i < h.Length; i++)
            {
                g[i] = h[i] * x[i] * x[i] * x[i] / 3;
                f += h[i] * Math.Pow(x[i], 4) / 12;
            }
            return f;
        }

        public void HessianVectorProduct(ReadOnlySpan<double> x, ReadOnlySpan<double> v, Span<double> hv)
        {
            for (int i = 0; i < h.Length; i++) hv[i] = h[i] * x[i] * x[i] * v[i];
        }

        public IReadOnlyDictionary<string, object?> Describe() => new Dictionary<string, object?>();
    }

    /// <summary>Residuals rᵢ = xᵢ² − 1 (unit weights), f = ½ Σ r², from the given start.</summary>
    private sealed class SquaredResiduals(double[] start) : IHessianVectorObjective, IResidualObjective
    {
        public string Name => "squared_residuals";
        public IndexMap IndexMap { get; } = IndexMap.SingleVector(start.Length);
        public int ResidualCount => start.Length;
        public void GetInitialTheta(Span<double> theta) => start.CopyTo(theta);

        public double Evaluate(ReadOnlySpan<double> x, Span<double> g)
        {
            double f = 0;
            for (int i = 0; i < start.Length; i++)
            {
                double r = x[i] * x[i] - 1;
                g[i] = 2 * x[i] * r;
                f += 0.5 * r * r;
            }
            return f;
        }

        public void HessianVectorProduct(ReadOnlySpan<double> x, ReadOnlySpan<double> v, Span<double> hv)
        {
            for (int i = 0; i < start.Length; i++) hv[i] = (6 * x[i] * x[i] - 2) * v[i];
        }

        public void Residuals(ReadOnlySpan<double> x, Span<double> r)
        {
            for (int i = 0; i < start.Length; i++) r[i] = x[i] * x[i] - 1;
        }

        public void GetWeights(Span<double> w) => w[..start.Length].Fill(1.0);

        public void JacobianVectorProduct(ReadOnlySpan<double> x, ReadOnlySpan<double> v, Span<double> jv)
        {
            for (int i = 0; i < start.Length; i++) jv[i] = 2 * x[i] * v[i];
        }

        public void VectorJacobianProduct(ReadOnlySpan<double> x, ReadOnlySpan<double> u, Span<double> jtu)
        {
            for (int i = 0; i < start.Length; i++) jtu[i] = 2 * x[i] * u[i];
        }

        public IReadOnlyDictionary<string, object?> Describe() => new Dictionary<string, object?>();
    }
}
