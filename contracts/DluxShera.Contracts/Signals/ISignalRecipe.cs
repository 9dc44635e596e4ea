using System.Text.Json.Nodes;

namespace DluxShera.Contracts;

/// <summary>Turns a trace (+ meta, decoder, truth) into named, unit-carrying arrays and panel specs.</summary>
public interface ISignalRecipe
{
    /// <summary>The registered name.</summary>
    string Name { get; }

    /// <summary>Builds the signals.</summary>
    /// <param name="context">Trace, meta, decoder and truth.</param>
    SignalSet Build(SignalContext context);
}

/// <summary>The trace arrays as loaded from <c>trace.npz</c>.</summary>
public sealed class TraceData
{
    /// <summary>loss, length T.</summary>
    public required double[] Loss { get; init; }

    /// <summary>θ, T×D row-major.</summary>
    public required double[] Theta { get; init; }

    /// <summary>D.</summary>
    public required int Dimension { get; init; }

    /// <summary>Other channels (<c>grad_norm</c>, <c>step_norm</c>, <c>base_lr</c>, <c>accepted</c> as 0/1), each length T.</summary>
    public IReadOnlyDictionary<string, double[]> Channels { get; init; } = new Dictionary<string, double[]>();

    /// <summary>T.</summary>
    public int Steps => Loss.Length;

    /// <summary>θ at row <paramref name="t"/>.</summary>
    /// <param name="t">Row.</param>
    public ReadOnlySpan<double> ThetaAt(int t) => Theta.AsSpan(t * Dimension, Dimension);
}

/// <summary>Inputs of a signal recipe.</summary>
public sealed class SignalContext
{
    /// <summary>The trace.</summary>
    public required TraceData Trace { get; init; }

    /// <summary>The run's meta.json.</summary>
    public required JsonObject Meta { get; init; }

    /// <summary>
    /// Decodes a trace row (θ in the run's θ-space: primitive, eigen or unconstrained) into the objective's
    /// primitive parameters, keyed by the primitive IndexMap's entry names (<c>meta.theta.primitive_index_map</c>).
    /// The host sets it for every run and <c>plot</c> rebuilds it from meta.json and theta_map.npz, so recipes
    /// give the same signals in every θ-space. Null only when a recipe is called outside the host.
    /// </summary>
    public IThetaDecoder? Decoder { get; init; }

    /// <summary>
    /// The true primitive parameters (flattened in the primitive IndexMap's order, i.e. what <see cref="Decoder"/>
    /// decodes to), or null when unknown. Set by the host from <see cref="ITruthProvider"/> (recorded as
    /// <c>meta.theta.truth</c>, which <c>plot</c> reads back).
    /// </summary>
    public double[]? Truth { get; init; }
}

/// <summary>One signal: values over steps, with unit and optional truth.</summary>
/// <param name="Name">Fully qualified name with unit convention, e.g. <c>binary.x_error_uas</c>.</param>
/// <param name="Unit">Unit label for axes, e.g. <c>µas</c>.</param>
/// <param name="Values">Values, T×K row-major (K = 1 for scalars).</param>
/// <param name="Shape">[T] or [T, K].</param>
/// <param name="Truth">Truth per component (length K), or null.</param>
public sealed record Signal(string Name, string Unit, double[] Values, int[] Shape, double[]? Truth = null);

/// <summary>How a vector-valued signal is drawn.</summary>
public enum VectorMode
{
    /// <summary>One line per component.</summary>
    Components,

    /// <summary>One summary curve (see <see cref="SummaryStatistic"/>).</summary>
    Summary,

    /// <summary>Summary plus the top-N components.</summary>
    Hybrid,
}

/// <summary>Summary statistic for <see cref="VectorMode.Summary"/>.</summary>
public enum SummaryStatistic
{
    /// <summary>Root mean square.</summary>
    Rms,

    /// <summary>Euclidean norm.</summary>
    Norm,

    /// <summary>Mean absolute value.</summary>
    MeanAbs,
}

/// <summary>A panel: one axis holding one or more signals.</summary>
/// <param name="Title">Panel title (the final value is appended by the renderer).</param>
/// <param name="Signals">Names of the signals drawn on this axis.</param>
/// <param name="Mode">Vector mode.</param>
/// <param name="Statistic">Summary statistic.</param>
/// <param name="TopN">Components shown in hybrid mode.</param>
/// <param name="LogY">Logarithmic y axis.</param>
public sealed record PanelSpec(string Title, IReadOnlyList<string> Signals, VectorMode Mode = VectorMode.Components,
    SummaryStatistic Statistic = SummaryStatistic.Rms, int TopN = 3, bool LogY = false);

/// <summary>What a recipe returns.</summary>
/// <param name="Signals">The signals.</param>
/// <param name="Panels">The panels, in grid order.</param>
public sealed record SignalSet(IReadOnlyList<Signal> Signals, IReadOnlyList<PanelSpec> Panels);
