using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using DluxShera.Contracts;

namespace DluxShera.Theta;

/// <summary>
/// The run's θ map: stages applied as primitive = s0(s1(…s{n−1}(z))), s0 next to the objective. No stage means
/// primitive θ. Its <see cref="Hash"/> covers every stage's options and numbers; <see cref="Document"/> and
/// <see cref="Arrays"/> are what theta_map.npz holds (docs/artifacts.md), enough to decode z without the model.
/// </summary>
public sealed class ThetaMapChain : IThetaMap
{
    /// <summary>The metadata entry of theta_map.npz: UTF-8 JSON bytes.</summary>
    public const string MetadataEntry = "_theta_map_json";

    private readonly IDifferentiableThetaMap[] _stages;
    private readonly double[][] _buffers;
    private readonly byte[]? _storedDocument;

    /// <summary>Chains <paramref name="stages"/> (primitive side first) over <paramref name="primitive"/>.</summary>
    /// <param name="primitive">The objective's IndexMap.</param>
    /// <param name="stages">The stages; each one's primitive dimension is the previous one's θ dimension.</param>
    /// <param name="storedDocument">The metadata bytes of a theta_map.npz the stages were read from (kept as they are, so the hash is the recorded one).</param>
    public ThetaMapChain(IndexMap primitive, IReadOnlyList<IDifferentiableThetaMap> stages, byte[]? storedDocument = null)
    {
        _storedDocument = storedDocument;
        PrimitiveIndexMap = primitive;
        _stages = stages.Where(s => s is not IdentityThetaMap).ToArray();
        int expected = primitive.Dimension;
        foreach (var s in _stages)
        {
            if (s.PrimitiveDimension != expected) throw new ThetaMapException($"theta map stage '{s.Kind}' decodes to {s.PrimitiveDimension} values; expected {expected}.");
            expected = s.ThetaDimension;
        }
        ThetaIndexMap = _stages.Length == 0 ? primitive : _stages[^1].ThetaIndexMap;
        _buffers = _stages.Select(s => new double[s.PrimitiveDimension]).ToArray();
        Document = storedDocument is null ? BuildDocument() : (JsonNode.Parse(storedDocument) as JsonObject)!;
        Hash = _stages.Length == 0 ? "" : ComputeHash(DocumentBytes, Arrays());
    }

    /// <summary>The stages, primitive side first.</summary>
    public IReadOnlyList<IDifferentiableThetaMap> Stages => _stages;

    /// <summary>The objective's layout.</summary>
    public IndexMap PrimitiveIndexMap { get; }

    /// <summary>Whether θ is primitive.</summary>
    public bool IsIdentity => _stages.Length == 0;

    /// <inheritdoc/>
    public string ThetaSpace => _stages.Length == 0 ? "primitive" : string.Join("+", _stages.Select(s => s.ThetaSpace));

    /// <inheritdoc/>
    public string Id => _stages.Length == 0 ? "identity" : string.Join("+", _stages.Select(s => s.Id));

    /// <inheritdoc/>
    public string Hash { get; }

    /// <summary>The JSON stored in theta_map.npz's <see cref="MetadataEntry"/> (and meta.theta.theta_map).</summary>
    public JsonObject Document { get; }

    /// <summary>The bytes of <see cref="Document"/> as stored in theta_map.npz.</summary>
    public byte[] DocumentBytes => _storedDocument ?? Encoding.UTF8.GetBytes(Document.ToJsonString());

    /// <summary>theta_map.npz's content: the metadata entry and the arrays.</summary>
    public IReadOnlyDictionary<string, NdArray> NpzContent()
    {
        var bytes = DocumentBytes;
        var content = new Dictionary<string, NdArray> { [MetadataEntry] = new NdArray(bytes, bytes.Length) };
        foreach (var (name, array) in Arrays()) content[name] = array;
        return content;
    }

    /// <inheritdoc/>
    public int ThetaDimension => ThetaIndexMap.Dimension;

    /// <inheritdoc/>
    public int PrimitiveDimension => PrimitiveIndexMap.Dimension;

    /// <inheritdoc/>
    public IndexMap ThetaIndexMap { get; }

    /// <inheritdoc/>
    public void ToPrimitive(ReadOnlySpan<double> theta, Span<double> primitive)
    {
        if (_stages.Length == 0) { theta.CopyTo(primitive); return; }
        ReadOnlySpan<double> current = theta;
        for (int s = _stages.Length - 1; s >= 0; s--)
        {
            var target = s == 0 ? primitive : _buffers[s];
            _stages[s].ToPrimitive(current, target);
            current = target;
        }
    }

