using DluxShera.Contracts;

namespace DluxShera.Host.Benchmarks;

/// <summary>
/// The sampler benchmark's targets, the same densities tools/stan-bench/targets.stan.R gives Stan: a 100-D standard
/// normal, a 2-D Gaussian with correlation 0.99, Neal's 10-D funnel and a two-parameter logistic regression whose
/// data both sides compute from the same formula.
/// </summary>
public sealed class SamplerTarget(string name, int dimension, Func<double[], double[], double> logDensity)
{
    /// <summary>The name both sides report.</summary>
    public string Name => name;

    /// <summary>D.</summary>
    public int Dimension => dimension;

    /// <summary>A density instance for one chain (its buffers are its own).</summary>
    public ILogDensity CreateDensity() => new Density(dimension, logDensity);

    /// <summary>All four targets.</summary>
    public static IReadOnlyList<SamplerTarget> All { get; } =
    [
        new("normal_100d", 100, (x, g) =>
        {
            double s = 0;
            for (int i = 0; i < x.Length; i++) { s += x[i] * x[i]; g[i] = -x[i]; }
            return -0.5 * s;
        }),
        new("correlated_rho0.99", 2, (x, g) =>
        {
            const double rho = 0.99, det = 1 - rho * rho;
            double a = (x[0] - rho * x[1]) / det, b = (x[1] - rho * x[0]) / det;
            g[0] = -a;
            g[1] = -b;
            return -0.5 * (x[0] * a + x[1] * b);
        }),
        new("funnel_10d", 10, (t, g) =>
        {
            // v ~ N(0, 3²), x₁…₉ | v ~ N(0, eᵛ); θ = (v, x).
            double v = t[0], e = Math.Exp(-v), sumSq = 0;
            for (int i = 1; i < t.Length; i++) { sumSq += t[i] * t[i]; g[i] = -t[i] * e; }
            g[0] = -v / 9.0 + 0.5 * sumSq * e - 0.5 * (t.Length - 1);
            return -v * v / 18.0 - 0.5 * sumSq * e - 0.5 * (t.Length - 1) * v;
        }),
        LogisticRegression(100),
    ];

    /// <summary>The target called <paramref name="name"/>.</summary>
    /// <param name="name">A name from <see cref="All"/>.</param>
    /// <exception cref="BadInputException">No such target (the message lists the names).</exception>
    public static SamplerTarget Named(string name) => All.FirstOrDefault(t => t.Name == name)
        ?? throw new BadInputException($"--targets: no target '{name}' (expected one of {string.Join(", ", All.Select(t => t.Name))}).");

    /// <summary>
    /// y ~ Bernoulli(σ(a + b·x)), a, b ~ N(0, 2²), with x_j = 2·frac(0.618…·j) − 1 and y_j = [frac(0.754…·j) &lt; σ(0.5 − 1.5·x_j)],
    /// j = 1…n: deterministic data R computes identically.
    /// </summary>
    /// <param name="n">Observations.</param>
    public static SamplerTarget LogisticRegression(int n)
    {
        static double Frac(double v) => v - Math.Floor(v);
        var x = new double[n];
        var y = new double[n];
        for (int j = 1; j <= n; j++)
        {
            x[j - 1] = 2 * Frac(0.6180339887498949 * j) - 1;
            y[j - 1] = Frac(0.7548776662466927 * j) < 1 / (1 + Math.Exp(-(0.5 - 1.5 * x[j - 1]))) ? 1 : 0;
        }
        return new SamplerTarget("logistic_regression", 2, (t, g) =>
        {
            double a = t[0], b = t[1], lp = -(a * a + b * b) / 8.0;
            g[0] = -a / 4.0;
            g[1] = -b / 4.0;
            for (int j = 0; j < n; j++)
            {
                double eta = a + b * x[j];
                // log σ(η) = −softplus(−η), log(1 − σ(η)) = −softplus(η); d/dη = y − σ(η).
                lp -= y[j] == 1 ? Softplus(-eta) : Softplus(eta);
                double r = y[j] - 1 / (1 + Math.Exp(-eta));
                g[0] += r;
                g[1] += r * x[j];
            }
            return lp;
        });
    }

    private static double Softplus(double v) => v > 0 ? v + Math.Log(1 + Math.Exp(-v)) : Math.Log(1 + Math.Exp(v));

    private sealed class Density(int dimension, Func<double[], double[], double> logDensity) : ILogDensity
    {
        private readonly double[] _theta = new double[dimension];
        private readonly double[] _gradient = new double[dimension];

        public IndexMap IndexMap { get; } = IndexMap.SingleVector(dimension, "x", "x");

        public double Evaluate(ReadOnlySpan<double> theta, Span<double> gradient)
        {
            theta.CopyTo(_theta);
            double lp = logDensity(_theta, _gradient);
            _gradient.CopyTo(gradient);
            return lp;
        }
    }
}
