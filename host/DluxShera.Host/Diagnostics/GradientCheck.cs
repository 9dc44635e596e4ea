namespace DluxShera.Host.Diagnostics;

/// <summary>One comparison of an objective's capability against an independent reference.</summary>
/// <param name="Capability">The capability checked, e.g. <c>gradient</c>, <c>jvp</c>, <c>adjoint</c>.</param>
/// <param name="Entry">What was compared: a parameter name, a random pair, or a sum.</param>
/// <param name="Value">The objective's own value (or a norm of it).</param>
/// <param name="Reference">The independent value (finite differences, the other side of an identity).</param>
/// <param name="Error">|value − reference| (a norm for vectors).</param>
/// <param name="Tolerance">The largest error accepted.</param>
/// <param name="Note">Why a check was skipped, or what the reference is.</param>
/// <param name="Skipped">The check could not run (see <paramref name="Note"/>); it neither passes nor fails.</param>
public sealed record CheckResult(string Capability, string Entry, double Value, double Reference, double Error, double Tolerance, string Note = "", bool Skipped = false)
{
    /// <summary>Within tolerance; a NaN anywhere never passes.</summary>
    public bool Passed => Skipped || Error <= Tolerance;

    /// <summary>Error over tolerance: above 1 fails; used to name the worst entries.</summary>
    public double Severity => Skipped ? 0 : double.IsNaN(Error) ? double.PositiveInfinity : Error / Math.Max(Tolerance, double.Epsilon);

    /// <summary>A check that could not run, with the reason.</summary>
    /// <param name="capability">The capability.</param>
    /// <param name="entry">The entry.</param>
    /// <param name="why">The reason.</param>
    public static CheckResult Skip(string capability, string entry, string why) => new(capability, entry, double.NaN, double.NaN, double.NaN, double.NaN, why, Skipped: true);
}

/// <summary>Tolerances and sizes of a gradient check.</summary>
public sealed record GradientCheckSettings
{
    /// <summary>Relative tolerance of derivative comparisons (finite differences agree to ~1e-9 on smooth losses).</summary>
    public double Rtol { get; init; } = 1e-6;

    /// <summary>Relative tolerance of exact identities (adjoint test, sums of terms).</summary>
    public double IdentityRtol { get; init; } = 1e-9;

    /// <summary>Random vector pairs of the adjoint test.</summary>
    public int AdjointPairs { get; init; } = 3;

    /// <summary>Per-observation terms are summed when there are at most this many; else a sample is checked.</summary>
    public int MaxObservations { get; init; } = 512;

    /// <summary>Observations checked one by one when there are more than <see cref="MaxObservations"/>.</summary>
    public int SampledObservations { get; init; } = 16;

    /// <summary>Seed of the random directions.</summary>
    public ulong Seed { get; init; }
}
