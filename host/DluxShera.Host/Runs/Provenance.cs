using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using DluxShera.Contracts;
using DluxShera.Host.Plugins;

namespace DluxShera.Host.Runs;

/// <summary>Where a run came from: git state and the runtime environment, for meta.json.</summary>
public static class Provenance
{
    /// <summary>
    /// Best-effort <c>{repository, commit, dirty}</c> of the git work tree holding <paramref name="directory"/> (the
    /// spec's repository, which need not be the workbench's: see <see cref="BuildCommit"/>); nulls when unknown.
    /// </summary>
    /// <param name="directory">A directory inside the work tree (the spec's).</param>
    public static JsonObject Git(string directory)
    {
        string? commit = RunGit(directory, "rev-parse HEAD")?.Trim();
        string? status = commit is null ? null : RunGit(directory, "status --porcelain --untracked-files=no");
        string? repository = commit is null ? null : RunGit(directory, "rev-parse --show-toplevel")?.Trim();
        return new JsonObject
        {
            ["repository"] = string.IsNullOrEmpty(repository) ? null : repository,
            ["commit"] = string.IsNullOrEmpty(commit) ? null : commit,
            ["dirty"] = status is null ? null : status.Trim().Length > 0,
        };
    }

    /// <summary>
    /// The commit the workbench itself was built from: the SDK stamps it (SourceLink's SourceRevisionId) into the
    /// host's informational version as <c>0.1.0+&lt;sha&gt;</c>; null for a build outside a git work tree.
    /// </summary>
    public static string? BuildCommit()
    {
        string? version = typeof(Provenance).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        int plus = version?.IndexOf('+') ?? -1;
        return plus < 0 ? null : version![(plus + 1)..];
    }

    /// <summary>.NET, OS, processor, backend, host and plugin versions.</summary>
    /// <param name="plugins">The loaded plugins.</param>
    /// <param name="backend">The objective's <c>backend</c> block (<c>name</c>, <c>device</c>) when it reports one; else the CPU.</param>
    public static JsonObject Environment(IEnumerable<LoadedPlugin> plugins, JsonObject? backend = null) => new()
    {
        ["dotnet"] = RuntimeInformation.FrameworkDescription,
        ["os"] = RuntimeInformation.OSDescription,
        ["architecture"] = RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant(),
        ["processors"] = System.Environment.ProcessorCount,
        ["backend"] = backend?["name"]?.GetValue<string>() ?? "cpu",
        ["backend_device"] = backend?["device"]?.GetValue<string>(),
        ["host_version"] = typeof(Provenance).Assembly.GetName().Version?.ToString(3),
        ["build_commit"] = BuildCommit(),
        ["contract_version"] = ContractVersion.Text,
        ["plugins"] = new JsonArray(plugins.Select(p => (JsonNode)new JsonObject
        {
            ["id"] = p.Plugin.Id,
            ["version"] = p.Plugin.Version,
            ["contract_version"] = p.ContractVersion,
            ["path"] = p.Entry.RelativePath,
        }).ToArray()),
    };

    private static string? RunGit(string directory, string arguments)
    {
        try
        {
            var info = new ProcessStartInfo("git", $"-C \"{directory}\" {arguments}")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            using var process = Process.Start(info);
            if (process is null) return null;
            string output = process.StandardOutput.ReadToEnd();
            if (!process.WaitForExit(5000) || process.ExitCode != 0) return null;
            return output;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null; // git is not installed: provenance stays unknown.
        }
    }
}
