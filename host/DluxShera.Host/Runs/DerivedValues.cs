using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using DluxShera.Artifacts;
using DluxShera.Contracts;
using DluxShera.Numpy;
using DluxShera.Theta;

namespace DluxShera.Host.Runs;

/// <summary>
/// derived.npz: what the objective's decoder adds to the primitive parameters (<c>binary.raw_fluxes</c> for SHERA), for
/// every trace row. Signals need these in any θ-space, and <c>plot</c> has theta_map.npz but not the model, so the run
/// records them once, decoded through the run's map, and <c>plot</c> offers them back through <see cref="Load"/>.
/// </summary>
public static class DerivedValues
{
    /// <summary>Decodes every row of the run's trace and writes derived.npz (nothing when the objective derives nothing).</summary>
    /// <param name="runDirectory">A completed run.</param>
    /// <param name="chain">The run's θ map.</param>
    /// <param name="objective">The primitive objective (derives values when it is an <see cref="IThetaDecoder"/>).</param>
    /// <returns>Whether derived.npz was written.</returns>
    public static bool Record(string runDirectory, ThetaMapChain chain, IObjective objective)
    {
        if (objective is not IThetaDecoder primitiveDecoder) return false;
        var reader = new FilesystemRunReader(runDirectory);
        var decoder = new ThetaDecoder(chain, primitiveDecoder);
        // Streamed a chunk of θ rows at a time (the trace may be larger than memory; derived.npz is K values a row),
        // in one pass: the values grow row by row, so the row count need not be read first.
        var series = new Dictionary<string, (List<double> Values, int K)>(StringComparer.Ordinal);
        int dim = chain.ThetaDimension;
        var (rows, _) = reader.ForEachThetaChunk((first, values) =>
        {
            for (int i = 0; i < values.Length / dim; i++)
            {
                foreach (var (name, derived) in ThetaDecoder.Derived(chain.PrimitiveIndexMap, decoder.Decode(values.Slice(i * dim, dim))))
                {
                    if (!series.TryGetValue(name, out var s)) series[name] = s = ([], derived.Length);
                    if (derived.Length != s.K) throw new InvalidOperationException($"objective '{objective.Name}' decodes '{name}' to {derived.Length} values at trace row {first + i}, {s.K} before");
                    s.Values.AddRange(derived);
                }
            }
            return true;
        });
        if (series.Count == 0) return false;
        int t = checked((int)rows);
        NpzFile.Save(Path.Combine(runDirectory, RunLayout.Derived), series.Select(kv => KeyValuePair.Create(kv.Key, new NdArray(kv.Value.Values.ToArray(), t, kv.Value.K))));
        RunArtifacts.RecordAddedArtifacts(runDirectory);
        return true;
    }

    /// <summary>
    /// The objective's derived values at its truth (<c>meta.theta.derived_truth</c>), so residual signals of derived
    /// quantities compare with the objective's own numbers; null when it has no truth or derives nothing.
    /// </summary>
    /// <param name="objective">The primitive objective.</param>
    public static JsonObject? TruthJson(IObjective objective)
    {
        var truth = new double[objective.IndexMap.Dimension];
        if (objective is not (ITruthProvider provider and IThetaDecoder decoder) || !provider.TryGetTruth(truth)) return null;
        var derived = ThetaDecoder.Derived(objective.IndexMap, decoder.Decode(truth)).ToList();
        if (derived.Count == 0) return null;
        var result = new JsonObject();
        foreach (var (name, values) in derived) result[name] = new JsonArray(values.Select(JsonNumbers.Number).ToArray());
        return result;
    }

    /// <summary>
    /// The recorded values as a decoder over primitive values (for <see cref="ThetaDecoder"/>): it knows the primitive
    /// points of <paramref name="trace"/>'s rows and answers nothing for any other point. Null when the run has no derived.npz.
    /// </summary>
    /// <param name="reader">The run.</param>
    /// <param name="chain">The run's θ map (decodes the trace rows to the primitive points the values belong to).</param>
    /// <param name="trace">The run's trace.</param>
    /// <exception cref="BadInputException">derived.npz does not have one row per trace row.</exception>
    public static IThetaDecoder? Load(FilesystemRunReader reader, ThetaMapChain chain, TraceData trace) =>
        Load(reader, chain, new TraceSample(trace, [.. Enumerable.Range(0, trace.Steps).Select(r => (long)r)], trace.Steps));

    /// <summary>As <see cref="Load(FilesystemRunReader, ThetaMapChain, TraceData)"/> for the rows of a (possibly
    /// decimated) trace sample: derived.npz has a row per row of the whole trace, and the sample's rows name which.</summary>
    /// <param name="reader">The run.</param>
    /// <param name="chain">The run's θ map.</param>
    /// <param name="sample">The trace rows signals are built from.</param>
    /// <exception cref="BadInputException">derived.npz does not have one row per trace row.</exception>
    public static IThetaDecoder? Load(FilesystemRunReader reader, ThetaMapChain chain, TraceSample sample)
    {
        var arrays = reader.LoadArrays(RunLayout.Derived);
        if (arrays is null) return null;
        foreach (var (name, array) in arrays)
        {
            if (array.Shape.Length != 2 || array.Shape[0] != sample.TotalRows)
            {
                throw new BadInputException($"{Path.Combine(reader.RunDirectory, RunLayout.Derived)}: array '{name}' has shape {NdArray.FormatShape(array.Shape)}; expected ({sample.TotalRows}, K), one row per trace row.");
            }
        }
        var trace = sample.Trace;
        var rows = new Dictionary<double[], int>(BitwiseComparer.Instance);
        var primitive = new double[chain.PrimitiveDimension];
        for (int row = 0; row < trace.Steps; row++)
        {
            chain.ToPrimitive(trace.ThetaAt(row), primitive);
            rows.TryAdd((double[])primitive.Clone(), (int)sample.Rows[row]);
        }
        return new RecordedDecoder(chain.PrimitiveIndexMap, rows, arrays.ToDictionary(kv => kv.Key, kv => (kv.Value.ToDoubles(), kv.Value.Shape[1]), StringComparer.Ordinal));
    }

    private sealed class RecordedDecoder(IndexMap primitive, Dictionary<double[], int> rows, Dictionary<string, (double[] Values, int K)> arrays) : IThetaDecoder
    {
        public IndexMap IndexMap => primitive;

        public IReadOnlyDictionary<string, double[]> Decode(ReadOnlySpan<double> theta)
        {
            var result = new Dictionary<string, double[]>(StringComparer.Ordinal);
            if (!rows.TryGetValue(theta.ToArray(), out int row)) return result;
            foreach (var (name, (values, k)) in arrays) result[name] = values.AsSpan(row * k, k).ToArray();
            return result;
        }
    }

    // Rows are the same points bit for bit (decoded by the same map from the same trace), so equality is exact.
    private sealed class BitwiseComparer : IEqualityComparer<double[]>
    {
        public static readonly BitwiseComparer Instance = new();

        public bool Equals(double[]? x, double[]? y) =>
            x is not null && y is not null && MemoryMarshal.AsBytes(x.AsSpan()).SequenceEqual(MemoryMarshal.AsBytes(y.AsSpan()));

        public int GetHashCode(double[] obj)
        {
            var hash = new HashCode();
            hash.AddBytes(MemoryMarshal.AsBytes(obj.AsSpan()));
            return hash.ToHashCode();
        }
    }
}
