namespace DluxShera.Contracts;

/// <summary>
/// One row of the trace: the state after <see cref="Step"/> steps. Row 0 is the starting point.
/// A ref struct so engines can stream rows without allocating; sinks copy what they keep.
/// </summary>
/// <remarks>
/// Conventions (docs/artifacts.md): <see cref="StepNorm"/> is ‖θ_t − θ_{t−1}‖ (0 at t = 0);
/// <see cref="BaseLr"/> is the global learning rate of the step that produced θ_t (the first rate at t = 0);
/// <see cref="Accepted"/> is false when the engine rejected a proposed step (θ_t = θ_{t−1}).
/// </remarks>
public readonly ref struct TraceRow
{
    /// <summary>Creates a row.</summary>
    /// <param name="step">Steps completed when θ was reached.</param>
    /// <param name="loss">loss(θ_t).</param>
    /// <param name="theta">θ_t (length D); only valid during the call.</param>
    /// <param name="gradNorm">‖∇loss(θ_t)‖₂.</param>
    /// <param name="stepNorm">‖θ_t − θ_{t−1}‖₂.</param>
    /// <param name="baseLr">Global learning rate of the step.</param>
    /// <param name="accepted">Whether the step was accepted.</param>
    public TraceRow(int step, double loss, ReadOnlySpan<double> theta, double gradNorm, double stepNorm, double baseLr, bool accepted)
    {
        Step = step;
        Loss = loss;
        Theta = theta;
        GradNorm = gradNorm;
        StepNorm = stepNorm;
        BaseLr = baseLr;
        Accepted = accepted;
    }

    /// <summary>Steps completed.</summary>
    public int Step { get; }

    /// <summary>loss(θ_t).</summary>
    public double Loss { get; }

    /// <summary>θ_t.</summary>
    public ReadOnlySpan<double> Theta { get; }

    /// <summary>‖∇loss(θ_t)‖₂.</summary>
    public double GradNorm { get; }

    /// <summary>‖θ_t − θ_{t−1}‖₂.</summary>
    public double StepNorm { get; }

    /// <summary>Global learning rate of the step that produced θ_t.</summary>
    public double BaseLr { get; }

    /// <summary>Whether the step was accepted.</summary>
    public bool Accepted { get; }
}

/// <summary>Receives trace rows as an engine produces them (an artifact store streams them to disk).</summary>
public interface ITraceSink
{
    /// <summary>Appends one row. Rows arrive with increasing <see cref="TraceRow.Step"/>.</summary>
    /// <param name="row">The row; its θ span is only valid during the call.</param>
    void Append(in TraceRow row);

    /// <summary>Records a full gradient vector (only when the run asks for gradients every N steps).</summary>
    /// <param name="step">The step.</param>
    /// <param name="gradient">∇loss(θ_step).</param>
    void RecordGradient(int step, ReadOnlySpan<double> gradient);
}

/// <summary>Progress of a long computation, shown by the host (or nothing under <c>--quiet</c>).</summary>
/// <param name="Step">Steps completed.</param>
/// <param name="TotalSteps">Planned steps (0 when unknown).</param>
/// <param name="Loss">Current loss.</param>
/// <param name="GradNorm">Current gradient norm (NaN when not applicable).</param>
public readonly record struct ProgressUpdate(int Step, int TotalSteps, double Loss, double GradNorm);

/// <summary>Receives progress updates; implementations throttle their own output.</summary>
public interface IProgressReporter
{
    /// <summary>Reports progress.</summary>
    /// <param name="update">The update.</param>
    void Report(in ProgressUpdate update);
}
