using DluxShera.Contracts;

namespace DluxShera.Samplers;

/// <summary>
/// The facade of <c>sampler:nuts</c> and <c>sampler:hmc</c>: resolves starts and the initial metric, runs every chain
/// (in parallel when the host can give each chain its own density), each with a seed derived from the sampler seed,
/// and collects the adaptation results. A chain's draws depend only on its seed, never on scheduling.
/// </summary>
public sealed class HamiltonianSampler : ISampler
{
    private readonly SamplerOptions _options;
    private readonly Func<LeapfrogIntegrator, int, ITransitionKernel> _kernel;
    private ulong _seed;
    private string _metricSource = "identity";
    private ulong[] _chainSeeds = [];

    /// <summary>Creates a sampler.</summary>
    /// <param name="name"><c>nuts</c> or <c>hmc</c>.</param>
    /// <param name="options">Bound, validated options.</param>
    /// <param name="kernel">Builds a chain's kernel from its integrator and D.</param>
    public HamiltonianSampler(string name, SamplerOptions options, Func<LeapfrogIntegrator, int, ITransitionKernel> kernel)
    {
        Name = name;
        _options = options;
        _kernel = kernel;
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <summary>The seed of chain <paramref name="chain"/>.</summary>
    /// <param name="seed">The sampler seed.</param>
    /// <param name="chain">The chain.</param>
    public static ulong ChainSeed(ulong seed, int chain) => RandomStream.Derive(seed, chain);

    /// <inheritdoc/>
    public SamplingResult Sample(SamplingContext context)
    {
        int chains = _options.NumChains, d = context.Density.IndexMap.Dimension;
        _seed = _options.Seed ?? context.Seed;
        _chainSeeds = Enumerable.Range(0, chains).Select(c => ChainSeed(_seed, c)).ToArray();
        var starts = Starts(context, chains, d);
        (var metric, _metricSource) = InitialMetric.Resolve(_options, context, starts[0]);
        Jitter(starts, metric);

        var schedule = WarmupSchedule.Build(_options.NumWarmup, adaptMetric: _options.AdaptMassMatrix);
        var settings = new ChainSettings(_options.NumWarmup, _options.NumSamples, _options.TargetAccept, _options.StepSize,
            _options.AdaptStepSize, schedule, _options.IsDense);
        var outcomes = new ChainOutcome?[chains];
        var errors = new string?[chains];

        void RunChain(int c, ILogDensity density)
        {
            try
            {
                outcomes[c] = ChainRunner.Run(c, density, starts[c], metric, integrator => _kernel(integrator, d), settings,
                    new RandomStream(_chainSeeds[c]), context.Sink, context.ChainProgress, context.Cancellation);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                errors[c] = $"chain {c}: {e.GetType().Name}: {e.Message}";
            }
        }

        if (context.CreateDensity is { } create && chains > 1)
        {
            var densities = Enumerable.Range(0, chains).Select(c => c == 0 ? context.Density : create()).ToArray();
            var threads = Enumerable.Range(0, chains).Select(c => new Thread(() => RunChain(c, densities[c])) { IsBackground = true, Name = $"chain {c}" }).ToArray();
            foreach (var t in threads) t.Start();
            foreach (var t in threads) t.Join();
        }
        else
        {
            for (int c = 0; c < chains; c++) RunChain(c, context.Density);
        }

        long evaluations = outcomes.Sum(o => o?.Evaluations ?? 0);
        var adaptations = outcomes.Select(o => o?.Adaptation).OfType<ChainAdaptation>().ToArray();
        var diagnostics = new Dictionary<string, object?>
        {
            ["metric_source"] = _metricSource,
            ["warmup_windows"] = schedule.Windows().Select(w => new[] { w.First, w.Last }).ToArray(),
        };
        if (errors.FirstOrDefault(e => e is not null) is { } error)
        {
            return new SamplingResult { Status = RunStatus.Failed, StopReason = StopReasons.Error, Message = error, Chains = chains,
                DrawsPerChain = DrawsKept(outcomes), Evaluations = evaluations, Adaptations = adaptations, Diagnostics = diagnostics };
        }
        if (context.Cancellation.IsCancellationRequested && outcomes.Any(o => o!.Iterations < _options.NumWarmup + _options.NumSamples))
        {
            return new SamplingResult { Status = RunStatus.Failed, StopReason = StopReasons.Cancelled, Message = "cancelled: the draws so far are kept",
                Chains = chains, DrawsPerChain = DrawsKept(outcomes), Evaluations = evaluations, Adaptations = adaptations, Diagnostics = diagnostics };
        }
        return new SamplingResult { Status = RunStatus.Ok, Chains = chains, DrawsPerChain = _options.NumSamples, Evaluations = evaluations,
            Adaptations = adaptations, Diagnostics = diagnostics };
    }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, object?> Describe() => new Dictionary<string, object?>
    {
        ["name"] = Name,
        ["algorithm"] = Name == "nuts" ? "multinomial NUTS (Stan), windowed adaptation" : "static HMC with jittered step size (Stan), windowed adaptation",
        ["seed"] = _seed,
        ["chain_seeds"] = _chainSeeds,
        ["metric"] = _options.MassMatrix,
        ["initial_metric"] = _metricSource,
    };

    private int DrawsKept(ChainOutcome?[] outcomes) =>
        outcomes.Length == 0 ? 0 : Math.Max(0, outcomes.Min(o => o?.Iterations ?? 0) - _options.NumWarmup);

    private double[][] Starts(SamplingContext context, int chains, int d)
    {
        double[] start;
        if (_options.InitFrom is { } run)
        {
            if (context.Store is null) throw new InvalidOperationException("sampler.options.init_from: this host gives the sampler no artifact store to read runs with");
            var checkpoint = context.Store.OpenRun(run).LoadCheckpoint("best")
                ?? throw new InvalidOperationException($"sampler.options.init_from: {run} has no checkpoint_best.npz");
            if (checkpoint.Theta.Length != d) throw new InvalidOperationException($"sampler.options.init_from: {run}'s best θ has {checkpoint.Theta.Length} entries; this θ has {d}");
            start = checkpoint.Theta;
        }
        else
        {
            if (context.InitialThetas.Count == 0) throw new InvalidOperationException("the host gave no starting point");
            start = context.InitialThetas[0];
        }
        return Enumerable.Range(0, chains)
            .Select(c => (double[])(_options.InitFrom is null && c < context.InitialThetas.Count ? context.InitialThetas[c] : start).Clone())
            .ToArray();
    }

    // Overdispersed starts: θ_c += jitter · σ_metric · z with a stream of its own per chain (not the chain's).
    private void Jitter(double[][] starts, EuclideanMetric metric)
    {
        if (_options.InitJitter == 0) return;
        var scale = metric.InverseMassDiagonal();
        for (int c = 0; c < starts.Length; c++)
        {
            var rng = new RandomStream(RandomStream.Derive(_seed ^ 0xA5A5A5A5A5A5A5A5UL, c));
            for (int i = 0; i < starts[c].Length; i++) starts[c][i] += _options.InitJitter * Math.Sqrt(scale[i]) * rng.NextNormal();
        }
    }
}
