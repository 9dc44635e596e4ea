using DluxShera.Contracts;

namespace DluxShera.Curvature;

/// <summary>Guardrails every estimator applies to its diagonal (and reports).</summary>
public class GuardrailOptions : IValidatableOptions
{
    /// <summary>Entries below this are raised to it (after taking |·| of negative estimates).</summary>
    public double Floor { get; set; }

    /// <summary>Entries above this are clipped to it (null: no clip).</summary>
    public double? Ceiling { get; set; }

    /// <summary>What to do with negative estimates (possible for Hessians away from a minimum and for noisy probes): <c>abs</c> or <c>floor</c>.</summary>
    public NegativeHandling Negative { get; set; } = NegativeHandling.Abs;

    /// <inheritdoc/>
    public virtual IEnumerable<(string Key, string Message)> Validate()
    {
        if (Floor < 0 || !double.IsFinite(Floor)) yield return ("floor", "must be a finite number ≥ 0");
        if (Ceiling is { } c && !(c > Floor)) yield return ("ceiling", "must exceed floor");
    }
}

/// <summary>Handling of negative curvature estimates.</summary>
public enum NegativeHandling
{
    /// <summary>Use the magnitude.</summary>
    Abs,

    /// <summary>Raise to the floor.</summary>
    Floor,
}

/// <summary>Applies <see cref="GuardrailOptions"/>: the result is finite and within [floor, ceiling].</summary>
public static class Guardrails
{
    /// <summary>Cleans <paramref name="diagonal"/> in place and builds the estimate.</summary>
    /// <param name="diagonal">Raw diagonal.</param>
    /// <param name="options">Guardrails.</param>
    /// <param name="dense">Optional dense matrix.</param>
    /// <param name="evaluations">Evaluations spent.</param>
    public static CurvatureEstimate Apply(double[] diagonal, GuardrailOptions options, double[]? dense, int evaluations)
    {
        var raw = (double[])diagonal.Clone();
        int floored = 0, nonFinite = 0, clipped = 0;
        for (int i = 0; i < diagonal.Length; i++)
        {
            double c = diagonal[i];
            if (!double.IsFinite(c))
            {
                nonFinite++;
                c = options.Floor;
            }
            if (c < 0 && options.Negative == NegativeHandling.Abs) c = -c;
            // A negative estimate under negative: floor is raised to the floor too, and counted like a small one.
            if (c < options.Floor)
            {
                c = options.Floor;
                floored++;
            }
            if (options.Ceiling is { } ceiling && c > ceiling)
            {
                c = ceiling;
                clipped++;
            }
            diagonal[i] = c;
        }
        return new CurvatureEstimate
        {
            Diagonal = diagonal,
            RawDiagonal = raw,
            Dense = dense,
            FlooredCount = floored + clipped,
            NonFiniteCount = nonFinite,
            Evaluations = evaluations,
        };
    }

    /// <summary>The provenance keys every estimator reports.</summary>
    /// <param name="method">The method name.</param>
    /// <param name="options">Guardrails.</param>
    public static Dictionary<string, object?> Describe(string method, GuardrailOptions options) => new()
    {
        ["method"] = method,
        ["floor"] = options.Floor,
        ["ceiling"] = options.Ceiling,
        ["negative"] = options.Negative.ToString().ToLowerInvariant(),
    };
}
