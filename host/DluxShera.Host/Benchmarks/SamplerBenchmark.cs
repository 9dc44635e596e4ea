using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using DluxShera.Contracts;
using DluxShera.Host.Components;
using DluxShera.Host.Runs;
using DluxShera.Posterior;

namespace DluxShera.Host.Benchmarks;

/// <summary>
/// <c>dluxshera bench samplers</c>: sampler:nuts on the targets of tools/stan-bench (docs/benchmarks.md), with Stan's
/// settings (4 chains, 1000 warm-up + 1000 draws, diagonal metric, target acceptance 0.8, max tree depth 10, every coordinate
/// of every chain's start uniform in (−2, 2)).
/// ESS = the smallest rank-normalised bulk ESS over parameters; gradients = leapfrog steps of the draws (warm-up
/// excluded, as Stan's n_leapfrog__); seconds = process CPU time of the whole call (warm-up included), which is what
/// Stan's summed per-chain elapsed times measure when its chains run one after another.
/// </summary>
public static class SamplerBenchmark
{
    /// <summary>The seed of the one-seed run (the seed tools/stan-bench uses by default).</summary>
    public const ulong DefaultSeed = 20261129;

    /// <summary>
    /// Runs every target (or the named ones) once per seed, prints one row per run and, with several seeds, the mean and
    /// sample sd of ESS per gradient per target (and all of it as JSON with <paramref name="json"/>).
    /// </summary>
    /// <param name="catalog">Registered components (sampler:nuts).</param>
    /// <param name="o">Output.</param>
    /// <param name="json">Also print the rows as one JSON object.</param>
    /// <param name="seeds">The sampler seeds, one run per target each.</param>
    /// <param name="targets">Target names to run, or null for all.</param>
    /// <param name="fixedStep">Null: Stan's adaptive settings. Otherwise the kernel alone: no warm-up, no adaptation, this
    /// step size and the identity metric, every chain started at 0 (what stan_bench.R does with STAN_BENCH_FIXED_STEP).</param>
    /// <param name="adaptMetric">True: adapt a diagonal metric in Stan's windows (diag_e). False: keep the identity metric and
    /// adapt the step size alone (Stan's unit_e; stan_bench.R with STAN_BENCH_METRIC=unit_e).</param>
    public static int Execute(ComponentCatalog catalog, TextWriter o, bool json, IReadOnlyList<ulong> seeds, IReadOnlyList<string>? targets = null,
        FixedStep? fixedStep = null, bool adaptMetric = true)
    {
        var chosen = targets is null ? SamplerTarget.All : targets.Select(SamplerTarget.Named).ToArray();
        var rows = new JsonObject();
        o.WriteLine($"{"target",-22} {"seed",10} {"min ESS",8} {"grads",9} {"ESS/grad",9} {"ESS/s",9} {"div",4} {"max R̂",7} {"mean ε",7}");
        foreach (var target in chosen)
        {
            var runs = new JsonArray();
            var perGradient = new List<double>();
            foreach (ulong seed in seeds)
            {
                var run = RunOnce(catalog, target, seed, fixedStep, adaptMetric);
                perGradient.Add(run.EssPerGradient);
                o.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{target.Name,-22} {seed,10} {run.MinEss,8:F0} {run.Gradients,9} {run.EssPerGradient,9:F4} {run.MinEss / run.Seconds,9:F0} {run.Divergences,4} {run.MaxRHat,7:F3} {run.MeanStepSize,7:F3}"));
                runs.Add(new JsonObject
                {
                    ["seed"] = seed, ["min_ess_bulk"] = run.MinEss, ["gradients"] = run.Gradients, ["seconds"] = run.Seconds,
                    ["ess_per_gradient"] = run.EssPerGradient, ["ess_per_second"] = run.MinEss / run.Seconds, ["divergences"] = run.Divergences,
                    ["max_rhat"] = run.MaxRHat, ["mean_step_size"] = run.MeanStepSize,
                    ["step_sizes"] = new JsonArray([.. run.StepSizes.Select(v => (JsonNode?)v)]),
                    ["inverse_metrics"] = new JsonArray([.. run.InverseMetrics.Select(m => (JsonNode?)new JsonArray([.. m.Select(v => (JsonNode?)v)]))]),
                    ["tree_depth_fractions"] = new JsonObject(run.TreeDepthFractions.Select(kv =>
                        KeyValuePair.Create(kv.Key.ToString(CultureInfo.InvariantCulture), (JsonNode?)kv.Value))),
                });
                if (fixedStep is not null)
                {
                    o.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{"",22} tree depths {string.Join(" ", run.TreeDepthFractions.Select(kv => $"{kv.Key}:{kv.Value:F4}"))}"));
                }
            }
            double mean = perGradient.Average();
            double sd = perGradient.Count > 1 ? McmcDiagnostics.StandardDeviation([.. perGradient]) : double.NaN;
            if (perGradient.Count > 1)
            {
                o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{target.Name,-22} ESS/grad over {perGradient.Count} seeds: mean {mean:F4} sd {sd:F4}"));
            }
            rows[target.Name] = new JsonObject
            {
                ["seeds"] = perGradient.Count, ["ess_per_gradient_mean"] = mean, ["ess_per_gradient_sd"] = perGradient.Count > 1 ? sd : null, ["runs"] = runs,
            };
        }
        if (json) o.WriteLine(rows.ToJsonString());
        return ExitCodes.Ok;
    }

