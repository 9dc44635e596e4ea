namespace DluxShera.Samplers;

/// <summary>
/// Stan's warm-up windows, computed up front as data: an initial fast buffer (step size only), doubling slow windows
/// that estimate the metric, and a terminal fast buffer. <see cref="WindowEnds"/> marks the iterations after which the
/// metric is updated; <see cref="Collects"/> the iterations whose draws feed the metric estimate.
/// </summary>
public sealed class WarmupSchedule
{
    private WarmupSchedule(int numWarmup, bool[] collects, bool[] windowEnds, int initBuffer, int termBuffer, int baseWindow)
    {
        NumWarmup = numWarmup;
        Collects = collects;
        WindowEnds = windowEnds;
        InitBuffer = initBuffer;
        TermBuffer = termBuffer;
        BaseWindow = baseWindow;
    }

    /// <summary>Warm-up iterations.</summary>
    public int NumWarmup { get; }

    /// <summary>Per warm-up iteration: the draw feeds the metric estimate.</summary>
    public IReadOnlyList<bool> Collects { get; }

    /// <summary>Per warm-up iteration: a slow window ends after it (the metric is updated).</summary>
    public IReadOnlyList<bool> WindowEnds { get; }

    /// <summary>The initial fast buffer used.</summary>
    public int InitBuffer { get; }

    /// <summary>The terminal fast buffer used.</summary>
    public int TermBuffer { get; }

    /// <summary>The first slow window used.</summary>
    public int BaseWindow { get; }

    /// <summary>The (first, last) iterations of each slow window.</summary>
    public IReadOnlyList<(int First, int Last)> Windows()
    {
        var windows = new List<(int, int)>();
        int start = -1;
        for (int i = 0; i < NumWarmup; i++)
        {
            if (Collects[i] && start < 0) start = i;
            if (WindowEnds[i])
            {
                windows.Add((start, i));
                start = -1;
            }
        }
        return windows;
    }

    /// <summary>Builds the schedule as Stan's <c>windowed_adaptation</c> does, including its fallback for short warm-ups
    /// (15 % / 75 % / 10 % when the defaults do not fit, and no metric adaptation under 20 iterations).</summary>
    /// <param name="numWarmup">Warm-up iterations.</param>
    /// <param name="initBuffer">Initial fast buffer (Stan: 75).</param>
    /// <param name="termBuffer">Terminal fast buffer (Stan: 50).</param>
    /// <param name="baseWindow">First slow window (Stan: 25).</param>
    /// <param name="adaptMetric">False: step size only, no metric windows.</param>
    public static WarmupSchedule Build(int numWarmup, int initBuffer = 75, int termBuffer = 50, int baseWindow = 25, bool adaptMetric = true)
    {
        var collects = new bool[numWarmup];
        var ends = new bool[numWarmup];
        if (!adaptMetric || numWarmup < 20) return new WarmupSchedule(numWarmup, collects, ends, numWarmup, 0, 0);
        if (initBuffer + baseWindow + termBuffer > numWarmup)
        {
            initBuffer = (int)(0.15 * numWarmup);
            termBuffer = (int)(0.1 * numWarmup);
            baseWindow = numWarmup - (initBuffer + termBuffer);
        }
        int windowSize = baseWindow;
        int nextWindow = initBuffer + windowSize - 1;
        int lastSlow = numWarmup - termBuffer - 1;
        for (int counter = 0; counter < numWarmup; counter++)
        {
            collects[counter] = counter >= initBuffer && counter < numWarmup - termBuffer;
            if (counter == nextWindow)
            {
                ends[counter] = true;
                if (nextWindow == lastSlow) continue;
                windowSize *= 2;
                nextWindow = counter + windowSize;
                if (nextWindow != lastSlow && nextWindow + 2 * windowSize >= numWarmup - termBuffer) nextWindow = lastSlow;
            }
        }
        return new WarmupSchedule(numWarmup, collects, ends, initBuffer, termBuffer, baseWindow);
    }
}

