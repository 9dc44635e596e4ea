using System.Diagnostics.CodeAnalysis;

namespace DluxShera.Contracts;

/// <summary>
/// One row of the trace: the state after <see cref="Step"/> steps. Row 0 is the starting point.
/// A ref struct so engines can stream rows without allocating; sinks copy what they keep.
/// </summary>
/// <remarks>
/// <para>Write rows with named members (contract 1.2), so the three adjacent doubles cannot be swapped:</para>
/// <code>
/// sink.Append(new TraceRow { Step = t, Loss = loss, Theta = theta, GradNorm = gnorm, StepNorm = snorm, BaseLr = lr });
/// </code>
/// <para>Every member but <see cref="Accepted"/> (default true) is required. The positional constructor of
/// contract 1.0/1.1 still works, unchanged.</para>
/// <para>Conventions (docs/artifacts.md): <see cref="StepNorm"/> is ‖θ_t − θ_{t−1}‖ (0 at t = 0);
/// <see cref="BaseLr"/> is the global learning rate of the step that produced θ_t (the first rate at t = 0);
/// <see cref="Accepted"/> is false when the engine rejected a proposed step (θ_t = θ_{t−1}).</para>
/// </remarks>
public readonly ref struct TraceRow
{
    // Stored negated so that a row built without naming Accepted (or default(TraceRow)) is accepted.
    private readonly bool _rejected;

    /// <summary>Creates a row from named members (<c>new TraceRow { Step = …, Loss = …, … }</c>).</summary>
    public TraceRow()
    {
    }

    /// <summary>Creates a row from positional arguments (the contract 1.0 surface; prefer named members).</summary>
    /// <param name="step">Steps completed when θ was reached.</param>
    /// <param name="loss">loss(θ_t).</param>
    /// <param name="theta">θ_t (length D); only valid during the call.</param>
    /// <param name="gradNorm">‖∇loss(θ_t)‖₂.</param>
    /// <param name="stepNorm">‖θ_t − θ_{t−1}‖₂.</param>
    /// <param name="baseLr">Global learning rate of the step.</param>
    /// <param name="accepted">Whether the step was accepted.</param>
    [SetsRequiredMembers]
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
    public required int Step { get; init; }

    /// <summary>loss(θ_t).</summary>
    public required double Loss { get; init; }

    /// <summary>θ_t.</summary>
    public required ReadOnlySpan<double> Theta { get; init; }

    /// <summary>‖∇loss(θ_t)‖₂.</summary>
    public required double GradNorm { get; init; }

    /// <summary>‖θ_t − θ_{t−1}‖₂ (0 for row 0).</summary>
    public required double StepNorm { get; init; }

    /// <summary>Global learning rate of the step that produced θ_t.</summary>
    public required double BaseLr { get; init; }

    /// <summary>Whether the step was accepted (default true).</summary>
    public bool Accepted { get => !_rejected; init => _rejected = !value; }
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
