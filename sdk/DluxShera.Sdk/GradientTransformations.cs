using DluxShera.Contracts;

namespace DluxShera.Sdk;

/// <summary>
/// An Optax-style gradient transformation with explicit state: turns the gradient into an update in
/// place. A chain ends with <see cref="ScaleByLearningRate"/>, so the final update is the step itself
/// (θ ← θ − u). Transformations that need the learning rate (the preconditioner clips lr·precond) get it.
/// </summary>
public interface IGradientTransformation
{
    /// <summary>Allocates state (the only allocation) and may inspect the objective and θ₀.</summary>
    /// <param name="context">The run context.</param>
    void Init(OptimizationContext context);

    /// <summary>Transforms <paramref name="updates"/> in place.</summary>
    /// <param name="updates">Gradient (or the previous transformation's output) in, update out.</param>
    /// <param name="theta">Current θ.</param>
    /// <param name="step">Zero-based step.</param>
    /// <param name="learningRate">This step's scheduled learning rate.</param>
    void Apply(Span<double> updates, ReadOnlySpan<double> theta, int step, double learningRate);

    /// <summary>Hyper-parameters for meta.json.</summary>
    IReadOnlyDictionary<string, object?> Describe();
}

/// <summary>Applies transformations in order (Optax <c>chain</c>).</summary>
/// <param name="parts">The transformations.</param>
public sealed class Chain(params IGradientTransformation[] parts) : IGradientTransformation
{
    /// <summary>The parts.</summary>
    public IReadOnlyList<IGradientTransformation> Parts => parts;

    /// <inheritdoc/>
    public void Init(OptimizationContext context)
    {
        foreach (var p in parts) p.Init(context);
    }

    /// <inheritdoc/>
    public void Apply(Span<double> updates, ReadOnlySpan<double> theta, int step, double learningRate)
    {
        foreach (var p in parts) p.Apply(updates, theta, step, learningRate);
    }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, object?> Describe()
    {
        var d = new Dictionary<string, object?>();
        foreach (var p in parts)
        {
            foreach (var (k, v) in p.Describe()) d[k] = v;
        }
        return d;
    }
}

/// <summary>u ← lr_t · u (Optax <c>scale_by_learning_rate</c> without the sign: the engine subtracts).</summary>
public sealed class ScaleByLearningRate : IGradientTransformation
{
    /// <inheritdoc/>
    public void Init(OptimizationContext context)
    {
    }

    /// <inheritdoc/>
    public void Apply(Span<double> u, ReadOnlySpan<double> theta, int step, double learningRate) =>
        System.Numerics.Tensors.TensorPrimitives.Multiply(u, learningRate, u);

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, object?> Describe() => new Dictionary<string, object?>();
}

/// <summary>Optax <c>trace</c>: heavy-ball momentum f ← g + β f, or Nesterov g + β f.</summary>
/// <param name="decay">β.</param>
/// <param name="nesterov">Nesterov's variant.</param>
public sealed class Trace(double decay, bool nesterov) : IGradientTransformation
{
    private double[] _f = [];

    /// <inheritdoc/>
    public void Init(OptimizationContext context) => _f = new double[context.InitialTheta.Length];

    /// <inheritdoc/>
    public void Apply(Span<double> u, ReadOnlySpan<double> theta, int step, double learningRate)
    {
        var f = _f.AsSpan(0, u.Length);
        for (int i = 0; i < u.Length; i++)
        {
            f[i] = u[i] + decay * f[i];
            u[i] = nesterov ? u[i] + decay * f[i] : f[i];
        }
    }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, object?> Describe() => new Dictionary<string, object?> { ["momentum"] = decay, ["nesterov"] = nesterov };
}

/// <summary>
/// Optax <c>scale_by_adam</c>: bias-corrected first and second moments,
/// u = m̂ / (√(v̂ + eps_root) + eps).
/// </summary>
/// <param name="b1">First-moment decay.</param>
/// <param name="b2">Second-moment decay.</param>
/// <param name="eps">Added outside the square root.</param>
/// <param name="epsRoot">Added inside the square root.</param>
public sealed class ScaleByAdam(double b1, double b2, double eps, double epsRoot) : IGradientTransformation
{
    private double[] _m = [];
    private double[] _v = [];

    /// <inheritdoc/>
    public void Init(OptimizationContext context)
    {
        _m = new double[context.InitialTheta.Length];
        _v = new double[context.InitialTheta.Length];
    }

    /// <inheritdoc/>
    public void Apply(Span<double> u, ReadOnlySpan<double> theta, int step, double learningRate)
    {
        double c1 = 1 - Math.Pow(b1, step + 1);
        double c2 = 1 - Math.Pow(b2, step + 1);
        for (int i = 0; i < u.Length; i++)
        {
            double g = u[i];
            _m[i] = b1 * _m[i] + (1 - b1) * g;
            _v[i] = b2 * _v[i] + (1 - b2) * g * g;
            u[i] = _m[i] / c1 / (Math.Sqrt(_v[i] / c2 + epsRoot) + eps);
        }
    }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, object?> Describe() => new Dictionary<string, object?>
    {
        ["b1"] = b1, ["b2"] = b2, ["eps"] = eps, ["eps_root"] = epsRoot,
    };
}

/// <summary>Optax <c>scale_by_rms</c>: v ← d v + (1 − d) g², u = g / √(v + eps).</summary>
/// <param name="decay">d.</param>
/// <param name="eps">Added inside the square root.</param>
/// <param name="initialScale">Initial value of v.</param>
public sealed class ScaleByRms(double decay, double eps, double initialScale) : IGradientTransformation
{
    private double[] _v = [];

    /// <inheritdoc/>
    public void Init(OptimizationContext context)
    {
        _v = new double[context.InitialTheta.Length];
        Array.Fill(_v, initialScale);
    }

    /// <inheritdoc/>
    public void Apply(Span<double> u, ReadOnlySpan<double> theta, int step, double learningRate)
    {
        for (int i = 0; i < u.Length; i++)
        {
            _v[i] = decay * _v[i] + (1 - decay) * u[i] * u[i];
            u[i] /= Math.Sqrt(_v[i] + eps);
        }
    }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, object?> Describe() => new Dictionary<string, object?>
    {
        ["decay"] = decay, ["eps"] = eps, ["initial_scale"] = initialScale,
    };
}
