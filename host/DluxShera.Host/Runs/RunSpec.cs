using DluxShera.Contracts;

namespace DluxShera.Host.Runs;

/// <summary>A run spec (docs/run-spec.md): which components, with which options, and run settings.</summary>
public sealed class RunSpec
{
    /// <summary>Free text, copied to meta.json.</summary>
    public string? Description { get; set; }

    /// <summary>Run settings.</summary>
    public RunSettings Run { get; set; } = new();

    /// <summary>The objective (<c>objective:name</c>).</summary>
    public ComponentReference Objective { get; set; } = new();

    /// <summary>The optimizer engine (<c>optimizer:name</c>); absent in a sampling run.</summary>
    public ComponentReference Optimizer { get; set; } = new();

    /// <summary>The sampler (<c>sampler:name</c>): a spec with a sampler block instead of an optimizer block is a sampling run.</summary>
    public ComponentReference? Sampler { get; set; }
    /// <summary>The θ-space engines work in: <c>identity</c> (primitive θ), <c>eigen</c>, <c>unconstrained</c> or <c>compose</c>.</summary>
    public DluxShera.Host.Theta.ThetaMapSpec ThetaMap { get; set; } = new();

    /// <summary>The artifact store; default <c>filesystem</c>.</summary>
    public ComponentReference Store { get; set; } = new() { Name = "filesystem" };
}

/// <summary>The <c>run</c> block of a spec.</summary>
public sealed class RunSettings : IValidatableOptions
{
    /// <summary>The run id; default a sortable UTC timestamp plus a random suffix.</summary>
    public string? Id { get; set; }

    /// <summary>Directory holding run directories (relative to the current directory); <c>--out</c> overrides.</summary>
    public string Out { get; set; } = "runs";

    /// <summary>Experiment name: the run goes to <c>&lt;experiment_root&gt;/&lt;experiment&gt;/runs/&lt;run_id&gt;/</c>
    /// and the experiment's manifest.json is created by its first run.</summary>
    public string? Experiment { get; set; }

    /// <summary>Directory holding experiments (relative to the current directory); <c>--out</c> overrides it for experiment runs.</summary>
    public string ExperimentRoot { get; set; } = "experiments";

    /// <summary>Sweep/time-series settings and dataset identifiers recorded in the experiment manifest.</summary>
    public System.Text.Json.Nodes.JsonObject? ExperimentSettings { get; set; }

    /// <summary>After the run, estimate 1σ uncertainties of θ at the best point from the inverse Hessian of the loss
    /// (central differences of the exact gradient, 2·D evaluations) and write them to summary.json.</summary>
    public bool Uncertainty { get; set; }

    /// <summary>After the run, render figures (figures/*.png) from the artifacts; signals.npz is written either way.</summary>
    public bool Figures { get; set; } = true;

    /// <summary>The signal recipe: a name (<c>"shera"</c>) or <c>{"name", "options"}</c>; null chooses from the objective
    /// (shera for SHERA runs, else generic).</summary>
    public ComponentReference? Signals { get; set; }

    /// <summary>Sampling runs: the parameters (names or IndexMap blocks) of the posterior figures; null: the astrometry block, else the first six.</summary>
    public List<string>? PosteriorParameters { get; set; }
    /// <summary>Start from an earlier run's checkpoint (a run directory), in whatever θ-space it ran: decoded with its
    /// theta_map.npz and re-encoded into this run's θ-space.</summary>
    public string? InitFrom { get; set; }

    /// <summary>Which checkpoint <see cref="InitFrom"/> takes: <c>best</c> or <c>final</c>.</summary>
    public string InitCheckpoint { get; set; } = "best";

    /// <summary>Master seed; every random consumer derives its own seed from it.</summary>
    public ulong Seed { get; set; }

    /// <summary>Replace an existing run directory with the same id.</summary>
    public bool Overwrite { get; set; }

    /// <summary>Record full gradients every N steps into grads.npz (0: never).</summary>
    public int GradientsEvery { get; set; }

    /// <summary>Append a line to diag_steps.jsonl every N steps (0: never).</summary>
    public int DiagnosticsEvery { get; set; }

    /// <summary>Progress line every N steps when stderr is not a terminal (0: about 20 lines per run).</summary>
    public int ProgressEvery { get; set; }

    /// <summary>
    /// A run whose loss never went below its start and ended above loss_init + r·max(|loss_init|, 1e-300) is
    /// reported <c>failed</c> with stop_reason <c>diverged</c>; null turns the rule off.
    /// </summary>
    public double? DivergenceRatio { get; set; } = 1.0;

    /// <inheritdoc/>
    public IEnumerable<(string Key, string Message)> Validate()
    {
        if (GradientsEvery < 0) yield return ("gradients_every", "must be ≥ 0");
        if (DiagnosticsEvery < 0) yield return ("diagnostics_every", "must be ≥ 0");
        if (ProgressEvery < 0) yield return ("progress_every", "must be ≥ 0");
        if (InitCheckpoint is not "best" and not "final") yield return ("init_checkpoint", $"'{InitCheckpoint}': expected best or final");
        if (DivergenceRatio is { } r && !(r >= 0 && double.IsFinite(r))) yield return ("divergence_ratio", "must be a finite number ≥ 0, or null to turn the divergence rule off");
        if (Experiment is not null && DluxShera.Artifacts.RunIds.Problem(Experiment) is { } problem) yield return ("experiment", $"'{Experiment}' is not a usable directory name: {problem}");
    }
}
