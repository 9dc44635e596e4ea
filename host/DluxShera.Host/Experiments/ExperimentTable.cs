using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DluxShera.Artifacts;
using DluxShera.Contracts;
using DluxShera.Numpy;
using Parquet;
using Parquet.Schema;

namespace DluxShera.Host.Experiments;

/// <summary>
/// One row per run of an experiment: the flattened summary.json plus chosen meta.json keys. Column types
/// are inferred (bool, int64, double, string); a run whose summary cannot be read is a row with
/// status <c>unreadable</c> and the error as its message, so nothing disappears from the table.
/// </summary>
public sealed class ExperimentTable
{
    private readonly List<string> _columns = [];
    private readonly List<Dictionary<string, JsonNode?>> _rows = [];

    /// <summary>Column names in order.</summary>
    public IReadOnlyList<string> Columns => _columns;

    /// <summary>Number of rows.</summary>
    public int RowCount => _rows.Count;

    /// <summary>Builds the table from <c>&lt;experiment&gt;/runs/*/</c>.</summary>
    /// <param name="experimentDirectory">The experiment directory (holding <c>runs/</c>).</param>
    /// <param name="metaKeys">Dotted meta.json keys to add as <c>meta.&lt;key&gt;</c> columns.</param>
    public static ExperimentTable Build(string experimentDirectory, IReadOnlyList<string> metaKeys)
    {
        string runs = Path.Combine(experimentDirectory, "runs");
        if (!Directory.Exists(runs)) throw new BadInputException($"{runs}: not found; an experiment directory holds runs/<run_id>/ (and manifest.json).");
        var layout = new ExperimentLayout(experimentDirectory);
        var pointValues = PointValues(layout);
        var table = new ExperimentTable();
        table.AddColumn("run_dir");
        foreach (string id in StatusCommand.Points(layout))
        {
            string dir = layout.RunDirectory(id);
            var row = new Dictionary<string, JsonNode?> { ["run_dir"] = id };
            if (pointValues.TryGetValue(id, out var values))
            {
                foreach (var (column, value) in values) row[column] = value?.DeepClone();
            }
            var state = RunState.OfPoint(layout, id);
            if (state.Summary is null)
            {
                // Planned but not started, just started, or unreadable: a row all the same, so nothing disappears.
                row["run_id"] = id;
                row["status"] = state.Status;
                row["message"] = state.Message;
            }
            else
            {
                try
                {
                    Flatten(state.Summary, "", row);
                    if (metaKeys.Count > 0)
                    {
                        var meta = new FilesystemRunReader(dir).LoadMeta();
                        foreach (string key in metaKeys) row["meta." + key] = Lookup(meta, key)?.DeepClone();
                    }
                    // A live process still writes it: its provisional "failed" summary is not the run's outcome.
                    if (state.Status == "running")
                    {
                        row["status"] = "running";
                        row["message"] = state.Message;
                    }
                }
                catch (ArtifactException e)
                {
                    row["run_id"] = id;
                    row["status"] = "unreadable";
                    row["message"] = e.Message;
                }
            }
            foreach (string key in row.Keys) table.AddColumn(key);
            table._rows.Add(row);
        }
        foreach (string key in metaKeys) table.AddColumn("meta." + key);
        return table;
    }

    /// <summary>The rows as read (column → value), for the ensemble analysis.</summary>
    public IReadOnlyList<IReadOnlyDictionary<string, JsonNode?>> Rows => _rows;

    // "point.<path>" columns: what each planned point set (sweep axes, epoch settings), from manifest.json.
    private static Dictionary<string, Dictionary<string, JsonNode?>> PointValues(ExperimentLayout layout)
    {
        var result = new Dictionary<string, Dictionary<string, JsonNode?>>();
        if (!File.Exists(layout.Manifest)) return result;
        JsonNode? manifest;
        try
        {
            manifest = JsonNode.Parse(File.ReadAllText(layout.Manifest));
        }
        catch (JsonException)
        {
            return result;
        }
        if (manifest?["points"] is not JsonArray points) return result;
        foreach (var p in points)
        {
            if (p?["run_id"]?.GetValue<string>() is not { } id) continue;
            var values = new Dictionary<string, JsonNode?> { ["point.index"] = p["index"]?.DeepClone() };
            if (p["set"] is JsonArray set)
            {
                foreach (var a in set)
                {
                    string path = a?["path"] is JsonArray segments ? string.Join('.', segments.Select(x => x!.GetValue<string>())) : a?["path"]?.GetValue<string>() ?? "?";
                    // Objects (merged settings) are kept as JSON text; scalars keep their type.
                    values["point." + path] = a?["value"] is JsonObject or JsonArray ? JsonValue.Create(a["value"]!.ToJsonString()) : a?["value"]?.DeepClone();
                }
            }
            result[id] = values;
        }
        return result;
    }

