using DluxShera.Contracts;

namespace DluxShera.Samplers;

/// <summary>The settings one chain runs with (immutable, converted from the bound options before the hot loop).</summary>
/// <param name="NumWarmup">Warm-up iterations.</param>
/// <param name="NumSamples">Draws kept after warm-up.</param>
/// <param name="TargetAccept">Target acceptance statistic of step-size adaptation.</param>
/// <param name="InitialStepSize">The first step size (refined by Stan's doubling/halving heuristic when adapting).</param>
/// <param name="AdaptStepSize">Whether warm-up adapts the step size.</param>
/// <param name="Schedule">Metric windows.</param>
/// <param name="DenseMetric">Estimate a dense metric (else diagonal).</param>
public sealed record ChainSettings(int NumWarmup, int NumSamples, double TargetAccept, double InitialStepSize, bool AdaptStepSize,
    WarmupSchedule Schedule, bool DenseMetric);

/// <summary>What one chain ended with.</summary>
/// <param name="Adaptation">Its adapted step size and metric, or null when warm-up did not finish.</param>
/// <param name="Iterations">Iterations completed (warm-up included).</param>
/// <param name="Divergences">Divergent transitions after warm-up.</param>
/// <param name="Evaluations">Gradient evaluations.</param>
public sealed record ChainOutcome(ChainAdaptation? Adaptation, int Iterations, int Divergences, long Evaluations);

/// <summary>
/// Runs one chain: Stan's windowed warm-up (step size by dual averaging, metric from slow windows, the step size
/// re-initialised after each metric update) and then the draws, streaming every row to the sink.
/// </summary>
public static class ChainRunner
{
    /// <summary>Runs chain <paramref name="chain"/>.</summary>
    /// <param name="chain">The chain index.</param>
    /// <param name="density">This chain's density instance.</param>
    /// <param name="start">θ at the start.</param>
    /// <param name="metric">The initial metric.</param>
    /// <param name="kernelFactory">Builds the transition kernel over this chain's integrator.</param>
    /// <param name="settings">The settings.</param>
    /// <param name="rng">The chain's stream.</param>
    /// <param name="sink">Where rows go.</param>
    /// <param name="progress">Per-chain progress, or null.</param>
    /// <param name="cancellation">Stops after the current iteration.</param>
    public static ChainOutcome Run(int chain, ILogDensity density, double[] start, EuclideanMetric metric,
        Func<LeapfrogIntegrator, ITransitionKernel> kernelFactory, ChainSettings settings, RandomStream rng,
        ISampleSink sink, IChainProgressReporter? progress, CancellationToken cancellation)
    {
        int d = start.Length;
        var integrator = new LeapfrogIntegrator(density);
        var kernel = kernelFactory(integrator);
        var state = new PhasePoint(d);
        start.CopyTo(state.Position, 0);
        integrator.Evaluate(state);
        if (!double.IsFinite(state.LogDensity))
        {
            throw new InvalidOperationException($"chain {chain}: the log density at the starting point is {state.LogDensity}; start inside the support");
        }

        double stepSize = settings.InitialStepSize;
        var stepAdaptation = new DualAveragingStepSize(settings.TargetAccept);
        var metricEstimator = new MetricEstimator(d, settings.DenseMetric);
        if (settings.NumWarmup > 0 && settings.AdaptStepSize)
        {
            // Stan sets μ = log(10 ε) from the step size it was given, before refining that step size
            // (services/sample/hmc_nuts_*_adapt, then run_adaptive_sampler's init_stepsize); only the restarts after a
            // metric update take μ from the refined step size.
            stepAdaptation.Restart(stepSize);
            stepSize = InitialStepSize(state, metric, stepSize, integrator, rng);
        }

        int total = settings.NumWarmup + settings.NumSamples;
        int divergences = 0, iterations = 0;
        ChainAdaptation? adaptation = settings.NumWarmup == 0 ? Adapted(chain, stepSize, metric) : null;
        for (int it = 0; it < total && !cancellation.IsCancellationRequested; it++)
        {
            bool warmup = it < settings.NumWarmup;
            var info = kernel.Transition(state, metric, stepSize, rng);
            if (!warmup && info.IsDivergent) divergences++;
            sink.Append(new SampleRow(chain, it, state.Position, state.LogDensity, warmup, info.AcceptStat, stepSize,
                info.TreeDepth, info.NumLeapfrog, info.IsDivergent, info.Energy, Norm(state.Gradient)));
            iterations = it + 1;

            if (warmup)
            {
                if (settings.AdaptStepSize) stepSize = stepAdaptation.Update(info.AcceptStat);
                if (settings.Schedule.Collects[it]) metricEstimator.Add(state.Position);
                if (settings.Schedule.WindowEnds[it])
                {
                    var estimate = metricEstimator.Finish();
                    metric = settings.DenseMetric ? EuclideanMetric.Dense(estimate, d) : EuclideanMetric.Diagonal(estimate);
                    if (settings.AdaptStepSize)
                    {
                        stepSize = InitialStepSize(state, metric, stepSize, integrator, rng);
                        stepAdaptation.Restart(stepSize);
                    }
                }
                if (it == settings.NumWarmup - 1)
                {
                    if (settings.AdaptStepSize) stepSize = stepAdaptation.Final();
                    adaptation = Adapted(chain, stepSize, metric);
                }
            }
            progress?.Report(new ChainProgressUpdate(chain, it + 1, total, it + 1 < settings.NumWarmup, divergences, stepSize, state.LogDensity));
        }
        return new ChainOutcome(adaptation, iterations, divergences, integrator.Evaluations);
    }

