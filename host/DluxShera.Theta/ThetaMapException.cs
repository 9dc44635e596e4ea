namespace DluxShera.Theta;

/// <summary>A θ map cannot be built or applied (bad options, a curvature with negative eigenvalues, a value outside a bijector's domain).</summary>
/// <param name="message">What was wrong and what was expected.</param>
public sealed class ThetaMapException(string message) : Exception(message);
