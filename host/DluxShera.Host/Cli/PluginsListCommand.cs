using System.Text.Json.Nodes;
using DluxShera.Artifacts;
using DluxShera.Contracts;
using DluxShera.Host.Plugins;

namespace DluxShera.Host.Cli;

/// <summary><c>dluxshera plugins list [--json]</c>.</summary>
public static class PluginsListCommand
{
    /// <summary>Writes the loaded plugins with their components (and the skipped ones).</summary>
    /// <param name="registry">The plugin registry.</param>
    /// <param name="json">JSON output.</param>
    /// <param name="o">Output.</param>
    public static int Execute(PluginRegistry registry, bool json, TextWriter o)
    {
        if (json)
        {
            var doc = new JsonObject
            {
                ["plugins_file"] = registry.PluginsFile,
                ["host_contract_version"] = ContractVersion.Text,
                ["plugins"] = new JsonArray(registry.Loaded.Select(p => (JsonNode)new JsonObject
                {
                    ["id"] = p.Plugin.Id,
                    ["version"] = p.Plugin.Version,
                    ["contract_version"] = p.ContractVersion,
                    ["description"] = p.Plugin.Description,
                    ["path"] = p.Entry.Path,
                    ["source"] = p.Entry.Source,
                    ["components"] = new JsonArray(p.Components.Select(c => (JsonNode)new JsonObject
                    {
                        ["key"] = c.Key,
                        ["kind"] = c.Kind,
                        ["name"] = c.Name,
                        ["description"] = c.Description,
                        ["presets"] = new JsonArray(c.Presets.Keys.Order().Select(k => (JsonNode)k).ToArray()),
                    }).ToArray()),
                }).ToArray()),
                ["skipped"] = new JsonArray(registry.Skipped.Select(s => (JsonNode)new JsonObject
                {
                    ["id"] = s.Entry.Label,
                    ["path"] = s.Entry.Path,
                    ["reason"] = s.Reason,
                }).ToArray()),
            };
            o.WriteLine(doc.ToJsonString(JsonNumbers.Indented));
            return ExitCodes.Ok;
        }
        o.WriteLine($"plugins file: {registry.PluginsFile} (host contract {ContractVersion.Text})");
        foreach (var p in registry.Loaded)
        {
            o.WriteLine();
            o.WriteLine($"{p.Plugin.Id} {p.Plugin.Version}  (contract {p.ContractVersion})  {p.Plugin.Description}");
            o.WriteLine($"  path: {p.Entry.Path}");
            if (p.Entry.Source is { } source && source != registry.PluginsFile) o.WriteLine($"  from: {source}");
            int width = p.Components.Select(c => c.Key.Length).DefaultIfEmpty(0).Max();
            foreach (var c in p.Components.OrderBy(c => c.Key, StringComparer.Ordinal))
            {
                string presets = c.Presets.Count > 0 ? $"  [presets: {string.Join(", ", c.Presets.Keys.Order())}]" : "";
                o.WriteLine($"  {c.Key.PadRight(width)}  {c.Description}{presets}");
            }
        }
        foreach (var s in registry.Skipped)
        {
            o.WriteLine();
            o.WriteLine($"skipped {s.Entry.Label} ({s.Entry.RelativePath}): {s.Reason}");
        }
        return ExitCodes.Ok;
    }
}
