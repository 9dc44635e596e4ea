using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using DluxShera.Host.Experiments;
using Xunit;

namespace DluxShera.Tests;

/// <summary><c>experiment report</c> in a real headless browser, and <c>experiment submit --slurm</c> (dry run, and on a local Slurm).</summary>
public class ExperimentReportAndSlurmTests
{
    // Five linear least-squares fits with 1σ (pulls exist) and one objective that turns NaN (a failed row).
    private const string MixedSweep = """
        {
          "experiment": "mixed",
          "base": { "run": { "uncertainty": true }, "optimizer": { "name": "lbfgs", "options": { "num_steps": 100 } } },
          "sweep": { "grid": [ { "path": "objective", "values": [
            { "name": "noisy_linear_ls", "options": { "dimension": 2, "observations": 12, "seed": 1 } },
            { "name": "noisy_linear_ls", "options": { "dimension": 2, "observations": 12, "seed": 2 } },
            { "name": "noisy_linear_ls", "options": { "dimension": 2, "observations": 12, "seed": 3 } },
            { "name": "nan_after", "options": { "dimension": 2, "evaluations": 1 } },
            { "name": "noisy_linear_ls", "options": { "dimension": 2, "observations": 12, "seed": 4 } },
            { "name": "noisy_linear_ls", "options": { "dimension": 2, "observations": 12, "seed": 5 } } ] } ] }
        }
        """;

    private static string? Chromium() =>
        new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome" }.FirstOrDefault(File.Exists);

    [SkippableFact]
    public void The_report_is_one_self_contained_page_whose_table_filters_and_figures_render_in_a_real_browser()
    {
        string? chromium = Chromium();
        TestRequirement.SkipUnless(chromium is not null, "chromium (headless browser for the report test)", "apt-get install chromium");
        using var tmp = RepoPaths.Temp();
        string spec = tmp.Combine("mixed.json");
        File.WriteAllText(spec, MixedSweep);
        var run = Dluxshera.Invoke("experiment", "run", spec, "--out", tmp.Path, "--plugins", RepoPaths.PluginsJson);
        Assert.True(run.ExitCode == 1, run.ToString()); // the NaN point fails, the sweep goes on
        var report = Dluxshera.Invoke("experiment", "report", tmp.Combine("mixed"));
        Assert.True(report.ExitCode == 0, report.ToString());
        string page = tmp.Combine("mixed", "report.html");
        string html = File.ReadAllText(page);
        // Nothing is fetched: no external script, stylesheet, image or font (the SVG namespace URI is a name, not a fetch).
        Assert.DoesNotMatch(new Regex("<(script|link|img)[^>]+(src|href)=\"https?:"), html);
        Assert.DoesNotContain("@import", html);
        Assert.Equal(3, Directory.GetFiles(tmp.Combine("mixed", "figures"), "*.svg").Length);

        string all = DumpDom(chromium!, page, "");
        Assert.Contains("data-rows-shown=\"6\"", all);
        Assert.Contains("data-figures-drawn=\"3\"", all);
        Assert.Contains("6 of 6 runs shown", all);
        string failed = DumpDom(chromium!, page, "#status=failed");
        Assert.Contains("data-rows-shown=\"1\"", failed);
        Assert.Contains("1 of 6 runs shown", failed);
        Assert.Contains("p0003-", failed);

        // Sorted from the address: the rows follow the runs' loss_best (read from their summary.json) by value,
        // not as text (10.3 sorts after 2.3), in either direction, also together with the status filter.
        var bestLoss = Directory.GetDirectories(tmp.Combine("mixed", "runs"))
            .ToDictionary(d => Path.GetFileName(d), d => JsonNode.Parse(File.ReadAllText(Path.Combine(d, "summary.json")))!["loss_best"]!.GetValue<double>());
        Assert.Equal(bestLoss.OrderByDescending(kv => kv.Value).Select(kv => kv.Key), RunOrder(DumpDom(chromium!, page, "#sort=-loss_best")));
        Assert.Equal(bestLoss.OrderBy(kv => kv.Value).Select(kv => kv.Key), RunOrder(DumpDom(chromium!, page, "#sort=loss_best")));
        var okOnly = DumpDom(chromium!, page, "#status=ok&sort=-loss_best");
        Assert.Contains("data-rows-shown=\"5\"", okOnly);
        Assert.Equal(bestLoss.OrderByDescending(kv => kv.Value).Select(kv => kv.Key), RunOrder(okOnly));

        // A run without a summary yet (still running) has an empty loss cell: it sorts last in either direction.
        string lowest = bestLoss.MinBy(kv => kv.Value).Key;
        File.Delete(tmp.Combine("mixed", "runs", lowest, "summary.json"));
        string page2 = tmp.Combine("report-running.html");
        Assert.Equal(0, Dluxshera.Invoke("experiment", "report", tmp.Combine("mixed"), "--out", page2).ExitCode);
        var rest = bestLoss.Where(kv => kv.Key != lowest).ToList();
        Assert.Equal(rest.OrderBy(kv => kv.Value).Select(kv => kv.Key).Append(lowest), RunOrder(DumpDom(chromium!, page2, "#sort=loss_best")));
        Assert.Equal(rest.OrderByDescending(kv => kv.Value).Select(kv => kv.Key).Append(lowest), RunOrder(DumpDom(chromium!, page2, "#sort=-loss_best")));
    }

    // The run directories in the order the page's table shows them (the first cell of each body row).
    private static IEnumerable<string> RunOrder(string dom) =>
        Regex.Matches(dom, "<tr data-status=\"[a-z]+\"[^>]*><td>([^<]+)</td>").Select(m => m.Groups[1].Value);

