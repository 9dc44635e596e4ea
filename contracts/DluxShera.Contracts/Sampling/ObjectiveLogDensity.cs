namespace DluxShera.Contracts;

/// <summary>
/// The posterior density a sampler draws from, built from an objective: <c>log p(θ) = −loss(θ)</c>, plus
/// <see cref="ILogJacobianObjective.LogAbsDetJacobian"/> when the host has reparameterised θ (eigen or
/// unconstrained θ-space), so draws in z are draws of the same posterior as in primitive θ. Added in contract 1.2.
/// </summary>
/// <remarks>One instance per chain/thread: it owns a scratch buffer.</remarks>
public sealed class ObjectiveLogDensity : ILogDensity
{
    private readonly IObjective _objective;
    private readonly ILogJacobianObjective? _jacobian;
    private readonly double[] _scratch;

    /// <summary>Wraps <paramref name="objective"/>.</summary>
    /// <param name="objective">The (possibly reparameterised) objective.</param>
    public ObjectiveLogDensity(IObjective objective)
    {
        _objective = objective;
        _jacobian = objective as ILogJacobianObjective;
        _scratch = new double[objective.IndexMap.Dimension];
    }

    /// <summary>Whether a change-of-variables term is added.</summary>
    public bool IncludesLogJacobian => _jacobian is not null;

    /// <inheritdoc/>
    public IndexMap IndexMap => _objective.IndexMap;

    /// <inheritdoc/>
    public double Evaluate(ReadOnlySpan<double> theta, Span<double> gradient)
    {
        double logp = -_objective.Evaluate(theta, gradient);
        for (int i = 0; i < gradient.Length; i++) gradient[i] = -gradient[i];
        if (_jacobian is null) return logp;
        logp += _jacobian.LogAbsDetJacobian(theta, _scratch);
        for (int i = 0; i < gradient.Length; i++) gradient[i] += _scratch[i];
        return logp;
    }
}
