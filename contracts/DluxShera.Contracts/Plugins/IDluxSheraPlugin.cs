using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace DluxShera.Contracts;

/// <summary>
/// The entry point of a plugin. The host creates one instance per loaded plugin and calls
/// <see cref="Register"/> once, before any run starts.
/// </summary>
public interface IDluxSheraPlugin
{
    /// <summary>A stable identifier, e.g. <c>dluxshera.optimizers</c>. Shown by <c>plugins list</c>.</summary>
    string Id { get; }

    /// <summary>The plugin's own version (semver).</summary>
    string Version { get; }

    /// <summary>One line saying what the plugin provides.</summary>
    string Description { get; }

    /// <summary>
    /// Adds the plugin's components to the host's service collection, each under a stable
    /// <c>kind:name</c> (use the <c>Add…</c> methods of <see cref="ComponentRegistration"/>).
    /// </summary>
    /// <param name="services">The host's service collection.</param>
    /// <param name="options">The plugin's <c>options</c> object from plugins.json (empty when absent).</param>
    void Register(IServiceCollection services, IConfiguration options);
}
