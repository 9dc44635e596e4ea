using System.Collections.Concurrent;
using DluxShera.Contracts;

namespace DluxShera.Host.Sampling;

/// <summary>
/// Keeps every chain's rows in memory (one buffer per chain, so chains append without locks) and streams chain 0's
/// rows to the run's trace as its progress record. <see cref="Arrays"/> packs them as samples.npz / warmup.npz.
/// </summary>
/// <param name="dimension">D.</param>
/// <param name="trace">Receives chain 0's rows as trace rows (loss = −log p, grad_norm = ‖∇ log p‖ at the draw as the sampler
/// reports it, base_lr = step size, accepted = not divergent).</param>
public sealed class SampleCollector(int dimension, ITraceSink trace) : ISampleSink
{
    private readonly ConcurrentDictionary<int, ChainBuffer> _chains = new();
    private readonly double[] _previous = new double[dimension];
    private readonly Lock _gate = new();
    private bool _frozen;

    /// <summary>Ignores rows from now on (the run is being saved while chains may still be running).</summary>
    public void Freeze()
    {
        lock (_gate) _frozen = true;
    }

    /// <summary>Chains that sent rows, in index order.</summary>
    public int Chains => _chains.IsEmpty ? 0 : _chains.Keys.Max() + 1;

    /// <inheritdoc/>
    public void Append(in SampleRow row)
    {
        if (row.Theta.Length != dimension) throw new ArgumentException($"sample row of chain {row.Chain} has θ of length {row.Theta.Length}; D = {dimension}");
        // One lock for all chains: cheap next to a gradient, and it lets the stop-now path read consistent buffers.
        lock (_gate)
        {
            if (_frozen) return;
            AppendLocked(row);
        }
    }

    private void AppendLocked(in SampleRow row)
    {
        var buffer = _chains.GetOrAdd(row.Chain, _ => new ChainBuffer());
        (row.Warmup ? buffer.Warmup : buffer.Samples).Add(row);
        if (row.Chain == 0)
        {
            double stepNorm = 0;
            for (int i = 0; i < dimension; i++)
            {
                double delta = row.Theta[i] - _previous[i];
                stepNorm += delta * delta;
            }
            trace.Append(new TraceRow(row.Draw, -row.LogDensity, row.Theta, row.GradientNorm, row.Draw == 0 ? 0 : Math.Sqrt(stepNorm), row.StepSize, !row.Divergent));
            row.Theta.CopyTo(_previous);
        }
    }

    /// <summary>Post-warm-up draws kept per chain: the fewest any chain made (so the arrays are rectangular).</summary>
    public int CommonDraws(bool warmup) => Chains == 0 ? 0 : Enumerable.Range(0, Chains).Min(c => _chains.TryGetValue(c, out var b) ? (warmup ? b.Warmup : b.Samples).Count : 0);

    /// <summary>The rows as arrays: <c>theta</c> (chains, draws, D) and Stan-named statistics (chains, draws).</summary>
    /// <param name="warmup">Warm-up rows instead of draws.</param>
    public Dictionary<string, NdArray> Arrays(bool warmup)
    {
        lock (_gate) return ArraysLocked(warmup);
    }

    private Dictionary<string, NdArray> ArraysLocked(bool warmup)
    {
        int chains = Chains, n = CommonDraws(warmup);
        var theta = new double[chains * n * dimension];
        var logProb = new double[chains * n];
        var stepSize = new double[chains * n];
        var treeDepth = new long[chains * n];
        var leapfrog = new long[chains * n];
        var diverging = new bool[chains * n];
        var energy = new double[chains * n];
        var accept = new double[chains * n];
        for (int c = 0; c < chains; c++)
        {
            var rows = warmup ? _chains[c].Warmup : _chains[c].Samples;
            for (int t = 0; t < n; t++)
            {
                int k = c * n + t;
                rows.CopyTheta(t, theta.AsSpan(k * dimension, dimension));
                var s = rows.Stats[t];
                (logProb[k], stepSize[k], treeDepth[k], leapfrog[k], diverging[k], energy[k], accept[k]) =
                    (s.LogProb, s.StepSize, s.TreeDepth, s.NumLeapfrog, s.Divergent, s.Energy, s.AcceptStat);
            }
        }
        return new Dictionary<string, NdArray>
        {
            ["theta"] = new(theta, chains, n, dimension),
            ["log_prob"] = new(logProb, chains, n),
            ["step_size"] = new(stepSize, chains, n),
            ["tree_depth"] = new(treeDepth, chains, n),
            ["n_leapfrog"] = new(leapfrog, chains, n),
            ["diverging"] = new(diverging, chains, n),
            ["energy"] = new(energy, chains, n),
            ["accept_stat"] = new(accept, chains, n),
        };
    }

    private readonly record struct Stats(double LogProb, double StepSize, long TreeDepth, long NumLeapfrog, bool Divergent, double Energy, double AcceptStat);

    private sealed class ChainBuffer
    {
        public RowList Warmup { get; } = new();

        public RowList Samples { get; } = new();
    }

    private sealed class RowList
    {
        private readonly List<double> _theta = [];

        public List<Stats> Stats { get; } = [];

        public int Count => Stats.Count;

        public void Add(in SampleRow row)
        {
            foreach (double v in row.Theta) _theta.Add(v);
            Stats.Add(new Stats(row.LogDensity, row.StepSize, row.TreeDepth, row.NumLeapfrog, row.Divergent, row.Energy, row.AcceptProb));
        }

        public void CopyTheta(int t, Span<double> destination)
        {
            int d = destination.Length;
            for (int i = 0; i < d; i++) destination[i] = _theta[t * d + i];
        }
    }
}
