using DluxShera.Contracts;

namespace DluxShera.Host.Plugins;

/// <summary>A plugin that loaded and registered its components.</summary>
/// <param name="Entry">Its plugins.json entry.</param>
/// <param name="Plugin">Its entry point.</param>
/// <param name="ContractVersion">The contract version it was built against.</param>
/// <param name="Components">The components it registered.</param>
public sealed record LoadedPlugin(PluginEntry Entry, IDluxSheraPlugin Plugin, string ContractVersion, IReadOnlyList<ComponentDescriptor> Components);

/// <summary>An optional plugin that was skipped, and why.</summary>
/// <param name="Entry">Its plugins.json entry.</param>
/// <param name="Reason">Why (disabled, or the load error).</param>
public sealed record SkippedPlugin(PluginEntry Entry, string Reason);

/// <summary>A plugin that cannot be used; the message names the plugin, the cause and the fix.</summary>
/// <param name="message">The message.</param>
/// <param name="inner">The underlying error.</param>
public sealed class PluginLoadException(string message, Exception? inner = null) : BadInputException(message, inner);
