namespace DluxShera.Contracts;

/// <summary>A differentiable log density over θ (for a model: −loss plus log prior, plus a log-Jacobian in a transformed θ-space).</summary>
/// <remarks>Implementations may reuse internal buffers; a sampler running chains in parallel asks the host for one
/// density per chain through <see cref="SamplingContext.CreateDensity"/>.</remarks>
public interface ILogDensity
{
    /// <summary>The layout of θ.</summary>
    IndexMap IndexMap { get; }

    /// <summary>Returns log p(θ) (up to a constant) and writes its gradient.</summary>
    /// <param name="theta">θ.</param>
    /// <param name="gradient">Receives ∇ log p(θ).</param>
    double Evaluate(ReadOnlySpan<double> theta, Span<double> gradient);
}

/// <summary>
/// A sampler (HMC, NUTS): draws from a log density, BlackJAX-style init + step over explicit state,
/// with warm-up adaptation as a separate phase recorded in the sample rows.
/// </summary>
public interface ISampler
{
    /// <summary>The registered name.</summary>
    string Name { get; }

    /// <summary>Runs all chains and streams draws to the sink.</summary>
    /// <param name="context">Density, starting points, sink, seed.</param>
    SamplingResult Sample(SamplingContext context);

    /// <summary>The <c>meta.json.sampler</c> block.</summary>
    IReadOnlyDictionary<string, object?> Describe();
}

/// <summary>What a sampler receives.</summary>
public sealed class SamplingContext
{
    /// <summary>The target density (for a single thread; see <see cref="CreateDensity"/> for parallel chains).</summary>
    public required ILogDensity Density { get; init; }

    /// <summary>Creates an independent instance of the density for one chain, so chains can run in parallel;
    /// null when the density may only be used from one thread at a time.</summary>
    public Func<ILogDensity>? CreateDensity { get; init; }

    /// <summary>Starting points, one per chain (each length D).</summary>
    public required IReadOnlyList<double[]> InitialThetas { get; init; }

    /// <summary>Where draws go.</summary>
    public required ISampleSink Sink { get; init; }

    /// <summary>The sampler's seed (record it).</summary>
    public required ulong Seed { get; init; }

    /// <summary>An initial inverse mass matrix diagonal (e.g. 1/curvature), or null for identity. The host leaves it
    /// null (no run-spec key sets it): samplers take an initial metric from their own options (the shipped ones:
    /// <c>init_mass_from</c>, through <see cref="Objective"/>, <see cref="Components"/> and <see cref="Store"/>);
    /// it is for callers that embed a sampler outside the host.</summary>
    public double[]? InverseMassDiagonal { get; init; }

    /// <summary>An initial dense inverse mass matrix, D×D row-major (e.g. the inverse Fisher), or null.
    /// Takes precedence over <see cref="InverseMassDiagonal"/> when both are given. Left null by the host, like
    /// <see cref="InverseMassDiagonal"/>.</summary>
    public double[]? InverseMassDense { get; init; }

    /// <summary>The loss whose negative the density is built from (for curvature-seeded mass matrices), or null.</summary>
    public IObjective? Objective { get; init; }

    /// <summary>Creates other components (curvature estimators) by name, or null.</summary>
    public IComponentResolver? Components { get; init; }

    /// <summary>Opens earlier runs (e.g. to read their <c>fisher.npz</c>), or null.</summary>
    public IArtifactStore? Store { get; init; }

    /// <summary>Progress display.</summary>
    public required IProgressReporter Progress { get; init; }

    /// <summary>Per-chain progress (iteration, warm-up, divergences so far), or null.</summary>
    public IChainProgressReporter? ChainProgress { get; init; }

    /// <summary>Cancellation: the sampler stops every chain and returns what it has with reason <c>cancelled</c>.</summary>
    public CancellationToken Cancellation { get; init; }
}