    private void AddColumn(string name)
    {
        if (!_columns.Contains(name)) _columns.Add(name);
    }

    private static void Flatten(JsonObject obj, string prefix, Dictionary<string, JsonNode?> row)
    {
        foreach (var (key, value) in obj)
        {
            string name = prefix + key;
            if (value is JsonObject child) Flatten(child, name + ".", row);
            else row[name] = value?.DeepClone();
        }
    }

    private static JsonNode? Lookup(JsonNode? node, string dotted)
    {
        foreach (string part in dotted.Split('.'))
        {
            node = node is JsonObject o ? o[part] : null;
            if (node is null) return null;
        }
        return node;
    }

    private enum ColumnType { Bool, Int64, Double, String }

    private ColumnType TypeOf(string column)
    {
        var values = _rows.Select(r => r.GetValueOrDefault(column)).Where(v => v is not null).ToList();
        if (values.Count == 0) return ColumnType.String;
        if (values.All(v => v!.GetValueKind() is JsonValueKind.True or JsonValueKind.False)) return ColumnType.Bool;
        if (values.All(v => v!.GetValueKind() == JsonValueKind.Number))
        {
            return values.All(v => v!.AsValue().TryGetValue<long>(out _)) ? ColumnType.Int64 : ColumnType.Double;
        }
        return ColumnType.String;
    }

    private static string? Text(JsonNode? v) => v is null ? null
        : v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : v.ToJsonString();

    /// <summary>Writes the table as CSV (RFC 4180; empty cell for null).</summary>
    /// <param name="path">The file (written atomically).</param>
    public void WriteCsv(string path)
    {
        var sb = new StringBuilder();
        sb.AppendLine(string.Join(",", _columns.Select(Quote)));
        foreach (var row in _rows)
        {
            sb.AppendLine(string.Join(",", _columns.Select(c => Quote(Text(row.GetValueOrDefault(c)) ?? ""))));
        }
        AtomicFile.WriteText(path, sb.ToString());

        static string Quote(string s) =>
            s.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;
    }

    /// <summary>Writes the table as Parquet (one row group; nullable columns).</summary>
    /// <param name="path">The file (written atomically).</param>
    public void WriteParquet(string path) =>
        AtomicFile.Write(path, stream => WriteParquetAsync(stream).GetAwaiter().GetResult());

    private async Task WriteParquetAsync(Stream stream)
    {
        var types = _columns.ToDictionary(c => c, TypeOf);
        var fields = _columns.Select(c => types[c] switch
        {
            ColumnType.Bool => (DataField)new DataField<bool?>(c),
            ColumnType.Int64 => new DataField<long?>(c),
            ColumnType.Double => new DataField<double?>(c),
            _ => new DataField<string>(c),
        }).ToArray();
        await using var writer = await ParquetWriter.CreateAsync(new ParquetSchema(fields), stream);
        using var group = writer.CreateRowGroup();
        for (int i = 0; i < _columns.Count; i++)
        {
            var cells = _rows.Select(r => r.GetValueOrDefault(_columns[i])).ToArray();
            switch (types[_columns[i]])
            {
                case ColumnType.Bool:
                    await group.WriteAsync<bool>(fields[i], cells.Select(v => v is null ? (bool?)null : v.GetValue<bool>()).ToArray().AsMemory());
                    break;
                case ColumnType.Int64:
                    await group.WriteAsync<long>(fields[i], cells.Select(v => v is null ? (long?)null : v.GetValue<long>()).ToArray().AsMemory());
                    break;
                case ColumnType.Double:
                    await group.WriteAsync<double>(fields[i], cells.Select(v => v is null ? (double?)null : v.GetValue<double>()).ToArray().AsMemory());
                    break;
                default:
                    await group.WriteAsync(fields[i], cells.Select(Text).ToArray()!, null);
                    break;
            }
        }
    }
}
