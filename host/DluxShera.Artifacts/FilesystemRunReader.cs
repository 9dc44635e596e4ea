using System.Text.Json;
using System.Text.Json.Nodes;
using DluxShera.Contracts;
using DluxShera.Numpy;

namespace DluxShera.Artifacts;

/// <summary>Reads a <c>dluxshera-run-v0</c> run directory and checks it as it goes.</summary>
public sealed class FilesystemRunReader : IRunReader
{
    /// <summary>Opens <paramref name="runDirectory"/>.</summary>
    /// <param name="runDirectory">The run directory.</param>
    /// <exception cref="ArtifactException">The directory does not exist.</exception>
    public FilesystemRunReader(string runDirectory)
    {
        RunDirectory = Path.GetFullPath(runDirectory);
        if (!Directory.Exists(RunDirectory))
        {
            throw new ArtifactException($"{RunDirectory}: run directory not found.");
        }
        // Orphaned temporaries of a killed writer (e.g. a half-written .signals.npz.*.tmp) go now.
        StaleTemporaries.RemoveIn(RunDirectory);
        StaleTemporaries.RemoveIn(Path.Combine(RunDirectory, RunLayout.Figures));
    }

    /// <summary>T and D of the trace from the array headers (trace.npz, or the rows every channel of
    /// trace.partial/ holds), checked against meta.json; trace.npz's data is streamed through to detect
    /// corruption, never held, so a trace of any size can be described.</summary>
    public (long Rows, int Dimension, string Source) TraceShape()
    {
        int dim = MetaThetaDimension();
        string path = PathOf(RunLayout.Trace);
        if (File.Exists(path))
        {
            var headers = NpzFile.ReadHeaders(path, verifyData: true);
            if (!headers.TryGetValue("theta", out var theta) || !headers.TryGetValue("loss", out var loss))
            {
                throw new ArtifactException($"{path}: arrays 'loss' and 'theta' are required (found: {string.Join(", ", headers.Keys)}).");
            }
            RequireThetaShape(theta.Shape, dim, path);
            if (loss.Shape.Length != 1 || loss.Shape[0] != theta.Shape[0])
            {
                throw new ArtifactException($"{path}: loss has shape {NdArray.FormatShape(loss.Shape)}; expected ({theta.Shape[0]},) to match theta's T.");
            }
            return (theta.Shape[0], dim, path);
        }
        string partial = PathOf(RunLayout.PartialTraceDirectory);
        if (!Directory.Exists(partial)) throw new ArtifactException($"{path}: file not found (and no {RunLayout.PartialTraceDirectory}/ to recover from).");
        return (StreamingTrace.RowsInPartial(partial), dim, partial);
    }

    // meta.json's theta.dim, which every trace reader checks the trace against.
    private int MetaThetaDimension() => LoadMeta()["theta"]?["dim"]?.GetValue<int>()
        ?? throw new ArtifactException($"{PathOf(RunLayout.Meta)}: theta.dim is missing; it is needed to check the trace.");

    private static void RequireThetaShape(IReadOnlyList<int> shape, int dim, string source)
    {
        if (shape.Count != 2 || shape[1] != dim)
        {
            throw new ArtifactException($"{source}: theta has shape {NdArray.FormatShape(shape)}; meta.json says theta.dim = {dim}, so (T, {dim}) was expected.");
        }
    }

    /// <inheritdoc/>
    public string RunDirectory { get; }

    private string PathOf(string file) => Path.Combine(RunDirectory, file);

    /// <inheritdoc/>
    public JsonObject LoadMeta()
    {
        var meta = LoadJsonObject(RunLayout.Meta);
        string? schema = meta["artifact_schema"]?.GetValue<string>();
        if (schema != RunLayout.Schema)
        {
            throw new ArtifactException($"{PathOf(RunLayout.Meta)}: artifact_schema is '{schema ?? "(missing)"}'; expected '{RunLayout.Schema}'.");
        }
        return meta;
    }

    /// <inheritdoc/>
    public JsonObject LoadSummary() => LoadJsonObject(RunLayout.Summary);

