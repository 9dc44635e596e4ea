using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;

namespace DluxShera.Contracts;

/// <summary>
/// <c>Add…</c> methods plugins call from <see cref="IDluxSheraPlugin.Register"/> to offer components.
/// Each adds a <see cref="ComponentDescriptor"/> singleton; the host turns them into <c>kind:name</c> entries.
/// </summary>
public static class ComponentRegistration
{
    /// <summary>Registers a component of any kind.</summary>
    /// <typeparam name="TService">The contract interface of the kind.</typeparam>
    /// <typeparam name="TOptions">The options class (public settable properties; defaults in initialisers).</typeparam>
    /// <param name="services">The host's service collection.</param>
    /// <param name="kind">One of <see cref="ComponentKinds.All"/>.</param>
    /// <param name="name">The registered name.</param>
    /// <param name="description">One line for <c>plugins list</c>.</param>
    /// <param name="factory">Creates the component from its bound options.</param>
    /// <param name="presets">Optional named option presets.</param>
    public static IServiceCollection AddComponent<TService, TOptions>(
        this IServiceCollection services,
        string kind,
        string name,
        string description,
        Func<ComponentContext, TOptions, TService> factory,
        IReadOnlyDictionary<string, JsonObject>? presets = null)
        where TService : class
        where TOptions : class, new()
    {
        ArgumentNullException.ThrowIfNull(factory);
        services.AddSingleton(new ComponentDescriptor
        {
            Kind = kind,
            Name = name,
            Description = description,
            OptionsType = typeof(TOptions),
            Presets = presets ?? new Dictionary<string, JsonObject>(),
            Factory = (context, options) => factory(context, (TOptions)options),
        });
        return services;
    }

    /// <summary>Registers an objective under <c>objective:name</c>.</summary>
    /// <inheritdoc cref="AddComponent" path="/param"/>
    public static IServiceCollection AddObjective<TOptions>(this IServiceCollection services, string name, string description,
        Func<ComponentContext, TOptions, IObjective> factory, IReadOnlyDictionary<string, JsonObject>? presets = null)
        where TOptions : class, new() =>
        services.AddComponent(ComponentKinds.Objective, name, description, factory, presets);

    /// <summary>Registers an optimizer engine under <c>optimizer:name</c>.</summary>
    /// <inheritdoc cref="AddComponent" path="/param"/>
    public static IServiceCollection AddOptimizer<TOptions>(this IServiceCollection services, string name, string description,
        Func<ComponentContext, TOptions, IOptimizerEngine> factory, IReadOnlyDictionary<string, JsonObject>? presets = null)
        where TOptions : class, new() =>
        services.AddComponent(ComponentKinds.Optimizer, name, description, factory, presets);

    /// <summary>Registers a curvature estimator under <c>curvature:name</c>.</summary>
    /// <inheritdoc cref="AddComponent" path="/param"/>
    public static IServiceCollection AddCurvatureEstimator<TOptions>(this IServiceCollection services, string name, string description,
        Func<ComponentContext, TOptions, ICurvatureEstimator> factory, IReadOnlyDictionary<string, JsonObject>? presets = null)
        where TOptions : class, new() =>
        services.AddComponent(ComponentKinds.Curvature, name, description, factory, presets);

    /// <summary>Registers a sampler under <c>sampler:name</c>.</summary>
    /// <inheritdoc cref="AddComponent" path="/param"/>
    public static IServiceCollection AddSampler<TOptions>(this IServiceCollection services, string name, string description,
        Func<ComponentContext, TOptions, ISampler> factory, IReadOnlyDictionary<string, JsonObject>? presets = null)
        where TOptions : class, new() =>
        services.AddComponent(ComponentKinds.Sampler, name, description, factory, presets);

    /// <summary>Registers a signal recipe under <c>signals:name</c>.</summary>
    /// <inheritdoc cref="AddComponent" path="/param"/>
    public static IServiceCollection AddSignalRecipe<TOptions>(this IServiceCollection services, string name, string description,
        Func<ComponentContext, TOptions, ISignalRecipe> factory, IReadOnlyDictionary<string, JsonObject>? presets = null)
        where TOptions : class, new() =>
        services.AddComponent(ComponentKinds.Signals, name, description, factory, presets);

    /// <summary>Registers an artifact store under <c>store:name</c>.</summary>
    /// <inheritdoc cref="AddComponent" path="/param"/>
    public static IServiceCollection AddArtifactStore<TOptions>(this IServiceCollection services, string name, string description,
        Func<ComponentContext, TOptions, IArtifactStore> factory, IReadOnlyDictionary<string, JsonObject>? presets = null)
        where TOptions : class, new() =>
        services.AddComponent(ComponentKinds.Store, name, description, factory, presets);
}
