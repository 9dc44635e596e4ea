using System.Reflection;

namespace DluxShera.Host.Plugins;

/// <summary>
/// Guards against the silent type split of ARCHITECTURE §4: McMaster loads a private copy of a "shared"
/// assembly when the plugin was built against a newer version than the host carries; contract and DI
/// types then stop matching without any error. This check compares, for every shared assembly the plugin
/// references, the instance the plugin's load context resolves with the host's own.
/// </summary>
public static class SharedAssemblyCheck
{
    /// <summary>
    /// Whether a private copy of a shared assembly in a plugin's folder would be loaded instead of the host's:
    /// the default load context serves any request up to its own assembly version, so only a newer assembly
    /// version splits. Packages keep the assembly version within a major.minor line (every System.Text.Json
    /// 10.0.x package is assembly 10.0.0.0), so patch-newer packages are fine.
    /// </summary>
    /// <param name="carried">The assembly version of the plugin's copy.</param>
    /// <param name="host">The assembly version the host shares.</param>
    public static bool Splits(Version carried, Version host) => carried > host;

    /// <summary>
    /// One problem per shared assembly the plugin's folder carries (directly or for any dependency, including
    /// <c>runtimes/</c>) in a newer assembly version than the host's: the plugin would get its own copy and its
    /// types (IServiceCollection, JsonObject) would not be the host's, which fails later with MissingMethodException.
    /// </summary>
    /// <param name="pluginDirectory">The plugin's folder.</param>
    /// <param name="sharedAssemblies">The host's shared assemblies.</param>
    public static IReadOnlyList<string> FindNewerCopies(string pluginDirectory, IReadOnlyCollection<Assembly> sharedAssemblies)
    {
        var problems = new List<string>();
        foreach (var shared in sharedAssemblies)
        {
            var hostName = shared.GetName();
            foreach (string path in Directory.EnumerateFiles(pluginDirectory, hostName.Name + ".dll", SearchOption.AllDirectories))
            {
                Version? carried;
                try
                {
                    carried = AssemblyName.GetAssemblyName(path).Version;
                }
                catch (Exception e) when (e is BadImageFormatException or FileLoadException or IOException)
                {
                    continue; // not a managed assembly the plugin could load either
                }
                if (carried is not null && hostName.Version is not null && Splits(carried, hostName.Version))
                {
                    problems.Add($"{hostName.Name} {carried} ({Path.GetRelativePath(pluginDirectory, path)}), the host shares {hostName.Version}");
                    break;
                }
            }
        }
        return problems;
    }

    /// <summary>Returns one problem per shared assembly the plugin sees differently from the host.</summary>
    /// <param name="plugin">The plugin's main assembly.</param>
    /// <param name="sharedAssemblies">The host's shared assemblies.</param>
    /// <param name="resolveInPlugin">Resolves an assembly name in the plugin's load context.</param>
    public static IReadOnlyList<string> FindSplits(Assembly plugin, IReadOnlyCollection<Assembly> sharedAssemblies, Func<AssemblyName, Assembly> resolveInPlugin)
    {
        var problems = new List<string>();
        var byName = sharedAssemblies.ToDictionary(a => a.GetName().Name!, StringComparer.OrdinalIgnoreCase);
        foreach (var reference in plugin.GetReferencedAssemblies())
        {
            if (reference.Name is null || !byName.TryGetValue(reference.Name, out var hostAssembly)) continue;
            Assembly seen;
            try
            {
                seen = resolveInPlugin(reference);
            }
            catch (Exception e) when (e is FileNotFoundException or FileLoadException or BadImageFormatException)
            {
                problems.Add($"{reference.Name} {reference.Version} could not be resolved ({e.Message})");
                continue;
            }
            if (!ReferenceEquals(seen, hostAssembly))
            {
                problems.Add($"{reference.Name}: the plugin was built against {reference.Version} and got its own copy ({seen.GetName().Version}), but the host shares {hostAssembly.GetName().Version}");
            }
        }
        return problems;
    }
}
