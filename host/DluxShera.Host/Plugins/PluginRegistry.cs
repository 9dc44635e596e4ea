namespace DluxShera.Host.Plugins;

/// <summary>What plugin loading produced, as a host service.</summary>
/// <param name="PluginsFile">The plugins.json used.</param>
/// <param name="Loaded">Loaded plugins.</param>
/// <param name="Skipped">Disabled or failed optional plugins.</param>
public sealed record PluginRegistry(string PluginsFile, IReadOnlyList<LoadedPlugin> Loaded, IReadOnlyList<SkippedPlugin> Skipped);
