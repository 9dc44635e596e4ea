using System.Diagnostics;
using DluxShera.Artifacts;
using Xunit;

namespace DluxShera.Tests;

/// <summary>
/// The two ways to start a plugin on the engine toolkit, built as a third party would (outside the solution,
/// against the built contracts and SDK dlls) in one build, then run through the host with <c>--plugin</c>:
/// the <c>dotnet new dluxshera-plugin</c> template (a Lion engine) and the AdaBelief sample.
/// </summary>
public class PluginAuthoringTests
{
    [Fact]
    public void The_template_and_the_adabelief_sample_build_on_the_toolkit_and_run_through_the_host()
    {
        using var tmp = RepoPaths.Temp();
        string hive = tmp.Combine("template-hive");
        var install = Process(tmp.Path, "dotnet", "new", "install", Path.Combine(RepoPaths.Root, "templates", "dluxshera-plugin"), "--debug:custom-hive", hive);
        Assert.True(install.ExitCode == 0, install.ToString());
        var create = Process(tmp.Path, "dotnet", "new", "dluxshera-plugin", "-n", "MyLion", "-o", tmp.Combine("MyLion"), "--debug:custom-hive", hive);
        Assert.True(create.ExitCode == 0, create.ToString());

        string sample = tmp.Combine("AdaBelief");
        Directory.CreateDirectory(sample);
        foreach (string f in Directory.GetFiles(RepoPaths.Example("adabelief-plugin")).Where(f => !f.EndsWith(".md")))
        {
            File.Copy(f, Path.Combine(sample, Path.GetFileName(f)));
        }

        // One build of both (a throwaway solution): third-party projects referencing built dlls only.
        Assert.Equal(0, Process(tmp.Path, "dotnet", "new", "sln", "-n", "authoring", "--debug:custom-hive", hive).ExitCode);
        string solution = Directory.GetFiles(tmp.Path, "authoring.sln*").Single();
        Assert.Equal(0, Process(tmp.Path, "dotnet", "sln", solution, "add", tmp.Combine("MyLion", "MyLion.csproj"), Path.Combine(sample, "AdaBelief.csproj")).ExitCode);
        string contracts = typeof(DluxShera.Contracts.IDluxSheraPlugin).Assembly.Location;
        string sdk = Path.Combine(RepoPaths.Root, "build", "plugins", "DluxShera.Optimizers", "DluxShera.Sdk.dll");
        var build = Process(tmp.Path, "dotnet", "build", solution, "-nologo", "-v", "q", $"-p:DluxSheraContracts={contracts}", $"-p:DluxSheraSdk={sdk}");
        Assert.True(build.ExitCode == 0, build.ToString());

        string lion = tmp.Combine("MyLion", "bin", "plugin", "MyLion.dll");
        string adabelief = Path.Combine(sample, "bin", "plugin", "AdaBelief.dll");
        Assert.True(File.Exists(Path.Combine(Path.GetDirectoryName(lion)!, "DluxShera.Sdk.dll")), "each plugin carries its own toolkit copy");
        Assert.False(File.Exists(Path.Combine(Path.GetDirectoryName(lion)!, "DluxShera.Contracts.dll")), "the contracts must come from the host");
        Assert.False(File.Exists(Path.Combine(Path.GetDirectoryName(adabelief)!, "DluxShera.Contracts.dll")), "the contracts must come from the host");

        string plugins = Dluxshera.PluginsFile(tmp.Path);
        string host = typeof(DluxShera.Host.Workbench).Assembly.Location;
        foreach (var (spec, dll, name) in new[] { (tmp.Combine("MyLion", "run.json"), lion, "mylion"), (Path.Combine(sample, "run.json"), adabelief, "adabelief") })
        {
            var run = Process(tmp.Path, "dotnet", host, "run", spec, "--plugins", plugins, "--plugin", dll, "--out", tmp.Combine("runs"), "--set", $"run.id={name}", "--quiet");
            Assert.True(run.ExitCode == 0, run.ToString());
            string runDir = tmp.Combine("runs", name);
            var summary = RunArtifacts.LoadSummary(runDir);
            Assert.Equal("ok", summary["status"]!.GetValue<string>());
            Assert.Equal(name, RunArtifacts.LoadMeta(runDir)["optimizer"]!["name"]!.GetValue<string>());
            Assert.True(summary["loss_best"]!.GetValue<double>() < 1e-3 * summary["loss_init"]!.GetValue<double>(), summary.ToJsonString());
            // Both engines' first update is lr·sign(g) elementwise (Lion: sign((1 − b1) g); AdaBelief: m̂/√ŝ = g/|g| at t = 0),
            // so the first step's norm is lr·√D with lr = 0.05, D = 10: an analytic value no engine code produced.
            var trace = RunArtifacts.LoadTrace(runDir);
            Assert.Equal(0.05 * Math.Sqrt(10), trace.Channels["step_norm"][1], 1e-9);
        }
    }

    private static Dluxshera.Result Process(string workingDirectory, string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = workingDirectory };
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment["DOTNET_NOLOGO"] = "1";
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        using var p = System.Diagnostics.Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        string stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return new Dluxshera.Result(p.ExitCode, stdout.Result, stderr);
    }
}
