using DluxShera.Contracts;

namespace DluxShera.Samplers;

/// <summary>A point in phase space with its cached log density and gradient (BlackJAX's <c>IntegratorState</c>).</summary>
public sealed class PhasePoint
{
    /// <summary>Allocates a point of dimension <paramref name="dimension"/>.</summary>
    /// <param name="dimension">D.</param>
    public PhasePoint(int dimension)
    {
        Position = new double[dimension];
        Momentum = new double[dimension];
        Gradient = new double[dimension];
    }

    /// <summary>θ.</summary>
    public double[] Position { get; }

    /// <summary>p.</summary>
    public double[] Momentum { get; }

    /// <summary>∇ log p(θ).</summary>
    public double[] Gradient { get; }

    /// <summary>log p(θ).</summary>
    public double LogDensity { get; set; }

    /// <summary>Copies <paramref name="other"/> into this point.</summary>
    /// <param name="other">The source.</param>
    public void CopyFrom(PhasePoint other)
    {
        other.Position.CopyTo(Position, 0);
        other.Momentum.CopyTo(Momentum, 0);
        other.Gradient.CopyTo(Gradient, 0);
        LogDensity = other.LogDensity;
    }

    /// <summary>The Hamiltonian H = −log p(θ) + K(p); NaN is read as +∞ (a divergence).</summary>
    /// <param name="metric">The metric.</param>
    public double Hamiltonian(EuclideanMetric metric)
    {
        double h = -LogDensity + metric.Kinetic(Momentum);
        return double.IsNaN(h) ? double.PositiveInfinity : h;
    }
}

/// <summary>
/// The leapfrog (velocity Verlet) integrator over a log density, counting gradient evaluations.
/// Non-finite log densities are kept (as −∞) so the caller sees the energy error as a divergence.
/// </summary>
public sealed class LeapfrogIntegrator
{
    private readonly ILogDensity _density;
    private readonly double[] _velocity;

    /// <summary>Creates an integrator.</summary>
    /// <param name="density">The density (one instance per chain).</param>
    public LeapfrogIntegrator(ILogDensity density)
    {
        _density = density;
        _velocity = new double[density.IndexMap.Dimension];
    }

    /// <summary>Gradient evaluations so far.</summary>
    public long Evaluations { get; private set; }

    /// <summary>Evaluates log p and its gradient at the point's position.</summary>
    /// <param name="point">The point.</param>
    public void Evaluate(PhasePoint point)
    {
        double lp = _density.Evaluate(point.Position, point.Gradient);
        Evaluations++;
        point.LogDensity = double.IsNaN(lp) ? double.NegativeInfinity : lp;
    }

    /// <summary>One leapfrog step of size <paramref name="epsilon"/> (negative: backwards in time).</summary>
    /// <param name="point">The point, advanced in place.</param>
    /// <param name="metric">The metric.</param>
    /// <param name="epsilon">The signed step size.</param>
    public void Step(PhasePoint point, EuclideanMetric metric, double epsilon)
    {
        int d = point.Position.Length;
        var p = point.Momentum;
        var q = point.Position;
        var g = point.Gradient;
        for (int i = 0; i < d; i++) p[i] += 0.5 * epsilon * g[i];
        metric.Velocity(p, _velocity);
        for (int i = 0; i < d; i++) q[i] += epsilon * _velocity[i];
        Evaluate(point);
        for (int i = 0; i < d; i++) p[i] += 0.5 * epsilon * g[i];
    }
}