    /// <inheritdoc/>
    public TraceData LoadTrace()
    {
        string path = PathOf(RunLayout.Trace);
        Dictionary<string, NdArray> arrays;
        if (File.Exists(path))
        {
            arrays = NpzFile.Load(path);
        }
        else if (Directory.Exists(PathOf(RunLayout.PartialTraceDirectory)))
        {
            path = PathOf(RunLayout.PartialTraceDirectory);
            arrays = StreamingTrace.LoadPartial(path);
        }
        else
        {
            throw new ArtifactException($"{path}: file not found (and no {RunLayout.PartialTraceDirectory}/ to recover from).");
        }
        int dim = MetaThetaDimension();
        var loss = Require(arrays, "loss", path);
        var theta = Require(arrays, "theta", path);
        RequireThetaShape(theta.Shape, dim, path);
        if (loss.Shape.Length != 1 || loss.Shape[0] != theta.Shape[0])
        {
            throw new ArtifactException($"{path}: loss has shape {loss.ShapeText}; expected ({theta.Shape[0]},) to match theta's T.");
        }
        var channels = arrays
            .Where(kv => kv.Key is not "loss" and not "theta" && kv.Value.Shape.Length == 1 && kv.Value.Shape[0] == loss.Shape[0])
            .ToDictionary(kv => kv.Key, kv => kv.Value.ToDoubles());
        return new TraceData { Loss = loss.ToDoubles(), Theta = theta.ToDoubles(), Dimension = dim, Channels = channels };
    }

    /// <summary>
    /// The rows of the trace that signals and figures use (<see cref="TraceSample"/>), streamed from trace.npz or
    /// trace.partial/ in chunks: memory is the kept rows plus one chunk, whatever the size of the trace. A first pass
    /// over the loss finds the lowest-loss row, which is always kept.
    /// </summary>
    /// <param name="maxRows">At most this many rows; null: <see cref="TraceSample.DefaultRowsFor"/>.</param>
    /// <param name="chunkBytes">Bytes read at a time.</param>
    /// <exception cref="ArtifactException">A missing, truncated or inconsistent trace.</exception>
    public TraceSample LoadTraceSample(long? maxRows = null, int chunkBytes = NpyRowReader.DefaultChunkBytes)
    {
        int dim = MetaThetaDimension();
        using var channels = TraceChannels.OpenRun(RunDirectory);
        if (!channels.Names.Contains("loss") || !channels.Names.Contains("theta"))
        {
            throw new ArtifactException($"{channels.Source}: arrays 'loss' and 'theta' are required (found: {string.Join(", ", channels.Names)}).");
        }
        long rows;
        long best = -1;
        using (var loss = channels.Open("loss"))
        {
            if (loss.Header.Shape.Length != 1) throw new ArtifactException($"{loss.Source}: loss has shape {NdArray.FormatShape(loss.Header.Shape)}; expected (T,).");
            rows = loss.Rows;
            double lowest = double.PositiveInfinity;
            NpyRowReader.ForEachChunk(loss.Stream, loss.Header, loss.Rows, chunkBytes, loss.Source, (first, values) =>
            {
                for (int i = 0; i < values.Length; i++)
                {
                    if (values[i] < lowest)
                    {
                        lowest = values[i];
                        best = first + i;
                    }
                }
                return true;
            });
        }
        var kept = TraceSample.ChooseRows(rows, maxRows ?? TraceSample.DefaultRowsFor(dim), best);
        double[] Read(TraceChannels.Channel c) => NpyRowReader.ReadRows(c.Stream, c.Header, c.Rows, kept, chunkBytes, c.Source);
        double[] thetaValues, lossValues;
        using (var theta = channels.Open("theta"))
        {
            RequireThetaShape(theta.Header.Shape, dim, theta.Source);
            if (theta.Rows != rows) throw new ArtifactException($"{theta.Source}: theta has {theta.Rows} rows; expected {rows} to match loss.");
            thetaValues = Read(theta);
        }
        using (var loss = channels.Open("loss")) lossValues = Read(loss);
        var others = new Dictionary<string, double[]>(StringComparer.Ordinal);
        foreach (string name in channels.Names.Where(n => n is not "loss" and not "theta"))
        {
            using var c = channels.Open(name);
            if (c.Header.Shape.Length == 1 && c.Rows == rows) others[name] = Read(c);
        }
        return new TraceSample(new TraceData { Loss = lossValues, Theta = thetaValues, Dimension = dim, Channels = others }, kept, rows);
    }

