using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using DluxShera.Artifacts;
using Xunit;

namespace DluxShera.Tests;

/// <summary>meta.json and summary.json say what the run did: its time in a portable form, the workbench build, and divergence.</summary>
public class RunProvenanceTests
{
    // GD on ½(x₀² + 100x₁²) with lr 0.025: the stiff coordinate is multiplied by 1 − 2.5 = −1.5 every step, so the
    // loss grows by 2.25× per step from 50.5 and never improves on its start, while staying finite for 20 steps.
    private static readonly string[] Diverging =
    [
        "--set", "objective.name=\"quadratic\"", "--set", "objective.options={\"dimension\":2,\"condition\":100}",
        "--set", "optimizer.options.learning_rate=0.025", "--set", "optimizer.options.num_steps=20", "--set", "run.figures=false",
    ];

    [Fact]
    public void A_run_that_never_improves_and_ends_far_above_its_start_is_failed_diverged()
    {
        using var tmp = RepoPaths.Temp();
        var r = Dluxshera.Invoke(["run", RepoPaths.Example("rosenbrock-gd.json"), "--out", tmp.Path, "--plugins", RepoPaths.PluginsJson, "--set", "run.id=d", .. Diverging]);
        Assert.True(r.ExitCode == 1, r.ToString());
        var summary = RunArtifacts.LoadSummary(tmp.Combine("d"));
        Assert.Equal("failed", summary["status"]!.GetValue<string>());
        Assert.Equal("diverged", summary["stop_reason"]!.GetValue<string>());
        Assert.Equal("max_steps", summary["engine_stop_reason"]!.GetValue<string>());
        double expectedFinal = 0.5 * Math.Pow(0.975, 40) + 0.5 * 100 * Math.Pow(1.5, 40);
        Assert.Equal(expectedFinal, summary["loss_final"]!.GetValue<double>(), expectedFinal * 1e-9);
        Assert.Contains("divergence", summary["message"]!.GetValue<string>());
    }

    [Fact]
    public void The_divergence_rule_can_be_turned_off_and_spares_runs_that_improved()
    {
        using var tmp = RepoPaths.Temp();
        var off = Dluxshera.Invoke(["run", RepoPaths.Example("rosenbrock-gd.json"), "--out", tmp.Path, "--plugins", RepoPaths.PluginsJson, "--set", "run.id=off", .. Diverging, "--set", "run.divergence_ratio=null"]);
        Assert.True(off.ExitCode == 0, off.ToString());
        Assert.Equal("max_steps", RunArtifacts.LoadSummary(tmp.Combine("off"))["stop_reason"]!.GetValue<string>());
        // 1 − 0.025·100 = −1.5 but with 0.019: |1 − 1.9| = 0.9 < 1, a converging (oscillating) run stays ok.
        var fine = Dluxshera.Invoke(["run", RepoPaths.Example("rosenbrock-gd.json"), "--out", tmp.Path, "--plugins", RepoPaths.PluginsJson, "--set", "run.id=fine", .. Diverging, "--set", "optimizer.options.learning_rate=0.019"]);
        Assert.True(fine.ExitCode == 0, fine.ToString());
        var bad = Dluxshera.Invoke(["run", RepoPaths.Example("rosenbrock-gd.json"), "--out", tmp.Path, "--plugins", RepoPaths.PluginsJson, "--set", "run.id=bad", .. Diverging, "--set", "run.divergence_ratio=-1"]);
        Assert.True(bad.ExitCode == 2, bad.ToString());
        Assert.Contains("divergence_ratio", bad.Stderr);
    }

    [SkippableFact]
    public void Times_have_six_fractional_digits_and_the_build_commit_is_recorded()
    {
        using var tmp = RepoPaths.Temp();
        var r = Dluxshera.Invoke("run", RepoPaths.Example("rosenbrock-gd.json"), "--out", tmp.Path, "--plugins", RepoPaths.PluginsJson, "--set", "run.id=p",
            "--set", "optimizer.options.num_steps=3", "--set", "run.figures=false");
        Assert.True(r.ExitCode == 0, r.ToString());
        var meta = RunArtifacts.LoadMeta(tmp.Combine("p"));
        var summary = RunArtifacts.LoadSummary(tmp.Combine("p"));
        foreach (var created in new[] { meta["created_at"]!.GetValue<string>(), summary["created_at"]!.GetValue<string>() })
        {
            // The form Python 3.7–3.10 datetime.fromisoformat accepts: exactly 6 fractional digits, a numeric offset.
            Assert.Matches(new Regex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$"), created);
            var parsed = DateTimeOffset.ParseExact(created, "yyyy-MM-dd'T'HH:mm:ss.ffffffzzz", CultureInfo.InvariantCulture);
            Assert.InRange((DateTimeOffset.UtcNow - parsed).TotalMinutes, 0, 30);
        }
        string? head = Git(RepoPaths.Root, "rev-parse HEAD");
        Skip.If(head is null, "the repository is not a git work tree here (no git or no .git)");
        Assert.Equal(head, meta["environment"]!["build_commit"]!.GetValue<string>());
        Assert.Equal(Git(Path.GetDirectoryName(RepoPaths.Example("rosenbrock-gd.json"))!, "rev-parse --show-toplevel"), meta["git"]!["repository"]!.GetValue<string>());
    }

    private static string? Git(string dir, string args)
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo("git", $"-C \"{dir}\" {args}") { RedirectStandardOutput = true, RedirectStandardError = true })!;
            string o = p.StandardOutput.ReadToEnd().Trim();
            p.WaitForExit();
            return p.ExitCode == 0 && o.Length > 0 ? o : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}
