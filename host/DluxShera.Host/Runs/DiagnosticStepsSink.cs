using System.Text.Json.Nodes;
using DluxShera.Artifacts;
using DluxShera.Contracts;

namespace DluxShera.Host.Runs;

/// <summary>
/// Writes <c>diag_steps.jsonl</c> from the trace rows: one line for every row whose step is a multiple of
/// <c>run.diagnostics_every</c>, with the row's scalars. The host does this for every engine (see OptimizationContext.DiagnosticsEvery), so an
/// engine that only streams trace rows gets the file too; engines may still append lines of their own.
/// </summary>
/// <param name="inner">Where the rows go (the run writer).</param>
/// <param name="artifacts">Where the lines go.</param>
/// <param name="every">Write a line every this many steps (0: never).</param>
public sealed class DiagnosticStepsSink(ITraceSink inner, IRunArtifacts artifacts, int every) : ITraceSink
{
    /// <inheritdoc/>
    public void Append(in TraceRow row)
    {
        inner.Append(row);
        if (every > 0 && row.Step % every == 0) artifacts.AppendDiagnostics(Line(row));
    }

    /// <inheritdoc/>
    public void RecordGradient(int step, ReadOnlySpan<double> gradient) => inner.RecordGradient(step, gradient);

    /// <summary>The line of one row: <c>step</c>, <c>loss</c>, <c>grad_norm</c>, <c>step_norm</c>, <c>base_lr</c>,
    /// <c>accepted</c>; non-finite numbers are null, as everywhere in the run's JSON.</summary>
    /// <param name="row">The row.</param>
    public static JsonObject Line(in TraceRow row) => new()
    {
        ["step"] = row.Step,
        ["loss"] = JsonNumbers.Number(row.Loss),
        ["grad_norm"] = JsonNumbers.Number(row.GradNorm),
        ["step_norm"] = JsonNumbers.Number(row.StepNorm),
        ["base_lr"] = JsonNumbers.Number(row.BaseLr),
        ["accepted"] = row.Accepted,
    };
}