/// <summary>Progress of one chain.</summary>
/// <param name="Chain">Chain index.</param>
/// <param name="Iteration">Iterations completed (warm-up included).</param>
/// <param name="TotalIterations">Planned iterations (warm-up + draws).</param>
/// <param name="IsWarmup">Whether the chain is still warming up.</param>
/// <param name="Divergences">Divergent transitions after warm-up so far.</param>
/// <param name="StepSize">The current step size.</param>
/// <param name="LogDensity">The current log density.</param>
public readonly record struct ChainProgressUpdate(int Chain, int Iteration, int TotalIterations, bool IsWarmup, int Divergences, double StepSize, double LogDensity);

/// <summary>Receives per-chain progress; called concurrently from chain threads, implementations synchronise and throttle.</summary>
public interface IChainProgressReporter
{
    /// <summary>Reports one chain's progress.</summary>
    /// <param name="update">The update.</param>
    void Report(in ChainProgressUpdate update);
}

/// <summary>One draw with its sample statistics (Stan names).</summary>
public readonly ref struct SampleRow
{
    /// <summary>Creates a row (number of leapfrog steps unknown: 0).</summary>
    /// <param name="chain">Chain index.</param>
    /// <param name="draw">Draw index within the chain (warm-up included).</param>
    /// <param name="theta">θ of the draw; valid during the call only.</param>
    /// <param name="logDensity">log p(θ).</param>
    /// <param name="warmup">Whether the draw belongs to warm-up.</param>
    /// <param name="acceptProb">Mean Metropolis acceptance probability of the transition.</param>
    /// <param name="stepSize">Integrator step size.</param>
    /// <param name="treeDepth">NUTS tree depth (HMC: 0).</param>
    /// <param name="divergent">Whether the transition diverged.</param>
    /// <param name="energy">Hamiltonian energy.</param>
    public SampleRow(int chain, int draw, ReadOnlySpan<double> theta, double logDensity, bool warmup,
        double acceptProb, double stepSize, int treeDepth, bool divergent, double energy)
        : this(chain, draw, theta, logDensity, warmup, acceptProb, stepSize, treeDepth, 0, divergent, energy)
    {
    }

    /// <summary>Creates a row.</summary>
    /// <param name="chain">Chain index.</param>
    /// <param name="draw">Draw index within the chain (warm-up included).</param>
    /// <param name="theta">θ of the draw; valid during the call only.</param>
    /// <param name="logDensity">log p(θ).</param>
    /// <param name="warmup">Whether the draw belongs to warm-up.</param>
    /// <param name="acceptProb">Mean Metropolis acceptance probability of the transition.</param>
    /// <param name="stepSize">Integrator step size.</param>
    /// <param name="treeDepth">NUTS tree depth (HMC: 0).</param>
    /// <param name="numLeapfrog">Leapfrog steps (gradient evaluations) of the transition.</param>
    /// <param name="divergent">Whether the transition diverged.</param>
    /// <param name="energy">Hamiltonian energy.</param>
    public SampleRow(int chain, int draw, ReadOnlySpan<double> theta, double logDensity, bool warmup,
        double acceptProb, double stepSize, int treeDepth, int numLeapfrog, bool divergent, double energy)
        : this(chain, draw, theta, logDensity, warmup, acceptProb, stepSize, treeDepth, numLeapfrog, divergent, energy, double.NaN)
    {
    }

    /// <summary>Creates a row with the gradient norm at the draw (added in contract 1.3).</summary>
    /// <param name="chain">Chain index.</param>
    /// <param name="draw">Draw index within the chain (warm-up included).</param>
    /// <param name="theta">θ of the draw; valid during the call only.</param>
    /// <param name="logDensity">log p(θ).</param>
    /// <param name="warmup">Whether the draw belongs to warm-up.</param>
    /// <param name="acceptProb">Mean Metropolis acceptance probability of the transition.</param>
    /// <param name="stepSize">Integrator step size.</param>
    /// <param name="treeDepth">NUTS tree depth (HMC: 0).</param>
    /// <param name="numLeapfrog">Leapfrog steps (gradient evaluations) of the transition.</param>
    /// <param name="divergent">Whether the transition diverged.</param>
    /// <param name="energy">Hamiltonian energy.</param>
    /// <param name="gradientNorm">‖∇ log p(θ)‖₂ at the draw (the integrator has it for free), or NaN when unknown.</param>
    public SampleRow(int chain, int draw, ReadOnlySpan<double> theta, double logDensity, bool warmup,
        double acceptProb, double stepSize, int treeDepth, int numLeapfrog, bool divergent, double energy, double gradientNorm)
    {
        Chain = chain; Draw = draw; Theta = theta; LogDensity = logDensity; Warmup = warmup;
        AcceptProb = acceptProb; StepSize = stepSize; TreeDepth = treeDepth; NumLeapfrog = numLeapfrog; Divergent = divergent; Energy = energy;
        GradientNorm = gradientNorm;
    }

    /// <summary>Chain index.</summary>
    public int Chain { get; }

    /// <summary>Draw index.</summary>
    public int Draw { get; }

    /// <summary>θ.</summary>
    public ReadOnlySpan<double> Theta { get; }

    /// <summary>log p(θ).</summary>
    public double LogDensity { get; }

    /// <summary>Warm-up draw.</summary>
    public bool Warmup { get; }

    /// <summary>Acceptance probability.</summary>
    public double AcceptProb { get; }

    /// <summary>Step size.</summary>
    public double StepSize { get; }

    /// <summary>Tree depth.</summary>
    public int TreeDepth { get; }

    /// <summary>Leapfrog steps of the transition (0 when unknown).</summary>
    public int NumLeapfrog { get; }

    /// <summary>Divergent transition.</summary>
    public bool Divergent { get; }

    /// <summary>Energy.</summary>
    public double Energy { get; }

    /// <summary>‖∇ log p(θ)‖₂ at the draw (= ‖∇ loss‖ of the trace), NaN when the sampler did not say.</summary>
    public double GradientNorm { get; }
}

