using DluxShera.Host.Benchmarks;
using Xunit;

namespace DluxShera.Tests;

/// <summary>The Stan benchmark targets: gradients against central differences, densities against closed forms.</summary>
public class SamplerTargetsTests
{
    [Fact]
    public void Every_target_gradient_matches_central_differences()
    {
        var rng = new Random(5);
        foreach (var target in SamplerTarget.All)
        {
            var density = target.CreateDensity();
            int d = target.Dimension;
            var x = Enumerable.Range(0, d).Select(_ => rng.NextDouble() - 0.5).ToArray();
            var g = new double[d];
            density.Evaluate(x, g);
            for (int i = 0; i < d; i++)
            {
                const double h = 1e-6;
                var p = (double[])x.Clone(); p[i] += h;
                var m = (double[])x.Clone(); m[i] -= h;
                double fd = (density.Evaluate(p, new double[d]) - density.Evaluate(m, new double[d])) / (2 * h);
                Assert.True(Math.Abs(fd - g[i]) <= 1e-6 * Math.Max(1, Math.Abs(fd)), $"{target.Name}[{i}]: analytic {g[i]}, differences {fd}");
            }
        }
    }

    [Fact]
    public void Densities_match_their_closed_forms()
    {
        double Log(string name, params double[] x) => SamplerTarget.All.Single(t => t.Name == name).CreateDensity().Evaluate(x, new double[x.Length]);
        // ρ = 0.99: log p(x) = −½ (x₀² − 2ρ x₀x₁ + x₁²)/(1 − ρ²) (up to a constant).
        Assert.Equal(-0.5 * (1 - 2 * 0.99 * 0.5 + 0.25) / (1 - 0.99 * 0.99), Log("correlated_rho0.99", 1, 0.5), 12);
        // Funnel at v = 1, x = 1: −1/18 − ½·9·e⁻¹ − 4.5.
        Assert.Equal(-1.0 / 18 - 4.5 * Math.Exp(-1) - 4.5, Log("funnel_10d", [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]), 12);
        // Logistic regression at a = b = 0: the prior is 0 and every observation contributes log ½.
        Assert.Equal(100 * Math.Log(0.5), Log("logistic_regression", 0, 0), 10);
    }
}
