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

    /// <summary>
    /// With a running estimator (ema_grad2) and refresh_every 0, the curvature follows the estimate every step;
    /// curvature.npz and precond.npz are rewritten every this many steps (and at every scheduled refresh).
    /// </summary>
    public int SaveEvery { get; set; } = 50;

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
        if (SaveEvery < 1) yield return ("save_every", "must be ≥ 1");
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
/// smoothed. Gradient observers (ema_grad2) are fed every step, and their running estimate is applied every
/// step when no refresh schedule is set (refresh_every 0), as the seed's EMA of g² intends; with a schedule it
/// is read at the refreshes. Writes curvature.npz (curv_diag, curv_diag_raw, curv_dense for dense estimators)
/// and precond.npz (precond, block_scale, rate_vec = block_scale ⊙ precond, and lr_vec at saved_step).
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
    private double[] _rawCurvature = [];
    private double[]? _dense;
    private double[] _precond = [];
    private double[] _rates = [];
    private double _learningRate;
    private int _savedStep;
    private int _runningUpdates;
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
        _rawCurvature = _rawCurvature.Length == d ? _rawCurvature : (double[])_curvature.Clone();
        UpdatePreconditioner();
        ComputeLearningRates(options.LearningRate * options.Schedule.Factor(0));
        Save(0);
    }

    // The running estimate applies every step when nothing else schedules refreshes (see the class summary).
    private bool FollowsRunningEstimate => options.RefreshEvery == 0 && (_primary is IGradientObserver || _secondary is IGradientObserver);

    /// <inheritdoc/>
    public void Apply(Span<double> u, ReadOnlySpan<double> theta, int step, double learningRate)
    {
        if (_primary is IGradientObserver o1) o1.Observe(step, u);
        if (_secondary is IGradientObserver o2) o2.Observe(step, u);
        bool scheduled = options.RefreshEvery > 0 && step > 0 && step % options.RefreshEvery == 0;
        if (scheduled || (FollowsRunningEstimate && step > 0))
        {
            var fresh = EstimateBlended(theta, runningOnly: !scheduled);
            for (int i = 0; i < _curvature.Length; i++) _curvature[i] = options.CurvatureEma * _curvature[i] + (1 - options.CurvatureEma) * fresh[i];
            if (scheduled) _refreshes++;
            else _runningUpdates++;
            UpdatePreconditioner();
            ComputeLearningRates(learningRate);
            if (scheduled || step % options.SaveEvery == 0) Save(step);
        }
        else
        {
            ComputeLearningRates(learningRate);
        }
        for (int i = 0; i < u.Length; i++) u[i] *= _lrVec[i];
    }

    // Blends fresh estimates (raw ones too, for curvature.npz). With runningOnly, an estimator that is not a
    // gradient observer keeps its last estimate instead of being re-run: only the running one changed.
    private double[] EstimateBlended(ReadOnlySpan<double> theta, bool runningOnly = false)
    {
        var (a, rawA) = Estimate(_primary, ref _lastPrimary, theta, runningOnly);
        if (_secondary is null)
        {
            _rawCurvature = rawA;
            return a;
        }
        var (b, rawB) = Estimate(_secondary, ref _lastSecondary, theta, runningOnly);
        var blend = new double[a.Length];
        _rawCurvature = new double[a.Length];
        for (int i = 0; i < a.Length; i++)
        {
            blend[i] = options.BlendAlpha * a[i] + (1 - options.BlendAlpha) * b[i];
            _rawCurvature[i] = options.BlendAlpha * rawA[i] + (1 - options.BlendAlpha) * rawB[i];
        }
        return blend;
    }

    private CurvatureEstimate? _lastPrimary;
    private CurvatureEstimate? _lastSecondary;

    private (double[] Diagonal, double[] Raw) Estimate(ICurvatureEstimator estimator, ref CurvatureEstimate? last, ReadOnlySpan<double> theta, bool runningOnly)
    {
        if (last is null || !runningOnly || estimator is IGradientObserver)
        {
            bool dense = estimator.Method == "fisher_dense"; // its matrix is the point of it: saved as curv_dense
            last = estimator.Estimate(_objective, theta, new CurvatureRequest(dense));
            _nonFinite += last.NonFiniteCount;
            if (last.Dense is not null) _dense = last.Dense;
        }
        return ((double[])last.Diagonal.Clone(), (double[])(last.RawDiagonal ?? last.Diagonal).Clone());
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
        _rates = new double[_precond.Length];
        for (int i = 0; i < _rates.Length; i++) _rates[i] = _blockScale[i] * _precond[i];
    }

    private void ComputeLearningRates(double learningRate)
    {
        _learningRate = learningRate;
        _clippedLow = _clippedHigh = 0;
        for (int i = 0; i < _lrVec.Length; i++)
        {
            double lr = learningRate * _rates[i];
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

    // lr_vec depends on the scheduled base learning rate, so it is only right at saved_step; rate_vec does not:
    // lr_vec(t) = clip(base_lr(t)·rate_vec, lr_min, lr_max) with base_lr(t) from trace.npz (docs/curvature.md).
    private void Save(int step)
    {
        _savedStep = step;
        var curvature = new Dictionary<string, NdArray>
        {
            ["curv_diag"] = NdArray.Vector((double[])_curvature.Clone()),
            ["curv_diag_raw"] = NdArray.Vector((double[])_rawCurvature.Clone()),
            ["saved_step"] = NdArray.Scalar(step),
        };
        if (_dense is { } dense) curvature["curv_dense"] = new NdArray((double[])dense.Clone(), _curvature.Length, _curvature.Length);
        _artifacts.WriteArrays(RunLayout.Curvature, curvature);
        _artifacts.WriteArrays(RunLayout.Precond, new Dictionary<string, NdArray>
        {
            ["precond"] = NdArray.Vector((double[])_precond.Clone()),
            ["block_scale"] = NdArray.Vector((double[])_blockScale.Clone()),
            ["rate_vec"] = NdArray.Vector((double[])_rates.Clone()),
            ["lr_vec"] = NdArray.Vector((double[])_lrVec.Clone()),
            ["saved_step"] = NdArray.Scalar(step),
            ["base_lr"] = NdArray.Scalar(_learningRate),
            ["lr_min"] = NdArray.Scalar(options.LrMin),
            ["lr_max"] = NdArray.Scalar(options.LrMax ?? double.PositiveInfinity),
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
            ["updated"] = options.RefreshEvery > 0 ? "refreshed" : FollowsRunningEstimate ? "every_step" : "fixed_at_init",
            ["initial_curvature"] = _initialSource,
            ["refreshes"] = _refreshes,
            ["running_estimate_updates"] = _runningUpdates,
            ["save_every"] = options.SaveEvery,
            ["saved_step"] = _savedStep,
            ["floored_curvature_entries"] = _flooredCurvature,
            ["non_finite_curvature_entries"] = _nonFinite,
            ["lr_clipped_low"] = _clippedLow,
            ["lr_clipped_high"] = _clippedHigh,
        },
    };
}
