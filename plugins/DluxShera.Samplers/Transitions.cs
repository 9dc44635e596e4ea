namespace DluxShera.Samplers;

/// <summary>What one transition did (BlackJAX's <c>Info</c>; Stan's sampler diagnostics).</summary>
/// <param name="AcceptStat">Mean Metropolis acceptance probability over the trajectory (drives step-size adaptation).</param>
/// <param name="TreeDepth">NUTS tree depth (HMC: 0).</param>
/// <param name="NumLeapfrog">Leapfrog steps taken.</param>
/// <param name="IsDivergent">Whether the energy error exceeded the divergence threshold.</param>
/// <param name="Energy">The Hamiltonian at the returned point.</param>
public readonly record struct TransitionInfo(double AcceptStat, int TreeDepth, int NumLeapfrog, bool IsDivergent, double Energy);

/// <summary>One MCMC transition kernel: advances a chain's state in place.</summary>
public interface ITransitionKernel
{
    /// <summary>Moves <paramref name="state"/> (position, log density, gradient) to the next draw.</summary>
    /// <param name="state">The chain's state, updated in place.</param>
    /// <param name="metric">The metric.</param>
    /// <param name="stepSize">The nominal step size.</param>
    /// <param name="rng">The chain's stream.</param>
    TransitionInfo Transition(PhasePoint state, EuclideanMetric metric, double stepSize, RandomStream rng);
}

/// <summary>Numerics shared by the kernels.</summary>
internal static class Numerics
{
    /// <summary>Energy errors above this mark a divergent transition (Stan's <c>max_deltaH</c>).</summary>
    public const double MaxDeltaH = 1000;

    public static double LogSumExp(double a, double b)
    {
        if (double.IsNegativeInfinity(a)) return b;
        if (double.IsNegativeInfinity(b)) return a;
        return a > b ? a + double.LogP1(Math.Exp(b - a)) : b + double.LogP1(Math.Exp(a - b));
    }

    public static double Dot(double[] a, double[] b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }
}

/// <summary>
/// Multinomial NUTS exactly as Stan's <c>base_nuts</c>: trajectories doubled in a random direction, states chosen by
/// multinomial sampling biased to the new subtree, the generalised no-U-turn criterion checked across merged subtrees
/// and between neighbouring subtrees, divergence when the energy error exceeds 1000, and a maximum tree depth.
/// </summary>
/// <remarks>All vectors are allocated once per chain: one set per tree level, as only one call per level is active.</remarks>
public sealed class NutsKernel : ITransitionKernel
{
    private readonly int _maxDepth;
    private readonly LeapfrogIntegrator _integrator;
    private readonly PhasePoint _z, _fwd, _bck, _sample, _propose;
    private readonly double[] _pFwdFwd, _sFwdFwd, _pFwdBck, _sFwdBck, _pBckFwd, _sBckFwd, _pBckBck, _sBckBck, _rho, _rhoFwd, _rhoBck, _scratch;
    private readonly Level[] _levels;
    private EuclideanMetric _metric = null!;
    private double _epsilon, _h0, _sumMetroProb;
    private int _numLeapfrog;
    private bool _divergent;
    private RandomStream _rng = null!;

    /// <summary>Creates a kernel.</summary>
    /// <param name="integrator">The chain's integrator.</param>
    /// <param name="dimension">D.</param>
    /// <param name="maxTreeDepth">Maximum tree depth (2^depth leapfrog steps at most).</param>
    public NutsKernel(LeapfrogIntegrator integrator, int dimension, int maxTreeDepth)
    {
        _integrator = integrator;
        _maxDepth = maxTreeDepth;
        PhasePoint P() => new(dimension);
        double[] V() => new double[dimension];
        (_z, _fwd, _bck, _sample, _propose) = (P(), P(), P(), P(), P());
        (_pFwdFwd, _sFwdFwd, _pFwdBck, _sFwdBck, _pBckFwd, _sBckFwd, _pBckBck, _sBckBck) = (V(), V(), V(), V(), V(), V(), V(), V());
        (_rho, _rhoFwd, _rhoBck, _scratch) = (V(), V(), V(), V());
        _levels = new Level[Math.Max(maxTreeDepth, 1)];
        for (int i = 0; i < _levels.Length; i++) _levels[i] = new Level(dimension);
    }

