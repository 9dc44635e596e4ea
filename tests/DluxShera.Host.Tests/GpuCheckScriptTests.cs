using System.Diagnostics;
using Xunit;

namespace DluxShera.Tests;

/// <summary>tools/gpu-check.sh end to end on ILGPU's CPU accelerator (test size, B = 1): the equivalence check and the
/// benchmark table, with the dluxshera these tests were built with (the archive step needs a publish and is left to the GPU run).</summary>
public sealed class GpuCheckScriptTests
{
    [SkippableFact]
    public async Task Gpu_check_script_passes_end_to_end_on_the_cpu_accelerator()
    {
        Skip.If(OperatingSystem.IsWindows(), "tools/gpu-check.sh is a bash script for the Linux GPU machines");
        using var temp = RepoPaths.Temp();
        // The host as an executable: the tests reference its dll; a two-line wrapper runs it with this dotnet.
        string dll = Path.Combine(AppContext.BaseDirectory, "dluxshera.dll");
        string dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        string wrapper = Path.Combine(temp.Path, "dluxshera");
        File.WriteAllText(wrapper, $"#!/bin/sh\nexec \"{dotnet}\" \"{dll}\" \"$@\"\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(wrapper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var info = new ProcessStartInfo("bash") { WorkingDirectory = RepoPaths.Root, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in new[] { Path.Combine(RepoPaths.Root, "tools", "gpu-check.sh"), "--dluxshera", wrapper, "--accelerator", "cpu", "--size", "test" }) info.ArgumentList.Add(a);
        using var p = Process.Start(info)!;
        var stderr = p.StandardError.ReadToEndAsync();
        string stdout = await p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        string all = stdout + await stderr;
        Assert.True(p.ExitCode == 0, all);
        Assert.Contains("equivalence: ok", stdout);
        Assert.Contains("| testbed-2p-test | ilgpu-cpu (", stdout); // a batched row of the benchmark on the emulator
        Assert.Contains("gpu-check: done", stdout);
    }
}