    // ‖∇ log p‖₂ at the draw: the integrator computed the gradient already, so the trace's grad_norm costs nothing.
    private static double Norm(double[] gradient)
    {
        double s = 0;
        foreach (double g in gradient) s += g * g;
        return Math.Sqrt(s);
    }

    private static ChainAdaptation Adapted(int chain, double stepSize, EuclideanMetric metric) =>
        new(chain, stepSize, metric.InverseMassDiagonal(), metric.InverseMassDense());

    /// <summary>
    /// Stan's step-size initialisation: one leapfrog step from fresh momenta, doubling ε while the acceptance
    /// exp(−ΔH) stays above 0.8 or halving it while it stays below; the chain's state is left unchanged.
    /// </summary>
    /// <param name="state">The chain's state (not modified).</param>
    /// <param name="metric">The metric.</param>
    /// <param name="stepSize">The starting ε.</param>
    /// <param name="integrator">The integrator.</param>
    /// <param name="rng">The stream.</param>
    public static double InitialStepSize(PhasePoint state, EuclideanMetric metric, double stepSize, LeapfrogIntegrator integrator, RandomStream rng)
    {
        if (stepSize == 0 || stepSize > 1e7 || double.IsNaN(stepSize)) return stepSize;
        var z = new PhasePoint(state.Position.Length);
        double logTarget = Math.Log(0.8);
        int direction = 0;
        for (int attempt = 0; attempt < 200; attempt++)
        {
            z.CopyFrom(state);
            metric.SampleMomentum(rng, z.Momentum);
            double h0 = z.Hamiltonian(metric);
            integrator.Step(z, metric, stepSize);
            double deltaH = h0 - z.Hamiltonian(metric);
            if (direction == 0)
            {
                direction = deltaH > logTarget ? 1 : -1;
                continue;
            }
            if (direction == 1 && !(deltaH > logTarget)) break;
            if (direction == -1 && !(deltaH < logTarget)) break;
            stepSize = direction == 1 ? 2 * stepSize : 0.5 * stepSize;
            if (stepSize > 1e7) throw new InvalidOperationException("the step size grew past 1e7 during initialisation: the log density is probably improper (flat in some direction)");
            if (stepSize == 0) throw new InvalidOperationException("the step size fell to 0 during initialisation: the log density or its gradient is not finite near the start");
        }
        return stepSize;
    }
}
