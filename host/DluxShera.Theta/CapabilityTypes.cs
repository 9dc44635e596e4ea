using System.Collections.Concurrent;
using System.Reflection;
using System.Reflection.Emit;
using DluxShera.Contracts;

namespace DluxShera.Theta;

/// <summary>
/// Engines discover optional capabilities by type test (<c>objective is IResidualObjective</c>), so the composed
/// objective must implement exactly the capabilities of the objective it wraps. This builds, once per capability
/// set, an empty subclass of <see cref="ThetaMappedObjective"/> that declares those interfaces; the runtime binds
/// them to the inherited public virtual members by name and signature (ECMA-335 II.12.2).
/// </summary>
internal static class CapabilityTypes
{
    private static readonly Type[] Optional =
    [
        typeof(IResidualObjective), typeof(IHessianVectorObjective), typeof(IPerObservationObjective), typeof(IBatchedObjective),
        typeof(IImageObjective), typeof(ISimulatingObjective), typeof(ITruthProvider), typeof(IExtraLossTerms),
    ];

    private static readonly ConcurrentDictionary<string, Type> Types = new();
    private static readonly Lazy<ModuleBuilder> Module = new(() =>
        AssemblyBuilder.DefineDynamicAssembly(new AssemblyName("DluxShera.Theta.Capabilities"), AssemblyBuilderAccess.Run)
            .DefineDynamicModule("DluxShera.Theta.Capabilities"));

    public static ThetaMappedObjective Instantiate(IObjective inner, IDifferentiableThetaMap map)
    {
        var capabilities = Optional.Where(t => t.IsInstanceOfType(inner)).ToArray();
        if (capabilities.Length == 0) return new ThetaMappedObjective(inner, map);
        string key = string.Join("+", capabilities.Select(t => t.Name));
        var type = Types.GetOrAdd(key, _ => Build(key, capabilities));
        return (ThetaMappedObjective)Activator.CreateInstance(type, inner, map)!;
    }

    private static Type Build(string key, Type[] capabilities)
    {
        lock (Module)
        {
            var builder = Module.Value.DefineType($"DluxShera.Theta.Capabilities.Mapped_{key.Replace('+', '_')}",
                TypeAttributes.Public | TypeAttributes.Sealed | TypeAttributes.Class, typeof(ThetaMappedObjective), capabilities);
            var parameters = new[] { typeof(IObjective), typeof(IDifferentiableThetaMap) };
            var ctor = builder.DefineConstructor(MethodAttributes.Public, CallingConventions.Standard, parameters);
            var il = ctor.GetILGenerator();
            il.Emit(OpCodes.Ldarg_0);
            il.Emit(OpCodes.Ldarg_1);
            il.Emit(OpCodes.Ldarg_2);
            il.Emit(OpCodes.Call, typeof(ThetaMappedObjective).GetConstructor(parameters)!);
            il.Emit(OpCodes.Ret);
            return builder.CreateType();
        }
    }
}
