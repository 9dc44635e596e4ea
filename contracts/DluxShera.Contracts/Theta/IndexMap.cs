using System.Security.Cryptography;
using System.Text;

namespace DluxShera.Contracts;

/// <summary>
/// The recorded layout of θ: ordered, contiguous segments covering <c>[0, Dimension)</c>.
/// It makes <c>theta[t, :]</c>, <c>lr_vec</c> and curvature vectors interpretable without guessing.
/// </summary>
public sealed class IndexMap
{
    /// <summary>Builds an index map and checks that the entries tile <c>[0, D)</c> in order.</summary>
    /// <param name="entries">The segments, in θ order.</param>
    /// <exception cref="ArgumentException">Gaps, overlaps, a shape that does not match its slice, or a repeated name.</exception>
    public IndexMap(IEnumerable<IndexMapEntry> entries)
    {
        Entries = entries.ToArray();
        var names = new HashSet<string>(StringComparer.Ordinal);
        int expectedStart = 0;
        foreach (var e in Entries)
        {
            if (e.Start != expectedStart)
            {
                throw new ArgumentException($"IndexMap entry '{e.Name}' starts at {e.Start}; expected {expectedStart} (entries must be contiguous and ordered).");
            }
            long size = 1;
            foreach (int s in e.Shape)
            {
                if (s < 0) throw new ArgumentException($"IndexMap entry '{e.Name}' has a negative dimension in shape [{string.Join(",", e.Shape)}].");
                size *= s;
            }
            if (size != e.Length)
            {
                throw new ArgumentException($"IndexMap entry '{e.Name}' has shape [{string.Join(",", e.Shape)}] ({size} values) but covers {e.Length} θ indices.");
            }
            if (!names.Add(e.Name))
            {
                throw new ArgumentException($"IndexMap entry name '{e.Name}' appears twice.");
            }
            expectedStart = e.Stop;
        }
        Dimension = expectedStart;
        LayoutHash = ComputeLayoutHash(Entries);
    }

    /// <summary>The entries in θ order.</summary>
    public IReadOnlyList<IndexMapEntry> Entries { get; }

    /// <summary>The dimension D of θ.</summary>
    public int Dimension { get; }

    /// <summary>
    /// SHA-256 (lower-case hex) of the compact JSON array of ordered <c>[name, shape]</c> pairs,
    /// e.g. <c>[["binary.x_position_as",[1]],["primary.zernike_coeffs_nm",[8]]]</c>: exactly what
    /// Python's <c>json.dumps(pairs, separators=(",", ":"))</c> produces.
    /// </summary>
    public string LayoutHash { get; }

    /// <summary>A map of one scalar entry per index, named <c>{prefix}[i]</c>; handy for test problems.</summary>
    /// <param name="dimension">D.</param>
    /// <param name="name">The single entry's name.</param>
    /// <param name="block">Optional block.</param>
    public static IndexMap SingleVector(int dimension, string name = "x", string? block = null) =>
        new([new IndexMapEntry(name, 0, dimension, [dimension], block)]);

    /// <summary>Finds an entry by name.</summary>
    /// <param name="name">The entry name.</param>
    public IndexMapEntry? Find(string name) => Entries.FirstOrDefault(e => e.Name == name);

    /// <summary>The compact JSON the layout hash is computed from.</summary>
    public static string LayoutJson(IEnumerable<IndexMapEntry> entries)
    {
        var sb = new StringBuilder("[");
        bool first = true;
        foreach (var e in entries)
        {
            if (!first) sb.Append(',');
            first = false;
            sb.Append('[');
            AppendPythonJsonString(sb, e.Name);
            sb.Append(",[").Append(string.Join(",", e.Shape)).Append("]]");
        }
        return sb.Append(']').ToString();
    }

    private static string ComputeLayoutHash(IEnumerable<IndexMapEntry> entries) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(LayoutJson(entries))));

    // Mirrors Python's json.dumps with ensure_ascii=True so the hash is reproducible from numpy-side tooling.
    private static void AppendPythonJsonString(StringBuilder sb, string s)
    {
        sb.Append('"');
        foreach (char c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                default:
                    if (c < 0x20 || c > 0x7e)
                    {
                        sb.Append("\\u").Append(((int)c).ToString("x4"));
                    }
                    else
                    {
                        sb.Append(c);
                    }
                    break;
            }
        }
        sb.Append('"');
    }
}
