using DluxShera.Contracts;

namespace DluxShera.TestProblems;

/// <summary>Options of <c>objective:nan_after</c>.</summary>
public sealed class NonFiniteAfterOptions
{
    /// <summary>Dimension.</summary>
    public int Dimension { get; set; } = 3;

    /// <summary>Evaluations that succeed before the objective turns non-finite.</summary>
    public int Evaluations { get; set; } = 10;

    /// <summary>What breaks: <c>loss</c> (NaN loss) or <c>gradient</c> (a NaN gradient entry).</summary>
    public NonFinitePart Part { get; set; } = NonFinitePart.Loss;
}

/// <summary>Which output turns non-finite.</summary>
public enum NonFinitePart
{
    /// <summary>The loss becomes NaN.</summary>
    Loss,

    /// <summary>One gradient entry becomes NaN.</summary>
    Gradient,
}

/// <summary>
/// A bowl ½‖x − 1‖² that returns NaN after a set number of evaluations: the failure-path test problem
/// (engines must stop with <c>non_finite_loss</c> / <c>non_finite_gradient</c> and keep the last good θ).
/// </summary>
public sealed class NonFiniteAfter(NonFiniteAfterOptions options) : IObjective
{
    private int _evaluations;

    /// <inheritdoc/>
    public string Name => "nan_after";

    /// <inheritdoc/>
    public IndexMap IndexMap { get; } = IndexMap.SingleVector(options.Dimension);

    /// <inheritdoc/>
    public void GetInitialTheta(Span<double> theta) => theta[..options.Dimension].Clear();

    /// <inheritdoc/>
    public double Evaluate(ReadOnlySpan<double> x, Span<double> g)
    {
        double f = 0;
        for (int i = 0; i < options.Dimension; i++)
        {
            g[i] = x[i] - 1;
            f += 0.5 * g[i] * g[i];
        }
        if (_evaluations++ < options.Evaluations) return f;
        if (options.Part == NonFinitePart.Gradient)
        {
            g[0] = double.NaN;
            return f;
        }
        return double.NaN;
    }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, object?> Describe() => new Dictionary<string, object?>
    {
        ["name"] = Name,
        ["dimension"] = options.Dimension,
        ["evaluations_before_failure"] = options.Evaluations,
        ["part"] = options.Part.ToString().ToLowerInvariant(),
    };
}