/// <summary>
/// Nesterov dual averaging of log ε towards a target acceptance statistic (Hoffman &amp; Gelman 2014, Stan's constants
/// γ = 0.05, t₀ = 10, κ = 0.75, μ = log 10ε₀). <see cref="Final"/> is the averaged step size used after warm-up.
/// </summary>
public sealed class DualAveragingStepSize(double targetAccept)
{
    private const double Gamma = 0.05, T0 = 10, Kappa = 0.75;
    private int _counter;
    private double _sBar, _xBar, _mu;

    /// <summary>Restarts the averaging around <paramref name="stepSize"/> (μ = log 10ε).</summary>
    /// <param name="stepSize">The current step size.</param>
    public void Restart(double stepSize)
    {
        _mu = Math.Log(10 * stepSize);
        _counter = 0;
        _sBar = 0;
        _xBar = 0;
    }

    /// <summary>Learns from one transition and returns the next step size.</summary>
    /// <param name="acceptStat">The transition's acceptance statistic.</param>
    public double Update(double acceptStat)
    {
        _counter++;
        acceptStat = double.IsNaN(acceptStat) ? 0 : Math.Min(acceptStat, 1);
        double eta = 1.0 / (_counter + T0);
        _sBar = (1 - eta) * _sBar + eta * (targetAccept - acceptStat);
        double x = _mu - _sBar * Math.Sqrt(_counter) / Gamma;
        double xEta = Math.Pow(_counter, -Kappa);
        _xBar = (1 - xEta) * _xBar + xEta * x;
        return Math.Exp(x);
    }

    /// <summary>The averaged step size exp(x̄).</summary>
    public double Final() => Math.Exp(_xBar);
}

/// <summary>
/// Welford estimates of the draws' variance (diagonal) or covariance (dense) over one slow window, regularised towards
/// 10⁻³·I as Stan does: Σ̂ ← n/(n+5)·Σ̂ + 10⁻³·5/(n+5)·I. The estimate becomes the next inverse mass matrix.
/// </summary>
public sealed class MetricEstimator(int dimension, bool dense)
{
    private readonly double[] _mean = new double[dimension];
    private readonly double[] _m2 = new double[dense ? dimension * dimension : dimension];
    private readonly double[] _delta = new double[dimension];
    private int _n;

    /// <summary>Adds one draw.</summary>
    /// <param name="theta">θ.</param>
    public void Add(ReadOnlySpan<double> theta)
    {
        _n++;
        int d = dimension;
        for (int i = 0; i < d; i++)
        {
            _delta[i] = theta[i] - _mean[i];
            _mean[i] += _delta[i] / _n;
        }
        if (!dense)
        {
            for (int i = 0; i < d; i++) _m2[i] += _delta[i] * (theta[i] - _mean[i]);
            return;
        }
        for (int i = 0; i < d; i++)
        {
            double after = theta[i] - _mean[i];
            for (int j = 0; j < d; j++) _m2[i * d + j] += after * _delta[j];
        }
    }

    /// <summary>Draws added since the last restart.</summary>
    public int Count => _n;

    /// <summary>The regularised estimate (diagonal, or D×D row-major) from the window, and a restart.</summary>
    public double[] Finish()
    {
        double n = _n;
        var estimate = new double[_m2.Length];
        double shrink = n / (n + 5.0), ridge = 1e-3 * 5.0 / (n + 5.0);
        for (int k = 0; k < _m2.Length; k++) estimate[k] = shrink * _m2[k] / (n - 1);
        if (dense)
        {
            for (int i = 0; i < dimension; i++)
            {
                estimate[i * dimension + i] += ridge;
                for (int j = 0; j < i; j++)
                {
                    // Symmetrise the accumulated rounding.
                    double s = 0.5 * (estimate[i * dimension + j] + estimate[j * dimension + i]);
                    estimate[i * dimension + j] = s;
                    estimate[j * dimension + i] = s;
                }
            }
        }
        else
        {
            for (int i = 0; i < dimension; i++) estimate[i] += ridge;
        }
        Array.Clear(_mean);
        Array.Clear(_m2);
        _n = 0;
        return estimate;
    }
}
