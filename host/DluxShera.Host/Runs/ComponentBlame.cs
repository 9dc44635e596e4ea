using System.Diagnostics;
using System.Reflection;

namespace DluxShera.Host.Runs;

/// <summary>
/// Names the component whose code threw: the innermost stack frame that belongs to one of the run's
/// components (by type first, then by assembly), so "objective:rosenbrock threw …" is not reported as
/// "optimizer:gd threw …" just because the engine called the objective.
/// </summary>
public sealed class ComponentBlame(IReadOnlyList<(string Key, object Component)> components, string fallback)
{
    /// <summary>The key (<c>kind:name</c>) of the component that threw, or the fallback.</summary>
    /// <param name="error">The exception.</param>
    public string Culprit(Exception error)
    {
        var frames = new StackTrace(error, fNeedFileInfo: false).GetFrames();
        foreach (var frame in frames)
        {
            if (frame.GetMethod()?.DeclaringType is not { } type) continue;
            foreach (var (key, component) in components)
            {
                if (Owns(component.GetType(), type)) return key;
            }
        }
        foreach (var frame in frames)
        {
            Assembly? assembly = frame.GetMethod()?.DeclaringType?.Assembly;
            foreach (var (key, component) in components)
            {
                if (assembly is not null && component.GetType().Assembly == assembly) return key;
            }
        }
        return fallback;
    }

    /// <summary>"objective:x threw NullReferenceException: message".</summary>
    /// <param name="error">The exception.</param>
    public string Describe(Exception error) =>
        $"{Culprit(error)} threw {error.GetType().Name}: {error.Message.ReplaceLineEndings(" ").Trim()}";

    // The component's own type, a type nested in it (lambdas, iterators) or a base type it inherits code from.
    private static bool Owns(Type component, Type frameType)
    {
        for (var t = frameType; t is not null; t = t.DeclaringType)
        {
            for (var c = component; c is not null && c != typeof(object); c = c.BaseType)
            {
                if (c == t) return true;
            }
        }
        return false;
    }
}
