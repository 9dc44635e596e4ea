using DluxShera.Contracts;

namespace DluxShera.Host.Runs;

/// <summary>
/// Forwards trace rows to the store and remembers the first, best and last rows, so the host can write
/// an honest summary and checkpoints even when an engine throws mid-run, plus the first non-finite value
/// and the first out-of-order step (the host checks engines, see <see cref="EngineResultCheck"/>).
/// Allocates only at creation.
/// </summary>
public sealed class ObservedTrace(ITraceSink inner, int dimension) : ITraceSink
{
    private readonly double[] _best = new double[dimension];
    private readonly double[] _last = new double[dimension];

    /// <summary>Rows seen.</summary>
    public int Rows { get; private set; }

    /// <summary>Loss of row 0.</summary>
    public double InitialLoss { get; private set; } = double.NaN;

    /// <summary>Lowest finite loss.</summary>
    public double BestLoss { get; private set; } = double.NaN;

    /// <summary>Step of <see cref="BestLoss"/>.</summary>
    public int BestStep { get; private set; } = -1;

    /// <summary>Loss of the last row.</summary>
    public double LastLoss { get; private set; } = double.NaN;

    /// <summary>Step of the last row.</summary>
    public int LastStep { get; private set; } = -1;

    /// <summary>θ of the best row.</summary>
    public double[] BestTheta => _best;

    /// <summary>θ of the last row.</summary>
    public double[] LastTheta => _last;

    /// <summary>The first row with a non-finite loss, θ entry or infinite gradient norm, or null.</summary>
    public (int Step, string What)? FirstNonFinite { get; private set; }

    /// <summary>Why the steps were not increasing (first occurrence), or null.</summary>
    public string? StepOrderProblem { get; private set; }

    /// <summary>Held while a row is appended: the stop-now path of a second signal takes it so that the engine
    /// cannot append while the run is being saved (uncontended, it costs nanoseconds per row).</summary>
    public object Gate { get; } = new();

    /// <inheritdoc/>
    public void Append(in TraceRow row)
    {
        lock (Gate) AppendLocked(row);
    }

    private void AppendLocked(in TraceRow row)
    {
        inner.Append(row);
        if (Rows > 0 && row.Step <= LastStep && StepOrderProblem is null)
        {
            StepOrderProblem = $"recorded step {row.Step} after step {LastStep} (trace steps must increase)";
        }
        if (FirstNonFinite is null)
        {
            // A NaN gradient norm means "not computed" for engines without gradients; ±∞ is an overflow.
            string? bad = !double.IsFinite(row.Loss) ? "loss"
                : double.IsInfinity(row.GradNorm) ? "gradient norm"
                : !AllFinite(row.Theta) ? "θ" : null;
            if (bad is not null) FirstNonFinite = (row.Step, bad);
        }
        if (Rows == 0) InitialLoss = row.Loss;
        Rows++;
        LastLoss = row.Loss;
        LastStep = row.Step;
        row.Theta.CopyTo(_last);
        if (double.IsFinite(row.Loss) && !(row.Loss >= BestLoss))
        {
            BestLoss = row.Loss;
            BestStep = row.Step;
            row.Theta.CopyTo(_best);
        }
    }

    /// <inheritdoc/>
    public void RecordGradient(int step, ReadOnlySpan<double> gradient)
    {
        lock (Gate) inner.RecordGradient(step, gradient);
    }

    private static bool AllFinite(ReadOnlySpan<double> values)
    {
        foreach (double v in values)
        {
            if (!double.IsFinite(v)) return false;
        }
        return true;
    }
}