    /// <inheritdoc/>
    public void ToTheta(ReadOnlySpan<double> primitive, Span<double> theta)
    {
        if (_stages.Length == 0) { primitive.CopyTo(theta); return; }
        ReadOnlySpan<double> current = primitive;
        for (int s = 0; s < _stages.Length; s++)
        {
            var target = s == _stages.Length - 1 ? theta : new double[_stages[s].ThetaDimension];
            _stages[s].ToTheta(current, target);
            current = target;
        }
    }

    /// <inheritdoc/>
    public void PullBackGradient(ReadOnlySpan<double> theta, ReadOnlySpan<double> primitiveGradient, Span<double> thetaGradient)
    {
        if (_stages.Length == 0) { primitiveGradient.CopyTo(thetaGradient); return; }
        // Inputs of every stage, then gradients pulled back from the primitive side.
        var inputs = new double[_stages.Length][];
        ReadOnlySpan<double> current = theta;
        inputs[^1] = theta.ToArray();
        for (int s = _stages.Length - 1; s > 0; s--)
        {
            var output = new double[_stages[s].PrimitiveDimension];
            _stages[s].ToPrimitive(current, output);
            inputs[s - 1] = output;
            current = output;
        }
        var g = primitiveGradient.ToArray();
        for (int s = 0; s < _stages.Length; s++)
        {
            var pulled = new double[_stages[s].ThetaDimension];
            _stages[s].PullBackGradient(inputs[s], g, pulled);
            g = pulled;
        }
        g.CopyTo(thetaGradient);
    }

    /// <summary>z for a primitive vector, refusing one the map cannot reproduce (a truncated eigen map off its subspace).</summary>
    /// <param name="primitive">Primitive values.</param>
    /// <param name="relativeTolerance">How close decode(encode(θ)) must come to θ, relative to max(|θ|, 1) per entry.</param>
    /// <returns>z, or null when it would not decode back to <paramref name="primitive"/>.</returns>
    public double[]? TryEncodeExactly(ReadOnlySpan<double> primitive, double relativeTolerance = 1e-9)
    {
        var z = new double[ThetaDimension];
        ToTheta(primitive, z);
        var back = new double[PrimitiveDimension];
        ToPrimitive(z, back);
        for (int i = 0; i < back.Length; i++)
        {
            if (!(Math.Abs(back[i] - primitive[i]) <= relativeTolerance * Math.Max(Math.Abs(primitive[i]), 1))) return null;
        }
        return z;
    }

    /// <summary>theta_map.npz's arrays, <c>s{i}_name</c>, in the order <see cref="Document"/> lists them.</summary>
    public IReadOnlyList<(string Name, NdArray Array)> Arrays() =>
        _stages.SelectMany((s, i) => s.Arrays().Select(a => ($"s{i}_{a.Name}", a.Array))).ToList();

    private JsonObject BuildDocument() => new()
    {
        ["schema"] = "dluxshera-theta-map-v0",
        ["theta_space"] = ThetaSpace,
        ["theta_map_id"] = Id,
        ["primitive_dim"] = PrimitiveIndexMap.Dimension,
        ["theta_dim"] = ThetaIndexMap.Dimension,
        ["primitive_layout_hash"] = PrimitiveIndexMap.LayoutHash,
        ["decode"] = "primitive = s0(s1(...s{n-1}(z)))",
        ["stages"] = new JsonArray(_stages.Select((s, i) =>
        {
            var d = s.Describe();
            d["arrays"] = new JsonArray(s.Arrays().Select(a => (JsonNode)$"s{i}_{a.Name}").ToArray());
            return (JsonNode)d;
        }).ToArray()),
    };

    /// <summary>
    /// SHA-256 (hex) of the metadata JSON bytes followed by each listed array's raw little-endian bytes, in order —
    /// in numpy: <c>h = sha256(npz["_theta_map_json"].tobytes()); [h.update(npz[n].tobytes()) for s in stages for n in s["arrays"]]</c>.
    /// </summary>
    /// <param name="document">The metadata JSON bytes.</param>
    /// <param name="arrays">The arrays.</param>
    public static string ComputeHash(byte[] document, IEnumerable<(string Name, NdArray Array)> arrays)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(document);
        foreach (var (_, array) in arrays) sha.AppendData(RawBytes(array));
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    private static ReadOnlySpan<byte> RawBytes(NdArray array) => array.Data switch
    {
        double[] d => MemoryMarshal.AsBytes(d.AsSpan()),
        long[] l => MemoryMarshal.AsBytes(l.AsSpan()),
        int[] i => MemoryMarshal.AsBytes(i.AsSpan()),
        byte[] b => b,
        _ => throw new ArgumentException($"theta map array of type {array.Data.GetType().Name} is not hashable."),
    };
}
