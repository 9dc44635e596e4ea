using System.Text.Json.Nodes;
using DluxShera.Contracts;

namespace DluxShera.Samplers;

/// <summary>Where the initial inverse mass matrix comes from: a curvature estimator at the start, or an earlier run's fisher.npz.</summary>
public sealed class InitMassOptions : IValidatableOptions
{
    /// <summary>A <c>curvature:</c> estimator (e.g. <c>gn_diag</c>, <c>fisher_dense</c>) evaluated at the first chain's start.</summary>
    public string? Name { get; set; }

    /// <summary>The estimator's preset.</summary>
    public string? Preset { get; set; }

    /// <summary>The estimator's options.</summary>
    public JsonObject? Options { get; set; }

    /// <summary>An earlier run directory (or its fisher.npz) whose <c>hessian</c> is inverted.</summary>
    public string? Fisher { get; set; }

    /// <inheritdoc/>
    public IEnumerable<(string Key, string Message)> Validate()
    {
        if ((Name is null) == (Fisher is null)) yield return ("name", "give exactly one of 'name' (a curvature estimator) or 'fisher' (a run directory or fisher.npz)");
    }
}

/// <summary>Options every sampler shares (spec: <c>sampler.options</c>).</summary>
public abstract class SamplerOptions : IValidatableOptions
{
    /// <summary>Chains, run in parallel, each with its own recorded seed.</summary>
    public int NumChains { get; set; } = 4;

    /// <summary>Warm-up iterations per chain (not kept in samples.npz; written to warmup.npz).</summary>
    public int NumWarmup { get; set; } = 1000;

    /// <summary>Draws kept per chain.</summary>
    public int NumSamples { get; set; } = 1000;

    /// <summary>Target acceptance statistic of the step-size adaptation.</summary>
    public double TargetAccept { get; set; } = 0.8;

    /// <summary><c>diag</c> or <c>dense</c> inverse mass matrix.</summary>
    public string MassMatrix { get; set; } = "diag";

    /// <summary>Estimate the metric in Stan's warm-up windows (false: keep the initial one).</summary>
    public bool AdaptMassMatrix { get; set; } = true;

    /// <summary>Adapt the step size during warm-up (false: use <see cref="StepSize"/> throughout).</summary>
    public bool AdaptStepSize { get; set; } = true;

    /// <summary>The initial step size.</summary>
    public double StepSize { get; set; } = 1.0;

    /// <summary>The initial inverse mass matrix, or null for the identity.</summary>
    public InitMassOptions? InitMassFrom { get; set; }

    /// <summary>Start from this run's best checkpoint (a run directory) instead of the objective's θ₀.</summary>
    public string? InitFrom { get; set; }

    /// <summary>Jitter each chain's start by this many standard deviations of the initial metric (0: all chains start at the same point).</summary>
    public double InitJitter { get; set; }

    /// <summary>The sampler seed; null takes the host's (derived from <c>run.seed</c>).</summary>
    public ulong? Seed { get; set; }

    /// <summary>Whether the metric is dense.</summary>
    public bool IsDense => MassMatrix == "dense";

    /// <inheritdoc/>
    public virtual IEnumerable<(string Key, string Message)> Validate()
    {
        if (NumChains < 1) yield return ("num_chains", $"must be ≥ 1, got {NumChains}");
        if (NumWarmup < 0) yield return ("num_warmup", $"must be ≥ 0, got {NumWarmup}");
        if (NumSamples < 1) yield return ("num_samples", $"must be ≥ 1, got {NumSamples}");
        if (!(TargetAccept > 0 && TargetAccept < 1)) yield return ("target_accept", $"must be in (0, 1), got {TargetAccept}");
        if (MassMatrix is not "diag" and not "dense") yield return ("mass_matrix", $"expected 'diag' or 'dense', got '{MassMatrix}'");
        if (!(StepSize > 0) || !double.IsFinite(StepSize)) yield return ("step_size", $"must be a positive finite number, got {StepSize}");
        if (!(InitJitter >= 0) || !double.IsFinite(InitJitter)) yield return ("init_jitter", $"must be ≥ 0, got {InitJitter}");
        if (InitMassFrom is not null) foreach (var (k, m) in InitMassFrom.Validate()) yield return ("init_mass_from." + k, m);
    }
}

/// <summary>Options of <c>sampler:nuts</c>.</summary>
public sealed class NutsOptions : SamplerOptions
{
    /// <summary>Maximum tree depth: at most 2^depth leapfrog steps per draw.</summary>
    public int MaxTreeDepth { get; set; } = 10;

    /// <inheritdoc/>
    public override IEnumerable<(string Key, string Message)> Validate() =>
        base.Validate().Concat(MaxTreeDepth is >= 1 and <= 20 ? [] : [("max_tree_depth", $"must be in [1, 20], got {MaxTreeDepth}")]);
}

/// <summary>Options of <c>sampler:hmc</c>.</summary>
public sealed class HmcOptions : SamplerOptions
{
    /// <summary>Integration time T = L·ε of each trajectory.</summary>
    public double IntegrationTime { get; set; } = 2.0;

    /// <summary>Each transition draws ε uniformly in [ε(1 − j), ε(1 + j)] (breaks resonances with periodic orbits).</summary>
    public double StepSizeJitter { get; set; } = 0.2;

    /// <summary>Cap on leapfrog steps per transition.</summary>
    public int MaxNumSteps { get; set; } = 1024;

    /// <inheritdoc/>
    public override IEnumerable<(string Key, string Message)> Validate()
    {
        foreach (var p in base.Validate()) yield return p;
        if (!(IntegrationTime > 0) || !double.IsFinite(IntegrationTime)) yield return ("integration_time", $"must be a positive finite number, got {IntegrationTime}");
        if (!(StepSizeJitter >= 0 && StepSizeJitter < 1)) yield return ("step_size_jitter", $"must be in [0, 1), got {StepSizeJitter}");
        if (MaxNumSteps < 1) yield return ("max_num_steps", $"must be ≥ 1, got {MaxNumSteps}");
    }
}
