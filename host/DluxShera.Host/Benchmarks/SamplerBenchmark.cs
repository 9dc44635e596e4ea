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
/// settings (4 chains, 1000 warm-up + 1000 draws, diagonal metric, target acceptance 0.8, max tree depth 10).
/// ESS = the smallest rank-normalised bulk ESS over parameters; gradients = leapfrog steps of the draws (warm-up
/// excluded, as Stan's n_leapfrog__); seconds = process CPU time of the whole call (warm-up included), which is what
/// Stan's summed per-chain elapsed times measure when its chains run one after another.
/// </summary>
public static class SamplerBenchmark
{
    /// <summary>Runs every target and prints one row each (and JSON with <paramref name="json"/>).</summary>
    /// <param name="catalog">Registered components (sampler:nuts).</param>
    /// <param name="o">Output.</param>
    /// <param name="json">Also print the rows as one JSON object.</param>
    /// <param name="seed">The sampler's seed.</param>
    public static int Execute(ComponentCatalog catalog, TextWriter o, bool json, ulong seed = 20261129)
    {
        var rows = new JsonObject();
        o.WriteLine($"{"target",-22} {"min ESS",8} {"grads",9} {"ESS/grad",9} {"ESS/s",9} {"div",4} {"max R̂",7}");
        foreach (var target in SamplerTarget.All)
        {
            var sampler = catalog.Create<ISampler>(ComponentKinds.Sampler, new ComponentReference
            {
                Name = "nuts",
                Options = new JsonObject
                {
                    ["num_chains"] = 4, ["num_warmup"] = 1000, ["num_samples"] = 1000, ["max_tree_depth"] = 10,
                    ["target_accept"] = 0.8, ["mass_matrix"] = "diag", ["init_jitter"] = 2.0,
                },
            }, "bench");
            var sink = new CountingSink(target.Dimension);
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var result = sampler.Sample(new SamplingContext
            {
                Density = target.CreateDensity(),
                CreateDensity = target.CreateDensity,
                InitialThetas = [new double[target.Dimension]],
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
            long gradients = sink.Gradients;
            o.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{target.Name,-22} {minEss,8:F0} {gradients,9} {minEss / gradients,9:F4} {minEss / seconds,9:F0} {sink.Divergences,4} {maxRHat,7:F3}"));
            rows[target.Name] = new JsonObject
            {
                ["min_ess_bulk"] = minEss, ["gradients"] = gradients, ["seconds"] = seconds, ["ess_per_gradient"] = minEss / gradients,
                ["ess_per_second"] = minEss / seconds, ["divergences"] = sink.Divergences, ["max_rhat"] = maxRHat,
            };
        }
        if (json) o.WriteLine(rows.ToJsonString());
        return ExitCodes.Ok;
    }

    // Keeps the post-warm-up draws per chain and counts their leapfrog steps and divergences.
    private sealed class CountingSink(int dimension) : ISampleSink
    {
        private readonly Lock _gate = new();
        private readonly Dictionary<int, List<double>> _draws = [];

        public long Gradients { get; private set; }

        public int Divergences { get; private set; }

        public void Append(in SampleRow row)
        {
            if (row.Warmup) return;
            lock (_gate)
            {
                if (!_draws.TryGetValue(row.Chain, out var list)) _draws[row.Chain] = list = [];
                foreach (double v in row.Theta) list.Add(v);
                Gradients += row.NumLeapfrog;
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