/// <summary>Receives draws (the host writes <c>samples.npz</c> and <c>warmup.npz</c>).</summary>
/// <remarks>Chains running in parallel call <see cref="Append"/> concurrently: implementations are thread-safe.
/// The rows of one chain arrive in draw order, warm-up first.</remarks>
public interface ISampleSink
{
    /// <summary>Appends one draw.</summary>
    /// <param name="row">The draw.</param>
    void Append(in SampleRow row);
}

/// <summary>What warm-up adapted for one chain.</summary>
/// <param name="Chain">Chain index.</param>
/// <param name="StepSize">The step size used after warm-up.</param>
/// <param name="InverseMassDiagonal">The diagonal of the inverse mass matrix (length D).</param>
/// <param name="InverseMassDense">The dense inverse mass matrix (D×D row-major), or null for a diagonal metric.</param>
public sealed record ChainAdaptation(int Chain, double StepSize, double[] InverseMassDiagonal, double[]? InverseMassDense);

/// <summary>The outcome of sampling.</summary>
public sealed class SamplingResult
{
    /// <summary>Ok or failed.</summary>
    public required RunStatus Status { get; init; }

    /// <summary>One of <see cref="StopReasons"/>: <c>max_steps</c> when every draw was made.</summary>
    public string StopReason { get; init; } = StopReasons.MaxSteps;

    /// <summary>Message (empty when ok).</summary>
    public string Message { get; init; } = "";

    /// <summary>Chains run.</summary>
    public required int Chains { get; init; }

    /// <summary>Post-warm-up draws per chain.</summary>
    public required int DrawsPerChain { get; init; }

    /// <summary>Gradient evaluations over all chains.</summary>
    public long Evaluations { get; init; }

    /// <summary>The adapted step size and metric of each chain (empty when warm-up did not finish).</summary>
    public IReadOnlyList<ChainAdaptation> Adaptations { get; init; } = [];

    /// <summary>Extra sampler-specific scalars for <c>summary.json</c>; the host computes R̂, ESS and E-BFMI from the draws.</summary>
    public IReadOnlyDictionary<string, object?> Diagnostics { get; init; } = new Dictionary<string, object?>();
}
