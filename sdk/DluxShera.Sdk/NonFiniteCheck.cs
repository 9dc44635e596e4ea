using DluxShera.Contracts;

namespace DluxShera.Sdk;

/// <summary>
/// The finiteness test every engine runs before it uses an evaluation: a NaN or infinite loss or gradient
/// entry must end the run as failed (keeping the last finite point), never be stepped on.
/// </summary>
public static class NonFiniteCheck
{
    /// <summary>Why (loss, gradient) cannot be used, or null when both are finite.</summary>
    /// <param name="loss">The loss.</param>
    /// <param name="gradient">The gradient.</param>
    /// <returns><see cref="StopReasons.NonFiniteLoss"/>, <see cref="StopReasons.NonFiniteGradient"/> or null.</returns>
    public static string? Reason(double loss, ReadOnlySpan<double> gradient)
    {
        if (!double.IsFinite(loss)) return StopReasons.NonFiniteLoss;
        foreach (double g in gradient)
        {
            if (!double.IsFinite(g)) return StopReasons.NonFiniteGradient;
        }
        return null;
    }
}
