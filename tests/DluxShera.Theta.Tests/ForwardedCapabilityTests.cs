using System.Text.Json.Nodes;
using DluxShera.Contracts;
using Xunit;

namespace DluxShera.Theta.Tests;

/// <summary>
/// The composed objective forwards every optional capability of the contracts, not only the ones engines use:
/// check-gradients' loss decomposition (<see cref="IExtraLossTerms"/>) and image units among them.
/// </summary>
public sealed class ForwardedCapabilityTests
{
    // Every optional capability the contracts define: interfaces extending IObjective (but the log-Jacobian, which the
    // composed objective adds itself) and the truth provider. A capability added to the contracts lands here by itself.
    private static readonly Type[] ContractCapabilities = typeof(IObjective).Assembly.GetTypes()
        .Where(t => t.IsInterface && t != typeof(IObjective) && t != typeof(ILogJacobianObjective) && typeof(IObjective).IsAssignableFrom(t))
        .Append(typeof(ITruthProvider))
        .ToArray();

    [Fact]
    public void Every_contract_capability_of_the_base_objective_is_visible_on_the_composed_one()
    {
        var everything = new EveryCapability();
        foreach (var capability in ContractCapabilities)
        {
            // If this fails, a capability was added to the contracts: implement it in EveryCapability, then forward it.
            Assert.True(capability.IsInstanceOfType(everything), $"EveryCapability lacks {capability.Name}");
        }
        var composed = ThetaMappedObjective.Create(everything, new IdentityThetaMap(everything.IndexMap));
        foreach (var capability in ContractCapabilities) Assert.True(capability.IsInstanceOfType(composed), $"composed objective does not forward {capability.Name}");
        Assert.Equal("ADU", ((IImageObjective)composed).ImageUnit);
    }

    [Fact]
    public void Extra_loss_terms_are_composed_with_the_map_so_the_decomposition_holds_in_z()
    {
        // Unconstrained then eigen: a nonlinear chain, so a pulled-back gradient that skipped a stage would be wrong.
        var objective = new DecayWithPrior();
        var unconstrained = ThetaMappedObjective.Create(objective, new BijectorThetaMap(objective.IndexMap));
        var u0 = new double[3];
        unconstrained.GetInitialTheta(u0);
        var composed = ThetaMappedObjective.Create(unconstrained, EigenThetaMap.FromCurvature(Numerics.SpdWithSpectrum([30, 3, 0.3], 7), u0, new EigenSettings()));
        var terms = Assert.IsAssignableFrom<IExtraLossTerms>(composed);
        var residuals = (IResidualObjective)composed;
        double[] z = [0.4, -0.3, 0.2];

        var g = new double[3];
        double extra = terms.ExtraLoss(z, g);
        var r = new double[residuals.ResidualCount];
        residuals.Residuals(z, r);
        // loss = ½ Σ w r² + extra (weights 4), the identity check-gradients verifies.
        Assert.Equal(composed.Evaluate(z, new double[3]), 0.5 * r.Sum(x => 4 * x * x) + extra, 12);
        // extra(z) is the prior at the decoded rate: ½((k − 0.5)/0.2)².
        double rate = composed.Decode(z)["rate"][0];
        Assert.Equal(0.5 * Math.Pow((rate - 0.5) / 0.2, 2), extra, 12);
        var fd = Numerics.Gradient(x => terms.ExtraLoss(x, new double[3]), z);
        for (int i = 0; i < 3; i++) Assert.Equal(fd[i], g[i], 6);
    }

    [Fact]
    public void An_extra_loss_that_declares_no_identity_stays_NaN_in_z()
    {
        var objective = new DecayWithPrior { NoIdentity = true };
        var composed = (IExtraLossTerms)ThetaMappedObjective.Create(objective, new BijectorThetaMap(objective.IndexMap));
        Assert.True(double.IsNaN(composed.ExtraLoss([0.1, 0.2, 0.3], new double[3])));
    }

    /// <summary>The exponential decay plus a Gaussian prior on the rate, declared as the extra loss term.</summary>
    private sealed class DecayWithPrior : IResidualObjective, IExtraLossTerms
    {
        private readonly ExponentialDecay _decay = new();

