namespace DluxShera.Contracts;

/// <summary>
/// The semantic version of the DluxShera contracts. The host refuses a plugin built against another
/// major version, or against a newer minor version than the host carries.
/// </summary>
public static class ContractVersion
{
    /// <summary>Major version: bumped on any breaking change of a contract type.</summary>
    public const int Major = 1;

    /// <summary>Minor version: bumped when members or types are added compatibly.</summary>
    public const int Minor = 3;

    /// <summary>Patch version: documentation and bug fixes only.</summary>
    public const int Patch = 0;

    /// <summary>The version as <c>major.minor.patch</c>. Being a constant, it is compiled into every
    /// plugin that uses it (for example through <see cref="DluxSheraPluginAttribute"/>), so a plugin
    /// carries the version it was built against.</summary>
    public const string Text = "1.3.0";

    /// <summary>Parses <c>major.minor.patch</c> (a missing minor or patch counts as 0).</summary>
    /// <param name="text">The version text.</param>
    /// <param name="version">The parsed version.</param>
    /// <returns>True when <paramref name="text"/> is a valid version.</returns>
    public static bool TryParse(string? text, out Version version)
    {
        version = new Version(0, 0, 0);
        if (string.IsNullOrWhiteSpace(text) || !Version.TryParse(text.Contains('.') ? text : text + ".0", out var parsed))
        {
            return false;
        }
        version = new Version(parsed.Major, Math.Max(parsed.Minor, 0), Math.Max(parsed.Build, 0));
        return true;
    }

    /// <summary>
    /// True when a plugin built against <paramref name="builtAgainst"/> can run on this contract:
    /// same major version and a minor version no newer than <see cref="Minor"/>.
    /// </summary>
    /// <param name="builtAgainst">The contract version the plugin was compiled against.</param>
    public static bool IsCompatible(Version builtAgainst) =>
        builtAgainst.Major == Major && builtAgainst.Minor <= Minor;
}
