using System.Text.Json.Nodes;

namespace DluxShera.Host.Theta;

/// <summary>The run spec's <c>theta_map</c> block (docs/run-spec.md, "θ-space").</summary>
public sealed class ThetaMapSpec
{
    /// <summary><c>identity</c> (default), <c>eigen</c>, <c>unconstrained</c> or <c>compose</c>.</summary>
    public string Name { get; set; } = "identity";

    /// <summary>The map's options (see the option classes below).</summary>
    public JsonObject? Options { get; set; }
}

/// <summary>Options of <c>theta_map: {"name": "eigen"}</c>.</summary>
public sealed class EigenMapOptions
{
    /// <summary>θref: <c>start</c> (the run's starting point), a run directory (its checkpoint, decoded) or a <c>.npy</c> file of primitive values.</summary>
    public string Reference { get; set; } = "start";

    /// <summary>Which checkpoint of a reference run: <c>best</c> or <c>final</c>.</summary>
    public string Checkpoint { get; set; } = "best";

    /// <summary>The dense curvature estimator evaluated at θref (a <c>curvature:</c> component that gives a dense matrix).</summary>
    public string Curvature { get; set; } = "fisher_dense";

    /// <summary>A run directory whose fisher.npz Hessian (at its best point) is decomposed instead; θref is then its point unless <see cref="Reference"/> is given.</summary>
    public string? HessianFrom { get; set; }

    /// <summary>Whitened coordinates z = √λ ⊙ Vᵀ(θ − θref).</summary>
    public bool Whiten { get; set; } = true;

    /// <summary>Keep the K stiffest modes.</summary>
    public int? Keep { get; set; }

    /// <summary>Keep modes with λ ≥ this × λ_max.</summary>
    public double? MinRelativeEigenvalue { get; set; }

    /// <summary>Keep the fewest stiffest modes holding this fraction of Σλ.</summary>
    public double? SpectrumFraction { get; set; }

    /// <summary>Relative zero: negative eigenvalues beyond −tolerance × λ_max are refused, smaller ones clamped.</summary>
    public double Tolerance { get; set; } = 1e-10;
}

/// <summary>Options of <c>theta_map: {"name": "unconstrained"}</c>.</summary>
public sealed class UnconstrainedMapOptions
{
    /// <summary>
    /// Per IndexMap entry: <c>"identity"</c>, <c>"log"</c> (lower 0), <c>"logit"</c> (bounds from the IndexMap) or
    /// <c>{"kind": "logit", "lower": 0, "upper": 1}</c>. Entries not named take the bijector their declared bounds imply.
    /// </summary>
    public JsonObject? Bijectors { get; set; }
}

/// <summary>Options of <c>theta_map: {"name": "compose"}</c>.</summary>
public sealed class ComposeMapOptions
{
    /// <summary>The maps, next to the objective first: <c>[{"name": "unconstrained"}, {"name": "eigen"}]</c> fits in the eigenbasis of the unconstrained coordinates.</summary>
    public List<ThetaMapSpec> Maps { get; set; } = [];
}
