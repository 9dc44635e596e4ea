using System.Text.Json.Nodes;
using DluxShera.Artifacts;
using DluxShera.Contracts;
using DluxShera.Sdk;

namespace DluxShera.Optimizers;

/// <summary>How curvature becomes a preconditioner.</summary>
public enum PreconditionerPower
{
    /// <summary>precond = 1/√(curv + eps) (the seed's physics-inspired default).</summary>
    Sqrt,

    /// <summary>precond = 1/(curv + eps) (Newton-like on a diagonal).</summary>
    Linear,
}

/// <summary>Options of <c>optimizer:preconditioned_gd</c>.</summary>
public sealed class PreconditionedGdOptions : FirstOrderOptions
{
    /// <inheritdoc/>
    public override double LearningRate { get; set; } = 0.1;

    /// <summary>The curvature estimator (any registered <c>curvature:</c> component).</summary>
    public ComponentReference Curvature { get; set; } = new() { Name = "hutchinson" };

    /// <summary>An optional second estimator blended as α·curv_a + (1 − α)·curv_b.</summary>
    public ComponentReference? BlendWith { get; set; }

    /// <summary>α of the blend.</summary>
    public double BlendAlpha { get; set; } = 0.5;

    /// <summary>sqrt or linear.</summary>
    public PreconditionerPower Power { get; set; } = PreconditionerPower.Sqrt;

    /// <summary>Added to the curvature before inverting.</summary>
    public double Eps { get; set; } = 1e-12;

    /// <summary>Curvature floor applied before inverting.</summary>
    public double CurvatureFloor { get; set; }

    /// <summary>Lower clip of lr_vec.</summary>
    public double LrMin { get; set; }

    /// <summary>Upper clip of lr_vec (null: none).</summary>
    public double? LrMax { get; set; }

    /// <summary>Re-estimate curvature every K steps (0: fixed at init).</summary>
    public int RefreshEvery { get; set; }

    /// <summary>EMA weight of the previous curvature at a refresh: curv ← ema·old + (1 − ema)·new.</summary>
    public double CurvatureEma { get; set; }

    /// <summary>Base learning rate per IndexMap block, replacing learning_rate for that block, e.g. {"astrometry": 1e-3}.</summary>
    public JsonObject? BlockLr { get; set; }

    /// <summary>A run directory whose curvature.npz is the initial curvature (its layout_hash must match).</summary>
    public string? InitFrom { get; set; }

    /// <inheritdoc/>
    public override IEnumerable<(string Key, string Message)> Validate()
    {
        foreach (var p in base.Validate()) yield return p;
        if (!(Eps >= 0)) yield return ("eps", "must be ≥ 0");
        if (!(CurvatureFloor >= 0)) yield return ("curvature_floor", "must be ≥ 0");
        if (LrMax is { } max && !(max > LrMin)) yield return ("lr_max", "must exceed lr_min");
        if (RefreshEvery < 0) yield return ("refresh_every", "must be ≥ 0");
        if (CurvatureEma is < 0 or >= 1) yield return ("curvature_ema", "must be in [0, 1)");
        if (BlendAlpha is < 0 or > 1) yield return ("blend_alpha", "must be in [0, 1]");
        foreach (var (block, value) in BlockLr ?? [])
        {
            if (value is not JsonValue v || !v.TryGetValue<double>(out double lr) || !(lr > 0)) yield return ($"block_lr.{block}", "must be a positive number");
        }
    }
}

/// <summary>
/// Per-index learning rates from curvature: lr_vec = clip(base_lr(t)·precond, lr_min, lr_max) with
/// precond = 1/√(curv + eps) or 1/(curv + eps); the update is lr_vec ⊙ g. Curvature comes from any
/// registered estimator (optionally blended with a second), fixed at init or refreshed every K steps and
/// smoothed; gradient observers (ema_grad2) are fed every step. Writes curvature.npz and precond.npz.
/// </summary>
/// <param name="options">Options.</param>
/// <param name="primary">The curvature estimator.</param>
/// <param name="secondary">The estimator blended in, or null.</param>
public sealed class CurvaturePreconditioner(PreconditionedGdOptions options, ICurvatureEstimator primary, ICurvatureEstimator? secondary = null) : IGradientTransformation
{
    private readonly ICurvatureEstimator _primary = primary;
    private readonly ICurvatureEstimator? _secondary = secondary;
    private IObjective _objective = null!;
    private IRunArtifacts _artifacts = null!;
    private double[] _curvature = [];
    private double[] _precond = [];
    private double[] _blockScale = [];
    private double[] _lrVec = [];
    private int _refreshes;
    private int _flooredCurvature;
    private int _nonFinite;
    private int _clippedLow;
    private int _clippedHigh;
    private string _initialSource = "";

    /// <summary>The current curvature diagonal.</summary>
    public ReadOnlySpan<double> CurvatureDiagonal => _curvature;

    /// <summary>The last lr_vec applied.</summary>
    public ReadOnlySpan<double> LearningRates => _lrVec;

    /// <inheritdoc/>
    public void Init(OptimizationContext context)
    {
        _objective = context.Objective;
        _artifacts = context.Artifacts;
        int d = context.InitialTheta.Length;
        _blockScale = BlockScales(context.Objective.IndexMap);
        _lrVec = new double[d];
        if (options.InitFrom is { } runDir)
        {
            var reader = new FilesystemRunReader(runDir);
            reader.CheckLayout(context.Objective.IndexMap);
            var arrays = reader.LoadArrays(RunLayout.Curvature)
                ?? throw new ArtifactException($"{Path.Combine(reader.RunDirectory, RunLayout.Curvature)}: file not found; init_from needs the earlier run's curvature.npz.");
            _curvature = arrays.TryGetValue("curv_diag", out var c) && c.Count == d ? c.ToDoubles()
                : throw new ArtifactException($"{Path.Combine(reader.RunDirectory, RunLayout.Curvature)}: expected 'curv_diag' of length {d}.");
            _initialSource = $"init_from:{reader.RunDirectory}";
        }
        else
        {
            _curvature = EstimateBlended(context.InitialTheta);
            _initialSource = "estimated_at_init";
        }
        UpdatePreconditioner();
        ComputeLearningRates(options.LearningRate * options.Schedule.Factor(0));
        Save();
    }

