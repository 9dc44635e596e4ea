using System.Reflection;
using DluxShera.Contracts;
using McMaster.NETCore.Plugins;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DluxShera.Host.Plugins;

/// <summary>
/// Loads the plugins of plugins.json with McMaster.NETCore.Plugins, checks them (contract version,
/// shared types, entry point) and lets each register its components into the host's services.
/// </summary>
public sealed class PluginLoader
{
    /// <summary>Types whose assemblies host and plugins must share (one instance each).</summary>
    public static readonly Type[] SharedTypes =
    [
        typeof(IDluxSheraPlugin),          // DluxShera.Contracts
        typeof(IServiceCollection),        // Microsoft.Extensions.DependencyInjection.Abstractions
        typeof(IConfiguration),            // Microsoft.Extensions.Configuration.Abstractions
        typeof(ILogger),                   // Microsoft.Extensions.Logging.Abstractions
        typeof(IOptions<>),                // Microsoft.Extensions.Options
        typeof(Microsoft.Extensions.Primitives.StringValues), // Microsoft.Extensions.Primitives
        typeof(System.Text.Json.Nodes.JsonObject), // System.Text.Json: JsonObject is in the contract (presets, options, diagnostics)
    ];

    private static readonly Assembly[] SharedAssemblies = SharedTypes.Select(t => t.Assembly).Distinct().ToArray();

    // The contracts have their own version rule (ContractVersion); the others follow the framework's.
    private static readonly Assembly[] SharedFrameworkAssemblies = SharedAssemblies.Where(a => a != typeof(IDluxSheraPlugin).Assembly).ToArray();

    // The major version of the shared framework assemblies (System.Text.Json, Microsoft.Extensions.*).
    private static readonly int HostMajor = typeof(System.Text.Json.Nodes.JsonObject).Assembly.GetName().Version!.Major;
    private readonly ILogger _logger;

    /// <summary>Creates a loader.</summary>
    /// <param name="logger">For warnings about skipped optional plugins.</param>
    public PluginLoader(ILogger logger) => _logger = logger;

    /// <summary>The loaded plugins.</summary>
    public List<LoadedPlugin> Loaded { get; } = [];

    /// <summary>The optional or disabled plugins that were skipped.</summary>
    public List<SkippedPlugin> Skipped { get; } = [];

