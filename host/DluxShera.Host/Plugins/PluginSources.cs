namespace DluxShera.Host.Plugins;

/// <summary>
/// Every plugin entry a host loads, in order: the plugins file, then the <c>*.json</c> files of the
/// <c>plugins.d/</c> folder beside it (same format, by ordinal file name), then each <c>--plugin PATH</c>.
/// An id may appear once only, so a drop-in or <c>--plugin</c> cannot silently shadow an entry.
/// </summary>
public static class PluginSources
{
    /// <summary>The drop-in folder's name, beside plugins.json.</summary>
    public const string DropInFolder = "plugins.d";

    /// <summary>Source label of entries added with <c>--plugin</c>.</summary>
    public const string CommandLineSource = "--plugin";

    /// <summary>Reads the plugins file, its drop-ins and the extra assemblies.</summary>
    /// <param name="pluginsFile">The plugins.json in use.</param>
    /// <param name="extraAssemblies"><c>--plugin</c> values: plugin assemblies, relative to the current directory.</param>
    /// <exception cref="BadInputException">A malformed file, a duplicate id or path, or a missing <c>--plugin</c> file.</exception>
    public static IReadOnlyList<PluginEntry> Load(string pluginsFile, IReadOnlyList<string> extraAssemblies)
    {
        var entries = new List<PluginEntry>(PluginsFile.Load(pluginsFile));
        string dropIns = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(pluginsFile))!, DropInFolder);
        if (Directory.Exists(dropIns))
        {
            foreach (string file in Directory.GetFiles(dropIns, "*.json").Order(StringComparer.Ordinal))
            {
                entries.AddRange(PluginsFile.Load(file));
            }
        }
        foreach (string given in extraAssemblies)
        {
            string full = Path.GetFullPath(given);
            if (!File.Exists(full))
            {
                throw new BadInputException($"--plugin {given}: no such file ({full}); pass the path of a built plugin assembly (.dll).");
            }
            entries.Add(new PluginEntry(Path.GetFileNameWithoutExtension(full), full, given, true, true, new System.Text.Json.Nodes.JsonObject(), CommandLineSource));
        }
        RefuseDuplicates(entries);
        return entries;
    }

    private static void RefuseDuplicates(IReadOnlyList<PluginEntry> entries)
    {
        var byId = new Dictionary<string, PluginEntry>(StringComparer.Ordinal);
        var byPath = new Dictionary<string, PluginEntry>(StringComparer.Ordinal);
        foreach (var e in entries)
        {
            if (byId.TryGetValue(e.Label, out var first))
            {
                throw new BadInputException($"{e.Source}: plugin id '{e.Label}' ({e.RelativePath}) is already used by {first.Source} ({first.RelativePath}); ids must be unique across plugins.json, {DropInFolder}/ and --plugin. Rename one \"id\" or remove one entry.");
            }
            if (e.Enabled && byPath.TryGetValue(e.Path, out var same))
            {
                throw new BadInputException($"{e.Source}: plugin '{e.Label}' loads {e.Path}, which {same.Source} already loads as '{same.Label}'; remove one of them.");
            }
            byId[e.Label] = e;
            if (e.Enabled) byPath[e.Path] = e;
        }
    }
}
