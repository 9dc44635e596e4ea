using DluxShera.Contracts;

namespace DluxShera.Samplers.Tests;

/// <summary>Log densities with known moments, written directly (independent of the objectives the host wraps).</summary>
internal sealed class FuncDensity(int dimension, Func<double[], double[], double> evaluate) : ILogDensity
{
    private readonly double[] _theta = new double[dimension];
    private readonly double[] _gradient = new double[dimension];

    public IndexMap IndexMap { get; } = IndexMap.SingleVector(dimension, "x", "x");

    public double Evaluate(ReadOnlySpan<double> theta, Span<double> gradient)
    {
        theta.CopyTo(_theta);
        double lp = evaluate(_theta, _gradient);
        _gradient.CopyTo(gradient);
        return lp;
    }

    /// <summary>N(0, I_D).</summary>
    public static FuncDensity StandardNormal(int d) => new(d, (x, g) =>
    {
        double s = 0;
        for (int i = 0; i < d; i++)
        {
            s += x[i] * x[i];
            g[i] = -x[i];
        }
        return -0.5 * s;
    });

    /// <summary>A 2-D Gaussian with unit variances and correlation ρ.</summary>
    public static FuncDensity Correlated(double rho) => new(2, (x, g) =>
    {
        double det = 1 - rho * rho;
        // Σ⁻¹ = [[1, −ρ], [−ρ, 1]] / (1 − ρ²)
        double a = (x[0] - rho * x[1]) / det, b = (x[1] - rho * x[0]) / det;
        g[0] = -a;
        g[1] = -b;
        return -0.5 * (x[0] * a + x[1] * b);
    });

    /// <summary>Neal's funnel: v ~ N(0, 3²), xᵢ | v ~ N(0, eᵛ), i = 1 … d − 1 (θ = (v, x)).</summary>
    public static FuncDensity Funnel(int d) => new(d, (t, g) =>
    {
        double v = t[0], lp = -v * v / 18.0, sumSq = 0;
        for (int i = 1; i < d; i++)
        {
            sumSq += t[i] * t[i];
            g[i] = -t[i] * Math.Exp(-v);
        }
        lp += -0.5 * sumSq * Math.Exp(-v) - 0.5 * (d - 1) * v;
        g[0] = -v / 9.0 + 0.5 * sumSq * Math.Exp(-v) - 0.5 * (d - 1);
        return lp;
    });
}

/// <summary>Keeps every row in memory, per chain (thread-safe across chains).</summary>
internal sealed class MemorySink : ISampleSink
{
    private readonly Dictionary<int, List<(double[] Theta, bool Warmup, bool Divergent, int Leapfrog, int Depth, double Energy, double LogProb)>> _rows = [];

    public void Append(in SampleRow row)
    {
        var copy = row.Theta.ToArray();
        lock (_rows)
        {
            if (!_rows.TryGetValue(row.Chain, out var list)) _rows[row.Chain] = list = [];
            list.Add((copy, row.Warmup, row.Divergent, row.NumLeapfrog, row.TreeDepth, row.Energy, row.LogDensity));
        }
    }

    public int Chains => _rows.Count;

    public IEnumerable<(double[] Theta, bool Warmup, bool Divergent, int Leapfrog, int Depth, double Energy, double LogProb)> Rows(int chain, bool warmup) =>
        _rows[chain].Where(r => r.Warmup == warmup);

    /// <summary>Parameter <paramref name="index"/> of the kept draws, chains × draws flat.</summary>
    public double[] Column(int index) => Enumerable.Range(0, Chains).SelectMany(c => Rows(c, false).Select(r => r.Theta[index])).ToArray();

    public int Divergences => Enumerable.Range(0, Chains).Sum(c => Rows(c, false).Count(r => r.Divergent));

    public double MeanLeapfrog => Enumerable.Range(0, Chains).SelectMany(c => Rows(c, false)).Average(r => r.Leapfrog);
}

internal sealed class NoProgress : IProgressReporter
{
    public void Report(in ProgressUpdate update)
    {
    }
}

internal static class Run
{
    public static (SamplingResult Result, MemorySink Sink) Nuts(Func<ILogDensity> density, NutsOptions options, double[] start, ulong seed = 7)
    {
        var sink = new MemorySink();
        var sampler = new HamiltonianSampler("nuts", options, (integrator, d) => new NutsKernel(integrator, d, options.MaxTreeDepth));
        var result = sampler.Sample(new SamplingContext
        {
            Density = density(),
            CreateDensity = density,
            InitialThetas = [start],
            Sink = sink,
            Seed = seed,
            Progress = new NoProgress(),
        });
        return (result, sink);
    }

    public static (SamplingResult Result, MemorySink Sink) Hmc(Func<ILogDensity> density, HmcOptions options, double[] start, ulong seed = 7)
    {
        var sink = new MemorySink();
        var sampler = new HamiltonianSampler("hmc", options, (integrator, d) => new StaticHmcKernel(integrator, d, options.IntegrationTime, options.StepSizeJitter, options.MaxNumSteps));
        var result = sampler.Sample(new SamplingContext
        {
            Density = density(),
            CreateDensity = density,
            InitialThetas = [start],
            Sink = sink,
            Seed = seed,
            Progress = new NoProgress(),
        });
        return (result, sink);
    }
}
