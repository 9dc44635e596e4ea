namespace DluxShera.Optimizers;

/// <summary>
/// An Optax-style gradient transformation: explicit state, turns the gradient into an update direction
/// in place. Engines chain transformations and then scale by the (scheduled) learning rate.
/// </summary>
public interface IGradientTransformation
{
    /// <summary>Allocates state for dimension <paramref name="dimension"/> (the only allocation).</summary>
    /// <param name="dimension">D.</param>
    void Init(int dimension);

    /// <summary>Transforms <paramref name="updates"/> in place (it holds the gradient on entry).</summary>
    /// <param name="updates">Gradient in, update direction out.</param>
    /// <param name="step">Zero-based step count.</param>
    void Apply(Span<double> updates, int step);

    /// <summary>Hyper-parameters for meta.json.</summary>
    IReadOnlyDictionary<string, object?> Describe();
}

/// <summary>The identity: plain gradient descent.</summary>
public sealed class Identity : IGradientTransformation
{
    /// <inheritdoc/>
    public void Init(int dimension)
    {
    }

    /// <inheritdoc/>
    public void Apply(Span<double> updates, int step)
    {
    }

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
    public void Init(int dimension) => _f = new double[dimension];

    /// <inheritdoc/>
    public void Apply(Span<double> u, int step)
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
    public void Init(int dimension)
    {
        _m = new double[dimension];
        _v = new double[dimension];
    }

    /// <inheritdoc/>
    public void Apply(Span<double> u, int step)
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
    public void Init(int dimension)
    {
        _v = new double[dimension];
        Array.Fill(_v, initialScale);
    }

    /// <inheritdoc/>
    public void Apply(Span<double> u, int step)
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
