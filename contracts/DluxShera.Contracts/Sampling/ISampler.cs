namespace DluxShera.Contracts;

/// <summary>A differentiable log density over θ (for a model: −loss plus log prior).</summary>
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
    /// <summary>The target density.</summary>
    public required ILogDensity Density { get; init; }

    /// <summary>Starting points, one per chain (each length D).</summary>
    public required IReadOnlyList<double[]> InitialThetas { get; init; }

    /// <summary>Where draws go.</summary>
    public required ISampleSink Sink { get; init; }

    /// <summary>The sampler's seed (record it).</summary>
    public required ulong Seed { get; init; }

    /// <summary>An initial inverse mass matrix diagonal (e.g. 1/curvature), or null for identity.</summary>
    public double[]? InverseMassDiagonal { get; init; }

    /// <summary>Progress display.</summary>
    public required IProgressReporter Progress { get; init; }

    /// <summary>Cancellation.</summary>
    public CancellationToken Cancellation { get; init; }
}

/// <summary>One draw with its sample statistics (Stan names).</summary>
public readonly ref struct SampleRow
{
    /// <summary>Creates a row.</summary>
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
    {
        Chain = chain; Draw = draw; Theta = theta; LogDensity = logDensity; Warmup = warmup;
        AcceptProb = acceptProb; StepSize = stepSize; TreeDepth = treeDepth; Divergent = divergent; Energy = energy;
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

    /// <summary>Divergent transition.</summary>
    public bool Divergent { get; }

    /// <summary>Energy.</summary>
    public double Energy { get; }
}

/// <summary>Receives draws (an artifact store writes <c>samples.npz</c>).</summary>
public interface ISampleSink
{
    /// <summary>Appends one draw.</summary>
    /// <param name="row">The draw.</param>
    void Append(in SampleRow row);
}

/// <summary>The outcome of sampling.</summary>
public sealed class SamplingResult
{
    /// <summary>Ok or failed.</summary>
    public required RunStatus Status { get; init; }

    /// <summary>Message (empty when ok).</summary>
    public string Message { get; init; } = "";

    /// <summary>Chains run.</summary>
    public required int Chains { get; init; }

    /// <summary>Post-warm-up draws per chain.</summary>
    public required int DrawsPerChain { get; init; }

    /// <summary>Diagnostics for <c>summary.json</c> (divergences, R̂, ESS…).</summary>
    public IReadOnlyDictionary<string, object?> Diagnostics { get; init; } = new Dictionary<string, object?>();
}
