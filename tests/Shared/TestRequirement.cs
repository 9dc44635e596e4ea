using Xunit;

namespace DluxShera.Tests;

/// <summary>
/// The one place a test decides to skip because something outside the repository (numpy, scipy, a
/// native library) is missing. On a developer machine the test is reported as skipped; under CI
/// (CI=true, case-insensitive, exported by .ci/run which installs everything) it fails instead, so a
/// check can never silently vanish from a green run.
/// </summary>
internal static class TestRequirement
{
    /// <summary>True when the environment says it is CI (CI=true in any letter case).</summary>
    public static bool InCi =>
        string.Equals(Environment.GetEnvironmentVariable("CI")?.Trim(), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>Skips (or under CI fails) unless <paramref name="available"/>.</summary>
    /// <param name="what">What is missing, e.g. "python3 with numpy".</param>
    /// <param name="install">How to get it, e.g. "apt-get install python3-numpy".</param>
    public static void SkipUnless(bool available, string what, string install)
    {
        if (available) return;
        if (InCi) throw new InvalidOperationException($"CI=true but {what} is missing (.ci/run installs it: {install}).");
        Skip.If(true, $"{what} is not installed ({install})");
    }

    /// <summary>
    /// Skips, also under CI, when the check does not apply to this machine's hardware (a GPU that CI
    /// machines never have, or one this machine does have). Nothing is missing that .ci/run could install.
    /// </summary>
    public static void NotApplicableHere(bool condition, string reason) => Skip.If(condition, reason);
}
