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
