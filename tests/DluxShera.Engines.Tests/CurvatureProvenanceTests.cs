using DluxShera.Curvature;
using DluxShera.TestProblems;
using Xunit;

namespace DluxShera.Tests;

/// <summary>
/// What the estimators record in meta.json and say in messages, against docs/curvature.md: Hutchinson's probes can
/// be rebuilt from the recorded seed and stream rule (SplitMix64, checked here against its published reference
/// outputs), the provenance keys carry the documented values, and bad options are refused with their own message.
/// </summary>
public class CurvatureProvenanceTests
{
    /// <summary>The rule meta.json records (docs/curvature.md quotes it).</summary>
    private const string ProbeStreamRule = "stream 0 starts at seed; stream k > 0 at splitmix64(seed ^ (0xD1B54A32D192ED03 * k))";

    /// <summary>Vigna's SplitMix64 (prng.di.unimi.it/splitmix64.c), written out for the test.</summary>
    private static ulong ReferenceSplitMix64(ref ulong state)
    {
        unchecked
        {
            state += 0x9E3779B97F4A7C15UL;
            ulong z = state;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }

    [Fact]
    public void The_reference_generator_gives_splitmix64_s_published_outputs_for_seed_zero()
    {
        ulong state = 0;
        Assert.Equal(0xE220A8397B1DCDAFUL, ReferenceSplitMix64(ref state));
        Assert.Equal(0x6E789E6AA1B965F4UL, ReferenceSplitMix64(ref state));
        Assert.Equal(0x06C45D188009454FUL, ReferenceSplitMix64(ref state));
    }

    /// <summary>
    /// K probes of dimension D from stream <paramref name="stream"/> as docs/curvature.md states: the stream's first
    /// state from the recorded rule, then one SplitMix64 output per entry, probe by probe; +1 where its lowest bit is 0.
    /// </summary>
    private static double[][] DocumentedProbes(ulong seed, int stream, int probes, int d)
    {
        ulong state = seed;
        if (stream > 0)
        {
            ulong first = unchecked(seed ^ (0xD1B54A32D192ED03UL * (ulong)stream));
            state = ReferenceSplitMix64(ref first);
        }
        var v = new double[probes][];
        for (int k = 0; k < probes; k++)
        {
            v[k] = new double[d];
            for (int i = 0; i < d; i++) v[k][i] = (ReferenceSplitMix64(ref state) & 1) == 0 ? 1 : -1;
        }
        return v;
    }

    [Fact]
    public void Hutchinson_s_probes_can_be_rebuilt_from_the_recorded_seed_and_stream_rule()
    {
        const int d = 5, probes = 3;
        const ulong seed = 20261129;
        var q = new DenseQuadratic(d, 8);
        var hutchinson = new HutchinsonDiagonal(new HutchinsonOptions { Probes = probes }, seed);
        var theta = new double[d];
        // Three estimates (the first and two refreshes) use streams 0, 1, 2.
        for (int stream = 0; stream < 3; stream++)
        {
            var raw = hutchinson.Estimate(q, theta, default).RawDiagonal!;
            // (1/K) Σ_k (A v_k) ⊙ v_k, with A dense, so every off-diagonal term depends on the probes' signs.
            var expected = new double[d];
            foreach (var v in DocumentedProbes(seed, stream, probes, d))
            {
                for (int i = 0; i < d; i++) expected[i] += Enumerable.Range(0, d).Sum(j => q.A[i, j] * v[j]) * v[i] / probes;
            }
            for (int i = 0; i < d; i++) Assert.Equal(expected[i], raw[i], 1e-12 * Math.Max(1, Math.Abs(expected[i])));
        }
        var described = hutchinson.Describe();
        Assert.Equal(3, described["probe_streams"]);
        Assert.Equal(ProbeStreamRule, described["probe_stream_rule"]);
        Assert.Equal(seed, described["seed"]);
        Assert.Equal(seed, HutchinsonDiagonal.StreamSeed(seed, 0));
    }

    [Fact]
    public void Ema_grad2_records_how_many_gradients_it_has_seen()
    {
        var ema = new EmaGradientSquares(new EmaGrad2Options { Beta = 0.5, Init = EmaInit.Zero });
        Assert.Equal(0, ema.Describe()["observed"]);
        ema.Observe(0, [1.0, 2.0]);
        ema.Observe(1, [1.0, 2.0]);
        ema.Observe(2, [1.0, 2.0]);
        Assert.Equal(3, ema.Describe()["observed"]);
        Assert.Equal(3, ema.Observed);

        // Asked before any step: one gradient at θ, which then counts as observed.
        var fresh = new EmaGradientSquares(new EmaGrad2Options());
        var q = new DiagonalQuadratic(new QuadraticOptions { Dimension = 2 });
        var e = fresh.Estimate(q, [1.0, 1.0], default);
        Assert.Equal(1, e.Evaluations);
        Assert.Equal(1, fresh.Describe()["observed"]);
    }

    [Fact]
    public void Empirical_fisher_records_its_reduction_and_spends_one_gradient_per_observation()
    {
        var p = new NoisyLinearLeastSquares(new NoisyLinearOptions { Dimension = 3, Observations = 17, Seed = 3 });
        var sum = new EmpiricalFisherDiagonal(new EmpiricalFisherOptions());
        Assert.Equal(17, sum.Estimate(p, new double[3], default).Evaluations);
        Assert.Equal("sum", sum.Describe()["reduction"]);
        Assert.Equal("mean", new EmpiricalFisherDiagonal(new EmpiricalFisherOptions { Reduction = Reduction.Mean }).Describe()["reduction"]);
    }

    [Fact]
    public void Bad_options_are_refused_with_their_key_and_what_was_expected()
    {
        Assert.Equal([("probes", "must be ≥ 1")], new HutchinsonOptions { Probes = 0 }.Validate());
        Assert.Equal([("beta", "must be in [0, 1)")], new EmaGrad2Options { Beta = 1 }.Validate());
        Assert.Equal([("floor", "must be a finite number ≥ 0")], new GuardrailOptions { Floor = -1 }.Validate());
        Assert.Equal([("ceiling", "must exceed floor")], new GuardrailOptions { Floor = 2, Ceiling = 1 }.Validate());
        // Each options class keeps the shared guardrail checks.
        Assert.Equal(["floor", "probes"], new HutchinsonOptions { Probes = 0, Floor = -1 }.Validate().Select(p => p.Key));
        Assert.Equal(["ceiling", "beta"], new EmaGrad2Options { Beta = -1, Floor = 1, Ceiling = 1 }.Validate().Select(p => p.Key));
    }

    [Fact]
    public void A_missing_capability_is_named_with_the_objective_and_the_alternatives()
    {
        var r = new Rosenbrock(new RosenbrockOptions());
        var fisher = Assert.Throws<NotSupportedException>(() => new EmpiricalFisherDiagonal(new EmpiricalFisherOptions()).Estimate(r, new double[2], default)).Message;
        Assert.StartsWith("empirical_fisher needs per-observation loss terms", fisher);
        Assert.Contains("'rosenbrock'", fisher);
        Assert.Contains("IPerObservationObjective", fisher);
        Assert.Contains("use hutchinson, gn_diag or ema_grad2", fisher);
        var gn = Assert.Throws<NotSupportedException>(() => new GaussNewtonDiagonal(new GuardrailOptions()).Estimate(r, new double[2], default)).Message;
        Assert.StartsWith("gn_diag needs residuals (IResidualObjective)", gn);
        Assert.Contains("'rosenbrock'", gn);
        Assert.Contains("use hutchinson or fisher_dense", gn);
    }
}
