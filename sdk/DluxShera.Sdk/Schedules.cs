using DluxShera.Contracts;

namespace DluxShera.Sdk;

/// <summary>The learning-rate schedule kinds (Optax names).</summary>
public enum ScheduleKind
{
    /// <summary>factor 1.</summary>
    Constant,

    /// <summary>Linear from <c>init_value</c> to 1 over <c>warmup_steps</c>, then 1.</summary>
    LinearWarmup,

    /// <summary>Multiply by <c>scales[i]</c> once step ≥ <c>boundaries[i]</c>.</summary>
    PiecewiseConstant,

    /// <summary><c>decay_rate^((t − transition_begin)/transition_steps)</c> (floored when <c>staircase</c>), bounded by <c>end_value</c>.</summary>
    ExponentialDecay,

    /// <summary>½(1 + cos(π t/decay_steps)) scaled to [alpha, 1], then alpha.</summary>
    CosineDecay,

    /// <summary>Linear warm-up from <c>init_value</c> to 1, then cosine decay to <c>end_value</c> at <c>decay_steps</c>.</summary>
    LinearWarmupCosineDecay,
}

/// <summary>
/// A learning-rate schedule as a multiplier of the engine's base learning rate: lr_t = learning_rate × factor(t).
/// Keys follow Optax; unused keys of another kind are refused.
/// </summary>
public sealed class ScheduleOptions : IValidatableOptions
{
    /// <summary>The kind.</summary>
    public ScheduleKind Kind { get; set; } = ScheduleKind.Constant;

    /// <summary>Warm-up length (linear_warmup, linear_warmup_cosine_decay).</summary>
    public int WarmupSteps { get; set; }

    /// <summary>Starting factor of a warm-up.</summary>
    public double InitValue { get; set; }

    /// <summary>Step boundaries (piecewise_constant).</summary>
    public int[] Boundaries { get; set; } = [];

    /// <summary>Multipliers applied at each boundary (piecewise_constant).</summary>
    public double[] Scales { get; set; } = [];

    /// <summary>Steps per decay (exponential_decay).</summary>
    public int TransitionSteps { get; set; } = 1;

    /// <summary>Decay per transition (exponential_decay).</summary>
    public double DecayRate { get; set; } = 1.0;

    /// <summary>Step at which decay starts (exponential_decay).</summary>
    public int TransitionBegin { get; set; }

    /// <summary>Integer exponent (exponential_decay).</summary>
    public bool Staircase { get; set; }

    /// <summary>Decay length (cosine_decay, linear_warmup_cosine_decay: total length including warm-up).</summary>
    public int DecaySteps { get; set; } = 1;

    /// <summary>Final fraction (cosine_decay).</summary>
    public double Alpha { get; set; }

    /// <summary>Bound of exponential decay, or the final factor of linear_warmup_cosine_decay (null: none / 0).</summary>
    public double? EndValue { get; set; }

    /// <inheritdoc/>
    public IEnumerable<(string Key, string Message)> Validate()
    {
        if (WarmupSteps < 0) yield return ("warmup_steps", "must be ≥ 0");
        if (Boundaries.Length != Scales.Length) yield return ("scales", $"needs one scale per boundary ({Boundaries.Length})");
        if (TransitionSteps <= 0) yield return ("transition_steps", "must be ≥ 1");
        // Optax quietly treats a negative transition_begin as 0; a run spec that says so is refused instead.
        if (TransitionBegin < 0) yield return ("transition_begin", "must be ≥ 0");
        if (DecaySteps <= 0) yield return ("decay_steps", "must be ≥ 1");
        if (Kind == ScheduleKind.ExponentialDecay && !(DecayRate > 0)) yield return ("decay_rate", "must be positive");
        if (Kind == ScheduleKind.LinearWarmupCosineDecay && WarmupSteps > DecaySteps) yield return ("decay_steps", "must be ≥ warmup_steps (it is the total length)");
    }

