using System.Text.Json.Nodes;

namespace DluxShera.Contracts;

/// <summary>
/// An objective that simulates its own data from a known truth (seeded). <c>dluxshera simulate</c> writes
/// <see cref="SimulatedData"/> to <c>data.npz</c> and <see cref="DescribeTruth"/> to <c>truth.json</c>, so a
/// later run can fit the same data from a file. Added in contract 1.1.
/// </summary>
public interface ISimulatingObjective : IObjective
{
    /// <summary>Whether the current data were simulated (false when they were read from a file).</summary>
    bool IsSimulated { get; }

    /// <summary>The data arrays (e.g. <c>image</c>, <c>variance</c>, <c>seed</c>) as they would be saved.</summary>
    IReadOnlyDictionary<string, NdArray> SimulatedData { get; }

    /// <summary>The truth and the simulation settings (noise model, seeds) as JSON.</summary>
    JsonObject DescribeTruth();
}
