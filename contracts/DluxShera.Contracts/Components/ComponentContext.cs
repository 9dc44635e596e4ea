using System.Text.Json.Nodes;

namespace DluxShera.Contracts;

/// <summary>What a component factory receives besides its options.</summary>
public sealed class ComponentContext
{
    /// <summary>The host's services (logging, other registered services).</summary>
    public required IServiceProvider Services { get; init; }

    /// <summary>Creates other components by name, e.g. a curvature estimator named in an optimizer's options.</summary>
    public required IComponentResolver Components { get; init; }

    /// <summary>The run's master seed. Derive per-purpose seeds with <see cref="DeriveSeed(string)"/>.</summary>
    public required ulong RunSeed { get; init; }

    /// <summary>The JSON path of this component's options in the run spec, for error messages.</summary>
    public string OptionsPath { get; init; } = "";

    /// <summary>
    /// A seed for one purpose (e.g. <c>"hutchinson"</c>), derived deterministically from the run seed,
    /// so that adding a random consumer never changes the streams of the others.
    /// </summary>
    /// <param name="purpose">A stable name for the consumer.</param>
    public ulong DeriveSeed(string purpose) => DeriveSeed(RunSeed, purpose);

    /// <summary>The seed for <paramref name="purpose"/> derived from <paramref name="runSeed"/> (what <see cref="DeriveSeed(string)"/> returns).</summary>
    /// <param name="runSeed">The run's master seed.</param>
    /// <param name="purpose">A stable name for the consumer.</param>
    public static ulong DeriveSeed(ulong runSeed, string purpose)
    {
        // FNV-1a over the purpose, mixed with the run seed through SplitMix64.
        ulong h = 14695981039346656037UL;
        foreach (char c in purpose)
        {
            h = (h ^ c) * 1099511628211UL;
        }
        ulong z = runSeed + h + 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}

/// <summary>Creates registered components by <c>kind</c> and name with options.</summary>
public interface IComponentResolver
{
    /// <summary>True when a component <c>kind:name</c> is registered.</summary>
    /// <param name="kind">The kind.</param>
    /// <param name="name">The registered name.</param>
    bool Has(string kind, string name);

    /// <summary>
    /// Creates the component <c>kind:name</c>, binding the reference's options (null for defaults)
    /// strictly: unknown keys and wrong types throw <see cref="ComponentOptionsException"/>.
    /// </summary>
    /// <typeparam name="T">The contract interface expected.</typeparam>
    /// <param name="kind">The kind.</param>
    /// <param name="reference">Name, preset and options of the component.</param>
    /// <param name="optionsPath">The JSON path of <paramref name="reference"/>, for error messages.</param>
    T Create<T>(string kind, ComponentReference reference, string optionsPath) where T : class;
}

/// <summary>A component named in a run spec or in another component's options.</summary>
public sealed class ComponentReference
{
    /// <summary>The registered name (without the kind).</summary>
    public string Name { get; set; } = "";

    /// <summary>An optional preset of the component, applied under <see cref="Options"/>.</summary>
    public string? Preset { get; set; }

    /// <summary>The component's options; null or missing keys take the defaults.</summary>
    public JsonObject? Options { get; set; }
}

/// <summary>Bad options for a component: names the JSON path and what was expected.</summary>
/// <param name="message">The full message, naming the path and the allowed values.</param>
public sealed class ComponentOptionsException(string message) : Exception(message);
