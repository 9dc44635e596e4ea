using System.Text.Json.Nodes;
using DluxShera.Shera;
using DluxShera.Shera.Optics;
using Xunit;

namespace DluxShera.Tests;

internal static class SheraTestModels
{
    /// <summary>The options of a shipped preset, with optional changes to its optics.</summary>
    public static SheraOptions Preset(string name, Action<OpticsOptions>? optics = null, Action<SheraOptions>? options = null)
    {
        var json = SheraPlugin.LoadPresets()[name];
        var o = System.Text.Json.JsonSerializer.Deserialize<SheraOptions>(json.ToJsonString(),
            new System.Text.Json.JsonSerializerOptions { PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower })!;
        optics?.Invoke(o.Optics);
        options?.Invoke(o);
        return o;
    }

    public static SheraParameters Nominal(OpticalConfig config, int zernikes = 8) => new()
    {
        SeparationAs = 10, PositionAngleDeg = 90, LogFluxTotal = 11.2, Contrast = 3.46,
        PlateScaleAsPerPix = config.NominalPlateScale, PrimaryZernikesNm = new double[zernikes],
    };

    /// <summary>
    /// Asserts the objective's gradient equals Richardson-extrapolated central differences (O(h⁴)) to
    /// 1e-6 relative, for every θ index (step hₖ from <paramref name="steps"/>, 1e-2 beyond its end).
    /// </summary>
    public static void AssertGradientMatchesDifferences(SheraObjective objective, double[] theta, double[] steps, Action<string>? log = null)
    {
        int d = theta.Length;
        var g = new double[d];
        objective.Evaluate(theta, g);
        var scratch = new double[d];
        for (int k = 0; k < d; k++)
        {
            double Diff(double h)
            {
                var plus = (double[])theta.Clone();
                var minus = (double[])theta.Clone();
                plus[k] += h;
                minus[k] -= h;
                return (objective.Evaluate(plus, scratch) - objective.Evaluate(minus, scratch)) / (2 * h);
            }
            double h0 = k < steps.Length ? steps[k] : 1e-2;
            double fd = (4 * Diff(h0 / 2) - Diff(h0)) / 3;
            double rel = Math.Abs(fd - g[k]) / Math.Max(Math.Abs(g[k]), 1e-3);
            log?.Invoke($"θ[{k}]: analytic {g[k]:E6}  differences {fd:E6}  rel {rel:E1}");
            Assert.True(rel <= 1e-6, $"θ[{k}]: analytic {g[k]:R}, differences {fd:R}, relative error {rel:E2}");
        }
    }

    /// <summary>Asserts forward and reverse mode agree: ⟨J e_k, u⟩ = (Jᵀu)_k for every k.</summary>
    public static void AssertForwardMatchesReverse(SheraObjective objective, double[] theta)
    {
        int d = theta.Length, n = objective.ResidualCount;
        var u = Enumerable.Range(0, n).Select(i => Math.Sin(0.37 * i)).ToArray();
        var jtu = new double[d];
        objective.VectorJacobianProduct(theta, u, jtu);
        for (int k = 0; k < d; k++)
        {
            var e = new double[d];
            e[k] = 1;
            var je = new double[n];
            objective.JacobianVectorProduct(theta, e, je);
            double l = je.Zip(u, (a, b) => a * b).Sum();
            Assert.True(Math.Abs(l - jtu[k]) <= 1e-9 * Math.Max(Math.Abs(l), 1e-6), $"θ[{k}]: ⟨J e_k, u⟩ = {l:R}, (Jᵀu)_k = {jtu[k]:R}");
        }
    }
}
