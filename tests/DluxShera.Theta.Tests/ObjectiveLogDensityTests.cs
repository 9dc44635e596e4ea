using Xunit;
using DluxShera.Contracts;

namespace DluxShera.Theta.Tests;

public sealed class ObjectiveLogDensityTests
{
    // loss(z) = ½ Σ z², and a log map primitive = exp(z) whose log|det J| = Σ z (gradient 1).
    private sealed class HalfSquareInLogSpace(bool withJacobian) : ILogJacobianObjective
    {
        public string Name => "half_square";
        public IndexMap IndexMap { get; } = IndexMap.SingleVector(2);
        public void GetInitialTheta(Span<double> theta) => theta.Clear();
        public double Evaluate(ReadOnlySpan<double> theta, Span<double> gradient)
        {
            double loss = 0;
            for (int i = 0; i < theta.Length; i++) { loss += 0.5 * theta[i] * theta[i]; gradient[i] = theta[i]; }
            return loss;
        }
        public IReadOnlyDictionary<string, object?> Describe() => new Dictionary<string, object?>();
        public double LogAbsDetJacobian(ReadOnlySpan<double> theta, Span<double> gradient)
        {
            if (!withJacobian) throw new InvalidOperationException("not reparameterised");
            gradient.Fill(1);
            return theta[0] + theta[1];
        }
    }

    [Fact]
    public void Adds_the_change_of_variables_term_to_minus_the_loss()
    {
        var density = new ObjectiveLogDensity(new HalfSquareInLogSpace(true));
        var g = new double[2];
        double logp = density.Evaluate([0.5, -2.0], g);
        Assert.True(density.IncludesLogJacobian);
        // −½(0.25 + 4) + (0.5 − 2) = −2.125 − 1.5
        Assert.Equal(-3.625, logp, 14);
        Assert.Equal(-0.5 + 1, g[0], 14);
        Assert.Equal(2.0 + 1, g[1], 14);
    }

    private sealed class PlainHalfSquare : IObjective
    {
        public string Name => "half_square";
        public IndexMap IndexMap { get; } = IndexMap.SingleVector(1);
        public void GetInitialTheta(Span<double> theta) => theta.Clear();
        public double Evaluate(ReadOnlySpan<double> theta, Span<double> gradient) { gradient[0] = theta[0]; return 0.5 * theta[0] * theta[0]; }
        public IReadOnlyDictionary<string, object?> Describe() => new Dictionary<string, object?>();
    }

    [Fact]
    public void Without_a_reparameterisation_it_is_minus_the_loss()
    {
        var density = new ObjectiveLogDensity(new PlainHalfSquare());
        var g = new double[1];
        Assert.False(density.IncludesLogJacobian);
        Assert.Equal(-4.5, density.Evaluate([3.0], g), 14);
        Assert.Equal(-3.0, g[0], 14);
    }
}