    /// <summary>Loads every enabled entry and registers its components into <paramref name="services"/>.</summary>
    /// <param name="pluginsFile">The plugins.json path (for messages).</param>
    /// <param name="entries">Its entries.</param>
    /// <param name="services">The host's services.</param>
    /// <exception cref="PluginLoadException">A required plugin failed, or two plugins registered the same component.</exception>
    public void LoadAll(string pluginsFile, IReadOnlyList<PluginEntry> entries, IServiceCollection services)
    {
        var owners = new Dictionary<string, LoadedPlugin>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            if (!entry.Enabled)
            {
                Skipped.Add(new SkippedPlugin(entry, "disabled in plugins.json"));
                continue;
            }
            try
            {
                var loaded = LoadOne(pluginsFile, entry, services);
                if (Loaded.FirstOrDefault(p => string.Equals(p.Plugin.Id, loaded.Plugin.Id, StringComparison.Ordinal)) is { } same)
                {
                    throw new PluginLoadException(
                        $"{pluginsFile}: plugin id '{loaded.Plugin.Id}' is loaded twice: from {same.Entry.RelativePath} and from {entry.RelativePath}. Keep one entry (or disable the other).");
                }
                foreach (var component in loaded.Components)
                {
                    if (owners.TryGetValue(component.Key, out var first))
                    {
                        throw new PluginLoadException(
                            $"{pluginsFile}: component '{component.Key}' is registered twice: by plugin '{first.Plugin.Id}' ({first.Entry.RelativePath}) and by plugin '{loaded.Plugin.Id}' ({entry.RelativePath}). Disable one of them ({first.Entry.Source ?? pluginsFile}, {entry.Source ?? pluginsFile}) or rename the component.");
                    }
                    owners[component.Key] = loaded;
                }
                Loaded.Add(loaded);
            }
            catch (PluginLoadException e) when (!entry.Required)
            {
                _logger.LogWarning("optional plugin '{Plugin}' skipped: {Reason}", entry.Label, e.Message);
                Skipped.Add(new SkippedPlugin(entry, e.Message));
            }
        }
    }

    private static LoadedPlugin LoadOne(string pluginsFile, PluginEntry entry, IServiceCollection services)
    {
        string who = $"plugin '{entry.Label}' ({entry.RelativePath} in {entry.Source ?? pluginsFile})";
        if (!File.Exists(entry.Path))
        {
            throw new PluginLoadException($"{who}: assembly not found at {entry.Path}. Build the plugins (dotnet build DluxShera.sln), fix \"path\" (relative to plugins.json), or set \"required\": false.");
        }
        var newer = SharedAssemblyCheck.FindNewerCopies(Path.GetDirectoryName(entry.Path)!, SharedFrameworkAssemblies);
        if (newer.Count > 0)
        {
            throw new PluginLoadException($"{who}: carries {string.Join("; ", newer)}. These assemblies are shared with the host (their types are part of the contract), so a newer private copy would split them. "
                + $"Build the plugin against the host's versions (System.Text.Json and Microsoft.Extensions.* {HostMajor}.0.x; patch-newer packages are fine), and pin any dependency that brings a newer one to a release built for .NET {HostMajor}.");
        }
        Assembly assembly;
        McMaster.NETCore.Plugins.PluginLoader loader;
        try
        {
            // Non-collectible: GPU plugins keep native contexts alive for the process lifetime.
            loader = McMaster.NETCore.Plugins.PluginLoader.CreateFromAssemblyFile(entry.Path, SharedTypes, config => config.PreferSharedTypes = true);
            assembly = loader.LoadDefaultAssembly();
        }
        catch (Exception e) when (e is BadImageFormatException or FileLoadException or FileNotFoundException or InvalidOperationException)
        {
            throw new PluginLoadException($"{who}: cannot load the assembly: {e.Message}. Rebuild the plugin for net10.0.", e);
        }

        var contractRef = assembly.GetReferencedAssemblies().FirstOrDefault(a => a.Name == typeof(IDluxSheraPlugin).Assembly.GetName().Name);
        if (contractRef is null)
        {
            throw new PluginLoadException($"{who}: the assembly does not reference DluxShera.Contracts, so it is not a DluxShera plugin. Point \"path\" at the plugin's own dll.");
        }
        if (contractRef.Version is { } v && v.Major != ContractVersion.Major)
        {
            throw new PluginLoadException($"{who}: built against DluxShera.Contracts {v.Major}.x, but this host carries contract {ContractVersion.Text}. Rebuild the plugin against contract {ContractVersion.Major}.x.");
        }
        var splits = SharedAssemblyCheck.FindSplits(assembly, SharedAssemblies, loader.LoadAssembly);
        if (splits.Count > 0)
        {
            throw new PluginLoadException($"{who}: its view of the shared types is not the host's (silent type split): {string.Join("; ", splits)}. Rebuild the plugin against the host's versions (no newer Microsoft.Extensions packages than the host's).");
        }

        var marker = assembly.GetCustomAttribute<DluxSheraPluginAttribute>()
            ?? throw new PluginLoadException($"{who}: no [assembly: DluxSheraPlugin(typeof(YourPlugin))] attribute; add it to name the entry type.");
        if (!ContractVersion.TryParse(marker.ContractVersion, out var declared) || !ContractVersion.IsCompatible(declared))
        {
            throw new PluginLoadException($"{who}: built for contract version {marker.ContractVersion}, but this host carries contract {ContractVersion.Text} (a plugin needs the same major version and a minor version no newer). Rebuild the plugin against contract {ContractVersion.Major}.{ContractVersion.Minor}.");
        }

        IDluxSheraPlugin plugin;
        try
        {
            plugin = Activator.CreateInstance(marker.EntryType) as IDluxSheraPlugin
                ?? throw new PluginLoadException($"{who}: entry type {marker.EntryType.FullName} does not implement IDluxSheraPlugin.");
        }
        catch (Exception e) when (e is TargetInvocationException or MissingMethodException or MemberAccessException)
        {
            throw new PluginLoadException($"{who}: creating entry type {marker.EntryType.FullName} failed: {(e.InnerException ?? e).Message}. The entry type needs a public parameterless constructor that does not throw.", e);
        }

        int before = services.Count;
        try
        {
            var options = new ConfigurationBuilder().AddJsonStream(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(entry.Options.ToJsonString()))).Build();
            plugin.Register(services, options);
        }
        catch (Exception e) when (e is not PluginLoadException)
        {
            RemoveFrom(services, before);
            throw new PluginLoadException($"{who}: Register threw {e.GetType().Name}: {e.Message}. Fix the plugin or its \"options\" in plugins.json, or set \"required\": false to go on without it.", e);
        }

        var components = services.Skip(before)
            .Select(d => d.ImplementationInstance)
            .OfType<ComponentDescriptor>()
            .ToList();
        foreach (var c in components)
        {
            if (!ComponentKinds.All.Contains(c.Kind))
            {
                RemoveFrom(services, before);
                throw new PluginLoadException($"{who}: component '{c.Key}' has unknown kind '{c.Kind}'; allowed kinds: {string.Join(", ", ComponentKinds.All)}.");
            }
        }
        return new LoadedPlugin(entry, plugin, marker.ContractVersion, components);
    }

    private static void RemoveFrom(IServiceCollection services, int count)
    {
        while (services.Count > count) services.RemoveAt(services.Count - 1);
    }
}