    /// <inheritdoc/>
    public TransitionInfo Transition(PhasePoint state, EuclideanMetric metric, double stepSize, RandomStream rng)
    {
        _metric = metric;
        _epsilon = stepSize;
        _rng = rng;
        _z.CopyFrom(state);
        metric.SampleMomentum(rng, _z.Momentum);
        _fwd.CopyFrom(_z);
        _bck.CopyFrom(_z);
        _sample.CopyFrom(_z);
        _propose.CopyFrom(_z);

        _z.Momentum.CopyTo(_pFwdFwd, 0);
        metric.Velocity(_z.Momentum, _sFwdFwd);
        _pFwdFwd.CopyTo(_pFwdBck, 0);
        _sFwdFwd.CopyTo(_sFwdBck, 0);
        _pFwdFwd.CopyTo(_pBckFwd, 0);
        _sFwdFwd.CopyTo(_sBckFwd, 0);
        _pFwdFwd.CopyTo(_pBckBck, 0);
        _sFwdFwd.CopyTo(_sBckBck, 0);
        _z.Momentum.CopyTo(_rho, 0);

        double logSumWeight = 0; // log(exp(H0 − H0))
        _h0 = _z.Hamiltonian(metric);
        _numLeapfrog = 0;
        _sumMetroProb = 0;
        _divergent = false;
        int depth = 0;

        while (depth < _maxDepth)
        {
            Array.Clear(_rhoFwd);
            Array.Clear(_rhoBck);
            double logSumWeightSubtree = double.NegativeInfinity;
            bool valid;
            if (rng.NextUniform() > 0.5)
            {
                // Extend forwards: the trajectory so far becomes the backward subtree.
                _z.CopyFrom(_fwd);
                _rho.CopyTo(_rhoBck, 0);
                _pFwdFwd.CopyTo(_pBckFwd, 0);
                _sFwdFwd.CopyTo(_sBckFwd, 0);
                valid = BuildTree(depth, _propose, _sFwdBck, _sFwdFwd, _rhoFwd, _pFwdBck, _pFwdFwd, 1, ref logSumWeightSubtree);
                _fwd.CopyFrom(_z);
            }
            else
            {
                // Extend backwards: the trajectory so far becomes the forward subtree.
                _z.CopyFrom(_bck);
                _rho.CopyTo(_rhoFwd, 0);
                _pBckBck.CopyTo(_pFwdBck, 0);
                _sBckBck.CopyTo(_sFwdBck, 0);
                valid = BuildTree(depth, _propose, _sBckFwd, _sBckBck, _rhoBck, _pBckFwd, _pBckBck, -1, ref logSumWeightSubtree);
                _bck.CopyFrom(_z);
            }
            if (!valid) break;
            depth++;

            // Biased progressive sampling: prefer the new subtree.
            if (logSumWeightSubtree > logSumWeight || rng.NextUniform() < Math.Exp(logSumWeightSubtree - logSumWeight))
            {
                _sample.CopyFrom(_propose);
            }
            logSumWeight = Numerics.LogSumExp(logSumWeight, logSumWeightSubtree);

            for (int i = 0; i < _rho.Length; i++) _rho[i] = _rhoBck[i] + _rhoFwd[i];
            bool persist = Criterion(_sBckBck, _sFwdFwd, _rho, null);
            persist &= Criterion(_sBckBck, _sFwdBck, _rhoBck, _pFwdBck);
            persist &= Criterion(_sBckFwd, _sFwdFwd, _rhoFwd, _pBckFwd);
            if (!persist) break;
        }

        double acceptStat = _numLeapfrog > 0 ? _sumMetroProb / _numLeapfrog : 0;
        state.CopyFrom(_sample);
        return new TransitionInfo(acceptStat, depth, _numLeapfrog, _divergent, _sample.Hamiltonian(metric));
    }

