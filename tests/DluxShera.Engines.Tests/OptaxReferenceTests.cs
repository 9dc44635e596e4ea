using DluxShera.TestProblems;
using Xunit;

namespace DluxShera.Tests;

/// <summary>
/// Every first-order engine, step by step, against the Optax update rules written out here from Optax's
/// documentation (optax.sgd/trace, optax.adam/scale_by_adam, optax.rmsprop/scale_by_rms). Non-default
/// hyper-parameters (decays far from 1, large eps, a non-zero initial scale) make a swapped decay, eps on
/// the wrong side of the square root or Nesterov vs heavy-ball differ from the first steps on.
/// </summary>
public class OptaxReferenceTests
{
    private const int Steps = 8;

    /// <summary>One Optax update: returns the update u (θ ← θ − lr·u) for gradient g at step t (0-based).</summary>
    private delegate void Rule(double[] g, int t, double[] u);

    public static TheoryData<string, string> Engines() => new()
    {
        { "gd", """{"learning_rate":0.001}""" },
        { "momentum", """{"learning_rate":0.001,"momentum":0.6,"nesterov":false}""" },
        { "momentum", """{"learning_rate":0.001,"momentum":0.6,"nesterov":true}""" },
        { "adam", """{"learning_rate":0.05,"b1":0.8,"b2":0.95,"eps":0.001,"eps_root":0.0001}""" },
        { "rmsprop", """{"learning_rate":0.01,"decay":0.7,"eps":0.001,"initial_scale":0.5}""" },
    };

    [Theory]
    [MemberData(nameof(Engines))]
    public void Engine_follows_the_optax_update_rule_step_by_step(string name, string options)
    {
        var json = System.Text.Json.Nodes.JsonNode.Parse(options)!.AsObject();
        json["num_steps"] = Steps;
        var engine = PluginComponents.Shipped.Optimizer(name, json.ToJsonString());
        var objective = new Rosenbrock(new RosenbrockOptions());
        var (result, sink) = EngineHarness.Run(engine, objective);
        Assert.Equal(Steps + 1, sink.Rows.Count);

        double lr = json["learning_rate"]!.GetValue<double>();
        Rule rule = ReferenceRule(name, json);
        var theta = (double[])sink.Rows[0].Theta.Clone();
        var g = new double[theta.Length];
        var u = new double[theta.Length];
        for (int t = 0; t < Steps; t++)
        {
            objective.Evaluate(theta, g);
            rule(g, t, u);
            var next = theta.Select((x, i) => x - lr * u[i]).ToArray();
            var row = sink.Rows[t + 1];
            for (int i = 0; i < theta.Length; i++)
            {
                Assert.True(Math.Abs(next[i] - row.Theta[i]) <= 1e-13 * Math.Max(1, Math.Abs(next[i])),
                    $"{name} {options}: step {t + 1}, θ[{i}] = {row.Theta[i]:R}, Optax gives {next[i]:R}");
            }
            double stepNorm = Math.Sqrt(next.Select((x, i) => (x - theta[i]) * (x - theta[i])).Sum());
            Assert.Equal(stepNorm, row.StepNorm, 12);
            theta = next;
        }
        Assert.Equal(theta, result.FinalTheta);
    }

    private static Rule ReferenceRule(string name, System.Text.Json.Nodes.JsonObject o)
    {
        double P(string key) => o[key]!.GetValue<double>();
        switch (name)
        {
            case "gd":
                return (g, _, u) => g.CopyTo(u, 0);
            case "momentum":
            {
                // optax.trace: f ← g + β f; update f (heavy ball) or g + β f (Nesterov).
                double beta = P("momentum");
                bool nesterov = o["nesterov"]!.GetValue<bool>();
                double[]? f = null;
                return (g, _, u) =>
                {
                    f ??= new double[g.Length];
                    for (int i = 0; i < g.Length; i++)
                    {
                        f[i] = g[i] + beta * f[i];
                        u[i] = nesterov ? g[i] + beta * f[i] : f[i];
                    }
                };
            }
            case "adam":
            {
                // optax.scale_by_adam: bias-corrected moments, eps_root inside and eps outside the root.
                double b1 = P("b1"), b2 = P("b2"), eps = P("eps"), epsRoot = P("eps_root");
                double[]? m = null, v = null;
                return (g, t, u) =>
                {
                    m ??= new double[g.Length];
                    v ??= new double[g.Length];
                    for (int i = 0; i < g.Length; i++)
                    {
                        m[i] = b1 * m[i] + (1 - b1) * g[i];
                        v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
                        double mHat = m[i] / (1 - Math.Pow(b1, t + 1)), vHat = v[i] / (1 - Math.Pow(b2, t + 1));
                        u[i] = mHat / (Math.Sqrt(vHat + epsRoot) + eps);
                    }
                };
            }
            case "rmsprop":
            {
                // optax.scale_by_rms: ν ← decay ν + (1 − decay) g², starting at initial_scale; g / √(ν + eps).
                double decay = P("decay"), eps = P("eps"), initial = P("initial_scale");
                double[]? nu = null;
                return (g, _, u) =>
                {
                    if (nu is null)
                    {
                        nu = new double[g.Length];
                        Array.Fill(nu, initial);
                    }
                    for (int i = 0; i < g.Length; i++)
                    {
                        nu[i] = decay * nu[i] + (1 - decay) * g[i] * g[i];
                        u[i] = g[i] / Math.Sqrt(nu[i] + eps);
                    }
                };
            }
            default:
                throw new ArgumentException(name);
        }
    }
}