    private static string DumpDom(string chromium, string page, string hash)
    {
        var info = new ProcessStartInfo(chromium) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--dump-dom", new Uri(page).AbsoluteUri + hash })
        {
            info.ArgumentList.Add(a);
        }
        using var p = Process.Start(info)!;
        var stderr = p.StandardError.ReadToEndAsync();
        string dom = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(120_000)) p.Kill(entireProcessTree: true);
        Assert.True(dom.Length > 0, "chromium printed no DOM: " + stderr.Result);
        return dom;
    }

    [Fact]
    public void Submit_dry_run_prints_the_sbatch_array_script_and_writes_nothing()
    {
        using var tmp = RepoPaths.Temp();
        string spec = tmp.Combine("mixed.json");
        File.WriteAllText(spec, MixedSweep);
        var r = Dluxshera.Invoke("experiment", "submit", spec, "--slurm", "--dry-run", "--out", tmp.Combine("exp"), "--array-size", "3",
            "--partition", "short", "--time", "00:10:00", "--cpus-per-task", "2", "--mem", "4G", "--plugins", RepoPaths.PluginsJson);
        Assert.True(r.ExitCode == 0, r.ToString());
        string script = r.Stdout;
        Assert.StartsWith("#!/bin/bash\n", script, StringComparison.Ordinal);
        foreach (string line in new[] { "#SBATCH --array=0-2", "#SBATCH --partition=short", "#SBATCH --time=00:10:00", "#SBATCH --cpus-per-task=2", "#SBATCH --mem=4G", "#SBATCH --signal=B:TERM@90" })
        {
            Assert.Contains(line + "\n", script);
        }
        var exec = script.Split('\n').Single(l => l.StartsWith("exec ", StringComparison.Ordinal));
        Assert.Contains($"experiment run {spec} --out {tmp.Combine("exp")} --workers 2", exec);
        Assert.False(Directory.Exists(tmp.Combine("exp")), "a dry run writes nothing");

        var badTime = Dluxshera.Invoke("experiment", "submit", spec, "--slurm", "--dry-run", "--time", "soon", "--plugins", RepoPaths.PluginsJson);
        Assert.Equal(2, badTime.ExitCode);
        Assert.Contains("--time 'soon'", badTime.Stderr);
        var noScheduler = Dluxshera.Invoke("experiment", "submit", spec, "--dry-run", "--plugins", RepoPaths.PluginsJson);
        Assert.Equal(2, noScheduler.ExitCode);
        Assert.Contains("--slurm", noScheduler.Stderr);
    }

    [SkippableFact]
    public void An_array_job_on_a_local_Slurm_runs_every_point_of_the_experiment()
    {
        // tools/slurm-local.sh needs root and the Debian packages; where it cannot start Slurm the test says why.
        Skip.IfNot(OperatingSystem.IsLinux() && Environment.UserName == "root", "starting a local Slurm needs root on Linux (tools/slurm-local.sh)");
        Skip.IfNot(File.Exists("/usr/sbin/slurmctld") && File.Exists("/usr/sbin/munged"), "slurm-wlm and munge are not installed (tools/slurm-local.sh install)");
        bool wasUp = Shell("sinfo", "-h").ExitCode == 0;
        var start = Shell("bash", Path.Combine(RepoPaths.Root, "tools", "slurm-local.sh"), "start");
        Skip.If(start.ExitCode != 0, "tools/slurm-local.sh could not start Slurm here: " + start.Stderr.Trim());
        try
        {
            using var tmp = RepoPaths.Temp();
            string spec = tmp.Combine("mixed.json");
            File.WriteAllText(spec, MixedSweep.Replace("\"mixed\"", "\"slurm\""));
            var submit = Dluxshera.Invoke("experiment", "submit", spec, "--slurm", "--out", tmp.Path, "--array-size", "3", "--plugins", RepoPaths.PluginsJson);
            Assert.True(submit.ExitCode == 0, submit.ToString());
            string job = submit.Stdout.Trim().Split('\n')[^1];
            Assert.Matches("^[0-9]+$", job);
            var clock = Stopwatch.StartNew();
            while (Shell("squeue", "-h", "-j", job).Stdout.Trim().Length > 0 && clock.Elapsed < TimeSpan.FromMinutes(4)) Thread.Sleep(500);
            string exp = tmp.Combine("slurm");
            var outs = Directory.GetFiles(Path.Combine(exp, "slurm"), $"{job}_*.out").Order(StringComparer.Ordinal).ToList();
            Assert.Equal(3, outs.Count);
            for (int i = 0; i < 3; i++) Assert.Contains($"shard {i}/3 (slurm): 2 here", File.ReadAllText(outs[i]));
            var states = StatusCommand.Points(new ExperimentLayout(exp)).Select(id => RunState.Of(Path.Combine(exp, "runs", id)).Status).ToList();
            Assert.Equal(["ok", "ok", "ok", "failed", "ok", "ok"], states);
        }
        finally
        {
            if (!wasUp) Shell("bash", Path.Combine(RepoPaths.Root, "tools", "slurm-local.sh"), "stop");
        }
    }

    private static Dluxshera.Result Shell(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args) info.ArgumentList.Add(a);
        try
        {
            using var p = Process.Start(info)!;
            var stderr = p.StandardError.ReadToEndAsync();
            string stdout = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            return new Dluxshera.Result(p.ExitCode, stdout, stderr.Result);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return new Dluxshera.Result(127, "", e.Message);
        }
    }
}
