using DluxShera.Contracts;

namespace DluxShera.Host.Runs;

/// <summary>
/// Forwards trace rows to the store and remembers the first, best and last rows, so the host can write
/// an honest summary and checkpoints even when an engine throws mid-run. Allocates only at creation.
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

    /// <inheritdoc/>
    public void Append(in TraceRow row)
    {
        inner.Append(row);
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
    public void RecordGradient(int step, ReadOnlySpan<double> gradient) => inner.RecordGradient(step, gradient);
}