        public bool NoIdentity { get; init; }
        public string Name => "decay_with_prior";
        public IndexMap IndexMap => _decay.IndexMap;
        public int ResidualCount => _decay.ResidualCount;
        public void GetInitialTheta(Span<double> theta) => _decay.GetInitialTheta(theta);
        public IReadOnlyDictionary<string, object?> Describe() => _decay.Describe();
        public void GetWeights(Span<double> weights) => _decay.GetWeights(weights);
        public void Residuals(ReadOnlySpan<double> theta, Span<double> r) => _decay.Residuals(theta, r);
        public void JacobianVectorProduct(ReadOnlySpan<double> theta, ReadOnlySpan<double> v, Span<double> jv) => _decay.JacobianVectorProduct(theta, v, jv);
        public void VectorJacobianProduct(ReadOnlySpan<double> theta, ReadOnlySpan<double> u, Span<double> jtu) => _decay.VectorJacobianProduct(theta, u, jtu);

        public double ExtraLoss(ReadOnlySpan<double> theta, Span<double> gradient)
        {
            gradient[..3].Clear();
            if (NoIdentity) return double.NaN;
            double k = (theta[1] - 0.5) / 0.2;
            gradient[1] = k / 0.2;
            return 0.5 * k * k;
        }

        public double Evaluate(ReadOnlySpan<double> theta, Span<double> gradient)
        {
            double loss = _decay.Evaluate(theta, gradient);
            double k = (theta[1] - 0.5) / 0.2;
            gradient[1] += k / 0.2;
            return loss + 0.5 * k * k;
        }
    }

    /// <summary>An objective declaring every optional capability; only the members the test touches work.</summary>
    private sealed class EveryCapability : IResidualObjective, IHessianVectorObjective, IPerObservationObjective, IBatchedObjective,
        IImageObjective, ISimulatingObjective, ITruthProvider, IExtraLossTerms
    {
        public string Name => "every_capability";
        public IndexMap IndexMap { get; } = IndexMap.SingleVector(2);
        public int ResidualCount => 1;
        public int ObservationCount => 1;
        public int ImageWidth => 1;
        public int ImageHeight => 1;
        public string ImageUnit => "ADU";
        public bool IsSimulated => false;
        public IReadOnlyDictionary<string, NdArray> SimulatedData => new Dictionary<string, NdArray>();
        public double? KnownMinimum => null;
        public void GetInitialTheta(Span<double> theta) => theta.Clear();
        public IReadOnlyDictionary<string, object?> Describe() => new Dictionary<string, object?>();
        public double Evaluate(ReadOnlySpan<double> theta, Span<double> gradient) => throw new NotSupportedException();
        public void Residuals(ReadOnlySpan<double> theta, Span<double> residuals) => throw new NotSupportedException();
        public void GetWeights(Span<double> weights) => throw new NotSupportedException();
        public void JacobianVectorProduct(ReadOnlySpan<double> theta, ReadOnlySpan<double> v, Span<double> jv) => throw new NotSupportedException();
        public void VectorJacobianProduct(ReadOnlySpan<double> theta, ReadOnlySpan<double> u, Span<double> jtu) => throw new NotSupportedException();
        public void HessianVectorProduct(ReadOnlySpan<double> theta, ReadOnlySpan<double> v, Span<double> hv) => throw new NotSupportedException();
        public double EvaluateObservation(int index, ReadOnlySpan<double> theta, Span<double> gradient) => throw new NotSupportedException();
        public void EvaluateBatch(ReadOnlySpan<double> thetas, Span<double> losses, Span<double> gradients) => throw new NotSupportedException();
        public void Images(ReadOnlySpan<double> theta, Span<double> data, Span<double> model, Span<double> variance) => throw new NotSupportedException();
        public JsonObject DescribeTruth() => throw new NotSupportedException();
        public bool TryGetTruth(Span<double> theta) => false;
        public double ExtraLoss(ReadOnlySpan<double> theta, Span<double> gradient) => throw new NotSupportedException();
    }
}