    /// <summary>
    /// Streams the θ rows of the trace (trace.npz, or the rows every channel of trace.partial/ holds) in chunks, so a
    /// pass over every row needs one chunk of memory whatever the size of the trace.
    /// </summary>
    /// <param name="onChunk">Receives the chunk's first row and its values (rows × D, row-major); returns whether to go on.</param>
    /// <param name="chunkBytes">Bytes read at a time.</param>
    /// <returns>The number of rows in the trace and D.</returns>
    /// <exception cref="ArtifactException">A missing, truncated or inconsistent trace.</exception>
    public (long Rows, int Dimension) ForEachThetaChunk(RowChunkHandler onChunk, int chunkBytes = NpyRowReader.DefaultChunkBytes)
    {
        int dim = MetaThetaDimension();
        using var channels = TraceChannels.OpenRun(RunDirectory);
        if (!channels.Names.Contains("theta")) throw new ArtifactException($"{channels.Source}: array 'theta' is required (found: {string.Join(", ", channels.Names)}).");
        using var theta = channels.Open("theta");
        RequireThetaShape(theta.Header.Shape, dim, theta.Source);
        NpyRowReader.ForEachChunk(theta.Stream, theta.Header, theta.Rows, chunkBytes, theta.Source, onChunk);
        return (theta.Rows, dim);
    }

    /// <inheritdoc/>
    public Checkpoint? LoadCheckpoint(string which)
    {
        string file = which switch
        {
            "best" => RunLayout.CheckpointBest,
            "final" => RunLayout.CheckpointFinal,
            _ => throw new ArgumentException($"checkpoint '{which}' is unknown; expected 'best' or 'final'."),
        };
        string path = PathOf(file);
        if (!File.Exists(path)) return null;
        var arrays = NpzFile.Load(path);
        return new Checkpoint(
            Require(arrays, $"theta_{which}", path).ToDoubles(),
            (int)Require(arrays, $"{which}_step", path).ToDoubles()[0],
            Require(arrays, $"{which}_loss", path).ToDoubles()[0]);
    }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, NdArray>? LoadArrays(string fileName)
    {
        string path = PathOf(fileName);
        return File.Exists(path) ? NpzFile.Load(path) : null;
    }

    /// <summary>Checks that a decoder's layout matches the run's; throws naming both hashes otherwise.</summary>
    /// <param name="expected">The decoder's index map.</param>
    public void CheckLayout(IndexMap expected)
    {
        var meta = LoadMeta();
        string? found = meta["theta"]?["index_map"]?["layout_hash"]?.GetValue<string>();
        if (found != expected.LayoutHash)
        {
            throw new ArtifactException($"{PathOf(RunLayout.Meta)}: theta.index_map.layout_hash is '{found ?? "(missing)"}' but the model's layout hash is '{expected.LayoutHash}'; this run was made with another parameter layout.");
        }
    }

    private static NdArray Require(IReadOnlyDictionary<string, NdArray> arrays, string name, string path) =>
        arrays.TryGetValue(name, out var a) ? a
            : throw new ArtifactException($"{path}: array '{name}' is missing (found: {string.Join(", ", arrays.Keys)}).");

    private JsonObject LoadJsonObject(string file)
    {
        string path = PathOf(file);
        if (!File.Exists(path)) throw new ArtifactException($"{path}: file not found.");
        try
        {
            return JsonNode.Parse(File.ReadAllText(path)) as JsonObject
                ?? throw new ArtifactException($"{path}: expected a JSON object.");
        }
        catch (JsonException e)
        {
            throw new ArtifactException($"{path}: invalid JSON at line {e.LineNumber + 1}, position {e.BytePositionInLine + 1}: {e.Message}", e);
        }
    }
}
