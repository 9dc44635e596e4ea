using System.Globalization;
using System.Text.RegularExpressions;
using Xunit;

namespace DluxShera.Tests;

/// <summary>
/// The progress a user sees on stderr during <c>dluxshera run</c>: which steps get a line, and that each
/// line's loss and gradient norm are the run's, checked against GD on f(x) = ½x² in closed form.
/// </summary>
public sealed partial class ConsoleProgressTests
{
    [GeneratedRegex(@"^step (\d+)/(\d+)  loss (\S+)  \|g\| (\S+)  \S+ steps/s  ETA (\S+)$")]
    private static partial Regex ProgressLine();

    private static string Spec(TempDirectory tmp, string run)
    {
        string path = tmp.Combine("gd.json");
        File.WriteAllText(path, $$"""
            {
              "run": { "id": "progress"{{run}} },
              "objective": { "name": "quadratic", "options": { "dimension": 1, "start": 2.0 } },
              "optimizer": { "name": "gd", "options": { "num_steps": 8, "learning_rate": 0.25 } }
            }
            """);
        return path;
    }

    [Fact]
    public void Run_writes_one_line_every_progress_every_steps_with_the_steps_loss_and_gradient_norm()
    {
        using var tmp = RepoPaths.Temp();
        var r = Dluxshera.Invoke("run", Spec(tmp, ", \"progress_every\": 2"), "--out", tmp.Path, "--plugins", RepoPaths.PluginsJson);
        Assert.True(r.ExitCode == 0, r.ToString());
        var lines = r.Stderr.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.StartsWith("step ", StringComparison.Ordinal)).ToList();
        Assert.Equal(["0", "2", "4", "6", "8"], lines.Select(l => ProgressLine().Match(l).Groups[1].Value));
        foreach (string line in lines)
        {
            var m = ProgressLine().Match(line);
            Assert.True(m.Success, line);
            int k = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            Assert.Equal("8", m.Groups[2].Value);
            // x_k = 2·(1 − 0.25)^k, loss = x_k²/2, |g| = |x_k|; printed to 7 and 4 significant digits.
            double x = 2.0 * Math.Pow(0.75, k);
            Assert.Equal(0.5 * x * x, double.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture), 0.5 * x * x * 1e-6);
            Assert.Equal(x, double.Parse(m.Groups[4].Value, CultureInfo.InvariantCulture), x * 1e-3);
        }
        Assert.Equal("00:00:00", ProgressLine().Match(lines[^1]).Groups[5].Value);
    }

    [Fact]
    public void Progress_every_zero_gives_about_twenty_lines_and_quiet_gives_none()
    {
        using var tmp = RepoPaths.Temp();
        string spec = Spec(tmp, "");
        var r = Dluxshera.Invoke("run", spec, "--out", tmp.Path, "--plugins", RepoPaths.PluginsJson, "--set", "optimizer.options.num_steps=100");
        Assert.True(r.ExitCode == 0, r.ToString());
        var steps = r.Stderr.Split('\n').Select(l => ProgressLine().Match(l.TrimEnd('\r'))).Where(m => m.Success).Select(m => m.Groups[1].Value).ToList();
        // 100 steps / 20 = a line every 5 steps, from step 0 to the last.
        Assert.Equal(Enumerable.Range(0, 21).Select(i => (5 * i).ToString(CultureInfo.InvariantCulture)), steps);

        var quiet = Dluxshera.Invoke("run", spec, "--quiet", "--out", tmp.Path, "--plugins", RepoPaths.PluginsJson, "--set", "run.id=quiet");
        Assert.True(quiet.ExitCode == 0, quiet.ToString());
        Assert.DoesNotContain("step ", quiet.Stderr);
    }
}
