using System.Text.Json.Nodes;
using DluxShera.Contracts;

namespace DluxShera.Host.Benchmarks;

/// <summary>A trace sink and artifact target that keeps nothing: benchmarks measure engines, not I/O.</summary>
internal sealed class DiscardingSink : ITraceSink, IRunArtifacts
{
    public static readonly DiscardingSink Instance = new();

    public void Append(in TraceRow row)
    {
    }

    public void RecordGradient(int step, ReadOnlySpan<double> gradient)
    {
    }

    public void WriteArrays(string fileName, IReadOnlyDictionary<string, NdArray> arrays)
    {
    }

    public void AppendDiagnostics(JsonObject line)
    {
    }
}
