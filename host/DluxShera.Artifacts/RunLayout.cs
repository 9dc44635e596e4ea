namespace DluxShera.Artifacts;

/// <summary>File names and constants of the <c>dluxshera-run-v0</c> layout.</summary>
public static class RunLayout
{
    /// <summary>The schema identifier written to meta.json.</summary>
    public const string Schema = "dluxshera-run-v0";

    /// <summary>Trace arrays.</summary>
    public const string Trace = "trace.npz";

    /// <summary>Interpretation metadata.</summary>
    public const string Meta = "meta.json";

    /// <summary>Aggregation-friendly scalars.</summary>
    public const string Summary = "summary.json";

    /// <summary>Best point.</summary>
    public const string CheckpointBest = "checkpoint_best.npz";

    /// <summary>Final point.</summary>
    public const string CheckpointFinal = "checkpoint_final.npz";

    /// <summary>Cached signals.</summary>
    public const string Signals = "signals.npz";

    /// <summary>Sparse per-step scalars.</summary>
    public const string DiagSteps = "diag_steps.jsonl";

    /// <summary>Sparse gradients.</summary>
    public const string Grads = "grads.npz";

    /// <summary>Preconditioner and per-index learning rates.</summary>
    public const string Precond = "precond.npz";

    /// <summary>Curvature diagonal.</summary>
    public const string Curvature = "curvature.npz";

    /// <summary>Data, model at the best point and variance of an image objective.</summary>
    public const string Images = "images.npz";

    /// <summary>The loss Hessian at the best point (<c>hessian</c>, <c>theta</c>), with <c>run.uncertainty</c>.</summary>
    public const string Fisher = "fisher.npz";

    /// <summary>
    /// The objective's derived quantities per trace row (its <c>IThetaDecoder</c> entries that are not primitive parameters,
    /// e.g. SHERA's <c>binary.raw_fluxes</c>), one array (T, K) each, recorded while the model exists so <c>plot</c> can
    /// rebuild the signals without it.
    /// </summary>
    public const string Derived = "derived.npz";

    /// <summary>Sampler draws after warm-up: <c>theta</c> (chains, draws, D) and the sample statistics (chains, draws).</summary>
    public const string Samples = "samples.npz";

    /// <summary>Sampler warm-up draws, laid out as <see cref="Samples"/>.</summary>
    public const string Warmup = "warmup.npz";

    /// <summary>What warm-up adapted per chain: <c>step_size</c> (chains,), <c>inv_metric</c> (chains, D) or (chains, D, D).</summary>
    public const string Adaptation = "adaptation.npz";

    /// <summary>Rows streamed during the run; packed into trace.npz at the end, left behind by a crash.</summary>
    public const string PartialTraceDirectory = "trace.partial";

    /// <summary>Figures.</summary>
    public const string Figures = "figures";

    /// <summary>The trace channels, in file order, after <c>loss</c> and <c>theta</c>.</summary>
    public static IReadOnlyList<string> ScalarChannels { get; } = ["grad_norm", "step_norm", "base_lr"];
}