    /// <summary>factor(t).</summary>
    /// <param name="t">Zero-based step.</param>
    public double Factor(int t) => Kind switch
    {
        ScheduleKind.Constant => 1.0,
        ScheduleKind.LinearWarmup => t >= WarmupSteps ? 1.0 : InitValue + (1 - InitValue) * t / WarmupSteps,
        ScheduleKind.PiecewiseConstant => Piecewise(t),
        ScheduleKind.ExponentialDecay => Exponential(t),
        ScheduleKind.CosineDecay => Cosine(t, DecaySteps, 1.0, Alpha),
        ScheduleKind.LinearWarmupCosineDecay => t < WarmupSteps
            ? InitValue + (1 - InitValue) * t / WarmupSteps
            : Cosine(t - WarmupSteps, DecaySteps - WarmupSteps, 1.0, EndValue ?? 0.0),
        _ => 1.0,
    };

    private double Piecewise(int t)
    {
        double f = 1;
        for (int i = 0; i < Boundaries.Length; i++)
        {
            if (t >= Boundaries[i]) f *= Scales[i];
        }
        return f;
    }

    // Optax exponential_decay: 1 up to transition_begin, then decay_rate^((t − begin)/transition_steps); end_value
    // bounds every step, those before transition_begin included (below for a decay, above for growth).
    private double Exponential(int t)
    {
        double p = Math.Max(t - TransitionBegin, 0) / (double)TransitionSteps;
        if (Staircase) p = Math.Floor(p);
        double f = Math.Pow(DecayRate, p);
        if (EndValue is { } end) f = DecayRate < 1 ? Math.Max(f, end) : Math.Min(f, end);
        return f;
    }

    // Optax cosine_decay_schedule: alpha + (1 − alpha)·½(1 + cos(π·min(t, T)/T)), in units of the peak.
    private static double Cosine(int t, int length, double peak, double floor)
    {
        double frac = Math.Min(t, Math.Max(length, 1)) / (double)Math.Max(length, 1);
        return floor + (peak - floor) * 0.5 * (1 + Math.Cos(Math.PI * frac));
    }

    // Every schedule is monotone between its knots (warmup end, boundaries, transition begin, decay end), so
    // the extremes over 0..numSteps−1 are among the knots, their neighbours and the ends: O(knots), not
    // O(numSteps) (num_steps = 2³¹−1 used to stall for seconds before step 0).
    private IEnumerable<int> Knots(int numSteps)
    {
        int lastStep = Math.Max(numSteps - 1, 0);
        var knots = new SortedSet<int> { 0, lastStep };
        foreach (int k in Boundaries.Append(WarmupSteps).Append(TransitionBegin).Append(DecaySteps).Append(WarmupSteps + DecaySteps))
        {
            for (long t = (long)k - 1; t <= (long)k + 1; t++)
            {
                if (t >= 0 && t <= lastStep) knots.Add((int)t);
            }
        }
        return knots;
    }

    /// <summary>The meta.json <c>schedule</c> block: kind, config and first/last/min/max factor over the run.</summary>
    /// <param name="numSteps">Steps of the run.</param>
    public IReadOnlyDictionary<string, object?> Describe(int numSteps)
    {
        double first = Factor(0), last = Factor(Math.Max(numSteps - 1, 0)), min = double.PositiveInfinity, max = double.NegativeInfinity;
        foreach (int t in Knots(numSteps))
        {
            double f = Factor(t);
            min = Math.Min(min, f);
            max = Math.Max(max, f);
        }
        var config = new Dictionary<string, object?>();
        switch (Kind)
        {
            case ScheduleKind.LinearWarmup:
                config["warmup_steps"] = WarmupSteps; config["init_value"] = InitValue; break;
            case ScheduleKind.PiecewiseConstant:
                config["boundaries"] = Boundaries; config["scales"] = Scales; break;
            case ScheduleKind.ExponentialDecay:
                config["transition_steps"] = TransitionSteps; config["decay_rate"] = DecayRate; config["transition_begin"] = TransitionBegin;
                config["staircase"] = Staircase; config["end_value"] = EndValue; break;
            case ScheduleKind.CosineDecay:
                config["decay_steps"] = DecaySteps; config["alpha"] = Alpha; break;
            case ScheduleKind.LinearWarmupCosineDecay:
                config["warmup_steps"] = WarmupSteps; config["init_value"] = InitValue; config["decay_steps"] = DecaySteps; config["end_value"] = EndValue ?? 0.0; break;
        }
        return new Dictionary<string, object?>
        {
            ["kind"] = System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(Kind.ToString()),
            ["config"] = config,
            ["first_factor"] = first,
            ["last_factor"] = last,
            ["min_factor"] = min,
            ["max_factor"] = max,
        };
    }
}
