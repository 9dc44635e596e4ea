using System.Text.Json;
using System.Text.Json.Nodes;

namespace DluxShera.Host.Plugins;

/// <summary>One entry of plugins.json.</summary>
/// <param name="Label">The entry's <c>id</c> (a label for messages), or the file name.</param>
/// <param name="Path">Absolute path of the plugin assembly.</param>
/// <param name="RelativePath">The path as written in plugins.json.</param>
/// <param name="Enabled">Load it at all.</param>
/// <param name="Required">A failure to load stops the host (exit 2); otherwise a warning.</param>
/// <param name="Options">The per-plugin options object.</param>
/// <param name="Source">Where the entry came from: the plugins file, a <c>plugins.d/*.json</c> file, or <c>--plugin</c>.</param>
public sealed record PluginEntry(string Label, string Path, string RelativePath, bool Enabled, bool Required, JsonObject Options, string? Source = null);

/// <summary>Reads plugins.json strictly: malformed JSON is reported with line and column, unknown keys by name.</summary>
public static class PluginsFile
{
    private static readonly string[] EntryKeys = ["id", "path", "enabled", "required", "options"];

    /// <summary>Finds plugins.json: the given file, else <c>DLUXSHERA_PLUGINS</c>, else the nearest one above
    /// the current directory, else the nearest one above the executable.</summary>
    /// <param name="explicitPath">The <c>--plugins</c> value, or null.</param>
    public static string Locate(string? explicitPath)
    {
        if (!string.IsNullOrEmpty(explicitPath)) return System.IO.Path.GetFullPath(explicitPath);
        if (Environment.GetEnvironmentVariable("DLUXSHERA_PLUGINS") is { Length: > 0 } env) return System.IO.Path.GetFullPath(env);
        foreach (string start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                string candidate = System.IO.Path.Combine(dir.FullName, "plugins.json");
                if (File.Exists(candidate)) return candidate;
            }
        }
        throw new BadInputException("no plugins.json found in the current directory or above it, nor above the dluxshera executable; pass --plugins <file> or set DLUXSHERA_PLUGINS.");
    }

    /// <summary>Parses plugins.json.</summary>
    /// <param name="file">The file.</param>
    /// <exception cref="BadInputException">Missing file, malformed JSON (with line and column) or a bad entry.</exception>
    public static IReadOnlyList<PluginEntry> Load(string file)
    {
        if (!File.Exists(file)) throw new BadInputException($"{file}: plugins file not found; pass --plugins <file> with an existing plugins.json.");
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(file), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new BadInputException($"{file}:{e.LineNumber + 1}:{e.BytePositionInLine + 1}: malformed JSON: {FirstSentence(e.Message)} Fix the JSON syntax at that line and column.", e);
        }
        if (root is not JsonObject obj || obj["plugins"] is not JsonArray array)
        {
            throw new BadInputException($"{file}: expected an object with a \"plugins\" array, e.g. {{\"plugins\": [{{\"path\": \"build/plugins/X/X.dll\"}}]}}.");
        }
        foreach (var (key, _) in obj)
        {
            if (key is not "plugins" and not "$schema") throw new BadInputException($"{file}: unknown top-level key '{key}'; allowed: plugins.");
        }
        string baseDir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(file))!;
        var entries = new List<PluginEntry>();
        for (int i = 0; i < array.Count; i++)
        {
            string where = $"{file}: plugins[{i}]";
            if (array[i] is not JsonObject e) throw new BadInputException($"{where}: expected an object with at least \"path\".");
            foreach (var (key, _) in e)
            {
                if (!EntryKeys.Contains(key)) throw new BadInputException($"{where}: unknown key '{key}'; allowed: {string.Join(", ", EntryKeys)}.");
            }
            string rel = ReadString(e, "path", where) ?? throw new BadInputException($"{where}: \"path\" is required (the plugin assembly, relative to plugins.json).");
            string label = ReadString(e, "id", where) ?? System.IO.Path.GetFileNameWithoutExtension(rel);
            bool enabled = ReadBool(e, "enabled", where) ?? true;
            bool required = ReadBool(e, "required", where) ?? true;
            var options = e["options"] switch
            {
                null => new JsonObject(),
                JsonObject o => (JsonObject)o.DeepClone(),
                _ => throw new BadInputException($"{where}.options: expected an object."),
            };
            entries.Add(new PluginEntry(label, System.IO.Path.GetFullPath(System.IO.Path.Combine(baseDir, rel)), rel, enabled, required, options, file));
        }
        return entries;
    }

    private static string? ReadString(JsonObject o, string key, string where) => o[key] switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        _ => throw new BadInputException($"{where}.{key}: expected a string."),
    };

    private static bool? ReadBool(JsonObject o, string key, string where) => o[key] switch
    {
        null => null,
        JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => v.GetValue<bool>(),
        _ => throw new BadInputException($"{where}.{key}: expected true or false."),
    };

    private static string FirstSentence(string message)
    {
        int cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return (cut > 0 ? message[..cut] : message).Trim();
    }
}