    // One run of sampler:nuts on one target with Stan's settings (or the fixed-step kernel check).
    private static BenchRun RunOnce(ComponentCatalog catalog, SamplerTarget target, ulong seed, FixedStep? fixedStep, bool adaptMetric)
    {
        var options = new JsonObject
        {
            ["num_chains"] = 4, ["num_warmup"] = 1000, ["num_samples"] = 1000, ["max_tree_depth"] = 10,
            ["target_accept"] = 0.8, ["mass_matrix"] = "diag", ["adapt_mass_matrix"] = adaptMetric,
        };
        if (fixedStep is not null)
        {
            options["num_warmup"] = 0;
            options["num_samples"] = fixedStep.Draws;
            options["adapt_step_size"] = false;
            options["adapt_mass_matrix"] = false;
            options["step_size"] = fixedStep.StepSize;
        }
        var sampler = catalog.Create<ISampler>(ComponentKinds.Sampler, new ComponentReference { Name = "nuts", Options = options }, "bench");
        var sink = new CountingSink(target.Dimension);
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var result = sampler.Sample(new SamplingContext
        {
            Density = target.CreateDensity(),
            CreateDensity = target.CreateDensity,
            InitialThetas = fixedStep is null ? UniformStarts(4, target.Dimension, seed) : [.. Enumerable.Range(0, 4).Select(_ => new double[target.Dimension])],
            Sink = sink,
            Seed = seed,
            Progress = new SilentProgress(),
        });
        double seconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
        if (result.Status != RunStatus.Ok) throw new InvalidOperationException($"bench samplers: {target.Name}: {result.Message}");
        int chains = result.Chains;
        double minEss = double.PositiveInfinity, maxRHat = 0;
        for (int i = 0; i < target.Dimension; i++)
        {
            var draws = sink.Column(i, chains);
            minEss = Math.Min(minEss, McmcDiagnostics.EssBulk(draws, chains));
            maxRHat = Math.Max(maxRHat, McmcDiagnostics.RHat(draws, chains));
        }
        var depths = sink.TreeDepths.OrderBy(kv => kv.Key).ToDictionary(kv => kv.Key, kv => kv.Value / (double)sink.Draws);
        return new BenchRun(minEss, sink.Gradients, seconds, sink.Divergences, maxRHat, depths,
            [.. result.Adaptations.Select(a => a.StepSize)], [.. result.Adaptations.Select(a => a.InverseMassDiagonal)]);
    }

    // Stan's default inits: every coordinate uniform in (−2, 2), a start per chain, from a stream of the seed's own.
    private static double[][] UniformStarts(int chains, int dimension, ulong seed)
    {
        var rng = new Random(unchecked((int)(seed ^ (seed >> 32))));
        return Enumerable.Range(0, chains).Select(_ => Enumerable.Range(0, dimension).Select(_ => 4 * rng.NextDouble() - 2).ToArray()).ToArray();
    }

    /// <summary>The kernel check's settings: one step size, this many draws per chain.</summary>
    /// <param name="StepSize">ε, fixed.</param>
    /// <param name="Draws">Draws per chain.</param>
    public sealed record FixedStep(double StepSize, int Draws);

    private sealed record BenchRun(double MinEss, long Gradients, double Seconds, int Divergences, double MaxRHat,
        IReadOnlyDictionary<int, double> TreeDepthFractions, double[] StepSizes, double[][] InverseMetrics)
    {
        public double EssPerGradient => MinEss / Gradients;

        // Over the chains' adapted (or fixed) step sizes; NaN when no chain reported one.
        public double MeanStepSize => StepSizes.Length == 0 ? double.NaN : StepSizes.Average();
    }

    // Keeps the post-warm-up draws per chain and counts their leapfrog steps and divergences.
    private sealed class CountingSink(int dimension) : ISampleSink
    {
        private readonly Lock _gate = new();
        private readonly Dictionary<int, List<double>> _draws = [];

        public long Gradients { get; private set; }

        public int Divergences { get; private set; }

        public long Draws { get; private set; }

        public Dictionary<int, long> TreeDepths { get; } = [];

        public void Append(in SampleRow row)
        {
            if (row.Warmup) return;
            lock (_gate)
            {
                if (!_draws.TryGetValue(row.Chain, out var list)) _draws[row.Chain] = list = [];
                foreach (double v in row.Theta) list.Add(v);
                Gradients += row.NumLeapfrog;
                Draws++;
                TreeDepths[row.TreeDepth] = TreeDepths.GetValueOrDefault(row.TreeDepth) + 1;
                if (row.Divergent) Divergences++;
            }
        }

        // Parameter i's draws laid out chains × n (what McmcDiagnostics expects).
        public double[] Column(int i, int chains)
        {
            int n = _draws.Values.Min(l => l.Count) / dimension;
            var column = new double[chains * n];
            for (int c = 0; c < chains; c++)
            {
                for (int t = 0; t < n; t++) column[c * n + t] = _draws[c][t * dimension + i];
            }
            return column;
        }
    }
}