    private bool BuildTree(int depth, PhasePoint propose, double[] sharpBegin, double[] sharpEnd, double[] rho, double[] pBegin, double[] pEnd,
        int sign, ref double logSumWeight)
    {
        if (depth == 0)
        {
            _integrator.Step(_z, _metric, sign * _epsilon);
            _numLeapfrog++;
            double h = _z.Hamiltonian(_metric);
            if (h - _h0 > Numerics.MaxDeltaH) _divergent = true;
            logSumWeight = Numerics.LogSumExp(logSumWeight, _h0 - h);
            _sumMetroProb += _h0 - h > 0 ? 1 : Math.Exp(_h0 - h);
            propose.CopyFrom(_z);
            _metric.Velocity(_z.Momentum, sharpBegin);
            sharpBegin.CopyTo(sharpEnd, 0);
            for (int i = 0; i < rho.Length; i++) rho[i] += _z.Momentum[i];
            _z.Momentum.CopyTo(pBegin, 0);
            _z.Momentum.CopyTo(pEnd, 0);
            return !_divergent;
        }

        var level = _levels[depth - 1];
        double logSumWeightInit = double.NegativeInfinity;
        Array.Clear(level.RhoInit);
        if (!BuildTree(depth - 1, propose, sharpBegin, level.SharpInitEnd, level.RhoInit, pBegin, level.PInitEnd, sign, ref logSumWeightInit)) return false;

        level.ProposeFinal.CopyFrom(_z);
        double logSumWeightFinal = double.NegativeInfinity;
        Array.Clear(level.RhoFinal);
        if (!BuildTree(depth - 1, level.ProposeFinal, level.SharpFinalBegin, sharpEnd, level.RhoFinal, level.PFinalBegin, pEnd, sign, ref logSumWeightFinal)) return false;

        double logSumWeightSubtree = Numerics.LogSumExp(logSumWeightInit, logSumWeightFinal);
        logSumWeight = Numerics.LogSumExp(logSumWeight, logSumWeightSubtree);
        if (logSumWeightFinal > logSumWeightSubtree || _rng.NextUniform() < Math.Exp(logSumWeightFinal - logSumWeightSubtree))
        {
            propose.CopyFrom(level.ProposeFinal);
        }

        for (int i = 0; i < rho.Length; i++)
        {
            _scratch[i] = level.RhoInit[i] + level.RhoFinal[i];
            rho[i] += _scratch[i];
        }
        bool persist = Criterion(sharpBegin, sharpEnd, _scratch, null);
        persist &= Criterion(sharpBegin, level.SharpFinalBegin, level.RhoInit, level.PFinalBegin);
        persist &= Criterion(level.SharpInitEnd, sharpEnd, level.RhoFinal, level.PInitEnd);
        return persist;
    }

    // The generalised no-U-turn criterion on ρ = a (+ b): both end velocities still point along ρ.
    private static bool Criterion(double[] sharpMinus, double[] sharpPlus, double[] a, double[]? b)
    {
        double plus = Numerics.Dot(sharpPlus, a), minus = Numerics.Dot(sharpMinus, a);
        if (b is not null)
        {
            plus += Numerics.Dot(sharpPlus, b);
            minus += Numerics.Dot(sharpMinus, b);
        }
        return plus > 0 && minus > 0;
    }

    private sealed class Level(int d)
    {
        public PhasePoint ProposeFinal { get; } = new(d);
        public double[] PInitEnd { get; } = new double[d];
        public double[] SharpInitEnd { get; } = new double[d];
        public double[] RhoInit { get; } = new double[d];
        public double[] PFinalBegin { get; } = new double[d];
        public double[] SharpFinalBegin { get; } = new double[d];
        public double[] RhoFinal { get; } = new double[d];
    }
}

/// <summary>
/// Static HMC with a fixed integration time T: each transition jitters the step size uniformly by ±<c>jitter</c>
/// and takes L = max(1, ⌊T/ε⌋) leapfrog steps (at most a cap), then a Metropolis correction (Stan's static HMC).
/// </summary>
public sealed class StaticHmcKernel(LeapfrogIntegrator integrator, int dimension, double integrationTime, double jitter, int maxSteps) : ITransitionKernel
{
    private readonly PhasePoint _z = new(dimension);

    /// <inheritdoc/>
    public TransitionInfo Transition(PhasePoint state, EuclideanMetric metric, double stepSize, RandomStream rng)
    {
        _z.CopyFrom(state);
        metric.SampleMomentum(rng, _z.Momentum);
        double h0 = _z.Hamiltonian(metric);
        double epsilon = stepSize * (1 + jitter * (2 * rng.NextUniform() - 1));
        int steps = (int)Math.Clamp(Math.Floor(integrationTime / epsilon), 1, maxSteps);
        bool divergent = false;
        int taken = 0;
        double h = h0;
        for (int l = 0; l < steps; l++)
        {
            integrator.Step(_z, metric, epsilon);
            taken++;
            h = _z.Hamiltonian(metric);
            if (h - h0 > Numerics.MaxDeltaH)
            {
                divergent = true; // acceptance would be below e^-1000: stop integrating
                break;
            }
        }
        double acceptProb = divergent ? 0 : Math.Min(1, Math.Exp(h0 - h));
        if (!divergent && (acceptProb >= 1 || rng.NextUniform() < acceptProb))
        {
            state.CopyFrom(_z);
        }
        else
        {
            // Rejected: the chain stays; its energy is H at the start with the fresh momentum, as Stan reports it.
            h = h0;
        }
        return new TransitionInfo(acceptProb, 0, taken, divergent, h);
    }
}