    /// <inheritdoc/>
    public void Apply(Span<double> u, ReadOnlySpan<double> theta, int step, double learningRate)
    {
        if (_primary is IGradientObserver o1) o1.Observe(step, u);
        if (_secondary is IGradientObserver o2) o2.Observe(step, u);
        if (options.RefreshEvery > 0 && step > 0 && step % options.RefreshEvery == 0)
        {
            var fresh = EstimateBlended(theta);
            for (int i = 0; i < _curvature.Length; i++) _curvature[i] = options.CurvatureEma * _curvature[i] + (1 - options.CurvatureEma) * fresh[i];
            _refreshes++;
            UpdatePreconditioner();
            ComputeLearningRates(learningRate);
            Save();
        }
        else
        {
            ComputeLearningRates(learningRate);
        }
        for (int i = 0; i < u.Length; i++) u[i] *= _lrVec[i];
    }

    private double[] EstimateBlended(ReadOnlySpan<double> theta)
    {
        var a = Track(_primary.Estimate(_objective, theta, default));
        if (_secondary is null) return a;
        var b = Track(_secondary.Estimate(_objective, theta, default));
        for (int i = 0; i < a.Length; i++) a[i] = options.BlendAlpha * a[i] + (1 - options.BlendAlpha) * b[i];
        return a;
    }

    private double[] Track(CurvatureEstimate e)
    {
        _nonFinite += e.NonFiniteCount;
        return e.Diagonal;
    }

    private void UpdatePreconditioner()
    {
        _precond = new double[_curvature.Length];
        _flooredCurvature = 0;
        for (int i = 0; i < _curvature.Length; i++)
        {
            double c = _curvature[i];
            if (!(c >= options.CurvatureFloor))
            {
                c = options.CurvatureFloor;
                _flooredCurvature++;
            }
            _curvature[i] = c;
            _precond[i] = options.Power == PreconditionerPower.Sqrt ? 1 / Math.Sqrt(c + options.Eps) : 1 / (c + options.Eps);
        }
    }

    private void ComputeLearningRates(double learningRate)
    {
        _clippedLow = _clippedHigh = 0;
        for (int i = 0; i < _lrVec.Length; i++)
        {
            double lr = learningRate * _blockScale[i] * _precond[i];
            if (lr < options.LrMin)
            {
                lr = options.LrMin;
                _clippedLow++;
            }
            if (options.LrMax is { } max && lr > max)
            {
                lr = max;
                _clippedHigh++;
            }
            _lrVec[i] = lr;
        }
    }

    private double[] BlockScales(IndexMap map)
    {
        var scales = new double[map.Dimension];
        Array.Fill(scales, 1.0);
        if (options.BlockLr is null) return scales;
        var blocks = map.Entries.Select(e => e.Block).Where(b => b is not null).Distinct().ToList();
        foreach (var (block, value) in options.BlockLr)
        {
            if (!blocks.Contains(block))
            {
                throw new ArgumentException($"optimizer.options.block_lr.{block}: the objective has no block '{block}'; blocks: {string.Join(", ", blocks)}.");
            }
            double lr = value!.GetValue<double>();
            foreach (var e in map.Entries.Where(e => e.Block == block))
            {
                for (int i = e.Start; i < e.Stop; i++) scales[i] = lr / options.LearningRate;
            }
        }
        return scales;
    }

    private void Save()
    {
        _artifacts.WriteArrays(RunLayout.Curvature, new Dictionary<string, NdArray> { ["curv_diag"] = NdArray.Vector((double[])_curvature.Clone()) });
        _artifacts.WriteArrays(RunLayout.Precond, new Dictionary<string, NdArray>
        {
            ["lr_vec"] = NdArray.Vector((double[])_lrVec.Clone()),
            ["precond"] = NdArray.Vector((double[])_precond.Clone()),
        });
    }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, object?> Describe() => new Dictionary<string, object?>
    {
        ["preconditioning"] = new Dictionary<string, object?>
        {
            ["method"] = _primary.Method,
            ["estimator"] = _primary.Describe(),
            ["blend_with"] = _secondary?.Describe(),
            ["blend_alpha"] = _secondary is null ? null : options.BlendAlpha,
            ["power"] = options.Power.ToString().ToLowerInvariant(),
            ["eps"] = options.Eps,
            ["curvature_floor"] = options.CurvatureFloor,
            ["lr_clip"] = new Dictionary<string, object?> { ["min"] = options.LrMin, ["max"] = options.LrMax },
            ["block_lr"] = options.BlockLr,
            ["refresh_every"] = options.RefreshEvery,
            ["curvature_ema"] = options.CurvatureEma,
            ["updated"] = options.RefreshEvery > 0 || _primary is IGradientObserver ? "during_run" : "fixed_at_init",
            ["initial_curvature"] = _initialSource,
            ["refreshes"] = _refreshes,
            ["floored_curvature_entries"] = _flooredCurvature,
            ["non_finite_curvature_entries"] = _nonFinite,
            ["lr_clipped_low"] = _clippedLow,
            ["lr_clipped_high"] = _clippedHigh,
        },
    };
}
