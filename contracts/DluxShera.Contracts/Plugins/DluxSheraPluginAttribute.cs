namespace DluxShera.Contracts;

/// <summary>
/// Marks an assembly as a DluxShera plugin and names its entry type. The host reads this attribute
/// to find the entry point without scanning every type.
/// </summary>
/// <remarks>
/// Leave <see cref="ContractVersion"/> at its default: the default value is the
/// <see cref="Contracts.ContractVersion.Text"/> constant of the contracts you compile against, baked
/// into your assembly by the compiler, which is how the host learns which contract you were built for.
/// </remarks>
/// <param name="entryType">A public type with a public parameterless constructor implementing <see cref="IDluxSheraPlugin"/>.</param>
/// <param name="contractVersion">The contract version the plugin was compiled against (leave the default).</param>
[AttributeUsage(AttributeTargets.Assembly, AllowMultiple = false)]
public sealed class DluxSheraPluginAttribute(Type entryType, string contractVersion = ContractVersion.Text) : Attribute
{
    /// <summary>The plugin's entry type.</summary>
    public Type EntryType { get; } = entryType;

    /// <summary>The contract version the plugin was compiled against.</summary>
    public string ContractVersion { get; } = contractVersion;
}
