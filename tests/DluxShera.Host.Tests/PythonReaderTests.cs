using System.Text.Json.Nodes;
using DluxShera.Artifacts;
using DluxShera.Contracts;
using Xunit;

namespace DluxShera.Tests;

/// <summary>
/// The Python reader (contracts/python, <c>dluxshera_runs</c>) against runs this host wrote: a finished run, the
/// on-disk state of a killed run and an experiment; then a run written by its <c>save_run</c> read back by
/// <c>dluxshera inspect</c> and the .NET reader. Skipped without numpy, a failure under CI=true.
/// </summary>
public class PythonReaderTests
{
    private const int KilledRows = 25;

    // Whole rows a killed writer left in every channel after the headers' last rewrite: readers must count them.
    private const int UnheaderedRows = 3;

    [SkippableFact]
    public void Python_reader_tests_pass_on_host_runs_and_the_host_reads_save_run()
    {
        PythonNumpy.RequireOrSkip();
        using var tmp = RepoPaths.Temp();
        string runs = tmp.Combine("runs");
        Run(runs, "complete", "--set", "optimizer.options.num_steps=300", "--set", "run.diagnostics_every=50");
        foreach (string lr in new[] { "0.02", "0.01" })
        {
            Run(runs, $"lr{lr}", "--set", "optimizer.options.num_steps=20", "--set", "run.figures=false",
                "--set", "run.experiment=experiment", "--set", $"optimizer.options.learning_rate={lr}");
        }
        WriteKilledRun(runs);
        var sampled = Dluxshera.Invoke("run", RepoPaths.Example("nuts-gaussian.json"), "--quiet", "--out", runs, "--plugins", RepoPaths.PluginsJson,
            "--set", "run.id=sampled", "--set", "run.figures=false", "--set", "objective.options.dimension=3",
            "--set", "sampler.options.num_chains=2", "--set", "sampler.options.num_warmup=200", "--set", "sampler.options.num_samples=300");
        Assert.True(sampled.ExitCode == 0, sampled.ToString());
        // The host's own reader recovers the killed run from the channels' data too.
        Assert.Equal(KilledRows + UnheaderedRows, RunArtifacts.LoadTrace(Path.Combine(runs, "killed")).Steps);

        string python = Path.Combine(RepoPaths.Root, "contracts", "python");
        string output = tmp.Combine("out");
        var (exit, text) = PythonNumpy.RunWith(
            ["-m", "unittest", "discover", "-v", "-s", Path.Combine(python, "tests")],
            new Dictionary<string, string>
            {
                ["PYTHONPATH"] = Path.Combine(python, "src"),
                ["PYTHONDONTWRITEBYTECODE"] = "1",
                ["DLUXSHERA_TEST_RUNS"] = runs,
                ["DLUXSHERA_TEST_OUT"] = output,
                ["DLUXSHERA_TEST_KILLED_ROWS"] = (KilledRows + UnheaderedRows).ToString(System.Globalization.CultureInfo.InvariantCulture),
            },
            tmp.Path);
        Assert.True(exit == 0, text);
        Assert.DoesNotContain("skipped 'set DLUXSHERA_TEST_RUNS", text);

        string saved = Path.Combine(output, "saved");
        var inspect = Dluxshera.Invoke("inspect", saved);
        Assert.True(inspect.ExitCode == 0, inspect.ToString());
        Assert.Contains("bc", inspect.Stdout);
        Assert.Contains("11 trace rows × D = 3", inspect.Stdout);
        var trace = RunArtifacts.LoadTrace(saved);
        for (int t = 0; t < trace.Steps; t++) Assert.Equal([t, 2.0 * t, 3.0 * t], trace.ThetaAt(t).ToArray());
        Assert.True(double.IsNaN(trace.Loss[3]));
        Assert.Equal(new Checkpoint([7, 14, 21], 7, 0).Theta, RunArtifacts.LoadCheckpoint(saved, "best")!.Theta);
        var signals = new FilesystemRunReader(saved).LoadArrays(RunLayout.Signals)!;
        Assert.Equal(11, signals["a_error_m"].Shape[0]);
    }

    private static void Run(string runs, string id, params string[] sets)
    {
        var r = Dluxshera.Invoke(["run", RepoPaths.Example("rosenbrock-adam.json"), "--quiet", "--out", runs, "--plugins", RepoPaths.PluginsJson,
            "--set", $"run.id={id}", .. sets]);
        Assert.True(r.ExitCode == 0, r.ToString());
    }

    /// <summary>
    /// What a SIGKILL leaves: the writer streamed θ_t = (t, −t), loss t² and flushed; the copy taken then is the run
    /// directory a killed process leaves, plus <see cref="UnheaderedRows"/> whole rows in every channel whose header
    /// rewrite never came, a torn half row of θ and one more loss row.
    /// </summary>
    private static void WriteKilledRun(string runs)
    {
        string live = Path.Combine(runs, ".live");
        using (var writer = new FilesystemArtifactStore().CreateRun(new RunCreateRequest { OutputRoot = live, RunId = "killed", Dimension = 2 }))
        {
            writer.WriteMeta(new JsonObject
            {
                ["theta"] = new JsonObject
                {
                    ["dim"] = 2,
                    ["theta_space"] = "primitive",
                    ["index_map"] = new JsonObject { ["entries"] = new JsonArray(new JsonObject { ["name"] = "x", ["start"] = 0, ["stop"] = 2, ["shape"] = new JsonArray(2) }) },
                },
            });
            for (int t = 0; t < KilledRows; t++) writer.Append(new TraceRow(t, (double)t * t, [t, -t], 0, 0, 0, true));
            ((FilesystemRunWriter)writer).Flush();
            string killed = Path.Combine(runs, "killed");
            CopyDirectory(writer.RunDirectory, killed);
            for (int t = KilledRows; t < KilledRows + UnheaderedRows; t++)
            {
                AppendBytes(killed, "loss", BitConverter.GetBytes((double)t * t));
                AppendBytes(killed, "theta", [.. BitConverter.GetBytes((double)t), .. BitConverter.GetBytes((double)-t)]);
                foreach (string channel in new[] { "grad_norm", "step_norm", "base_lr" }) AppendBytes(killed, channel, BitConverter.GetBytes(0.0));
                AppendBytes(killed, "accepted", [1]);
            }
            using (var theta = new FileStream(Path.Combine(killed, RunLayout.PartialTraceDirectory, "theta.npy"), FileMode.Append))
            {
                theta.Write(new byte[8]);
            }
            using (var loss = new FileStream(Path.Combine(killed, RunLayout.PartialTraceDirectory, "loss.npy"), FileMode.Append))
            {
                loss.Write(BitConverter.GetBytes(625.0));
            }
        }
        Directory.Delete(live, recursive: true);
    }

    private static void AppendBytes(string runDirectory, string channel, byte[] bytes)
    {
        using var stream = new FileStream(Path.Combine(runDirectory, RunLayout.PartialTraceDirectory, channel + ".npy"), FileMode.Append);
        stream.Write(bytes);
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (string file in Directory.GetFiles(from))
        {
            string target = Path.Combine(to, Path.GetFileName(file));
            // The live writer holds its liveness lock exclusively; a killed process leaves the file behind, unheld.
            if (Path.GetFileName(file) == RunLiveness.LockFile) File.WriteAllBytes(target, []);
            else File.Copy(file, target);
        }
        foreach (string dir in Directory.GetDirectories(from)) CopyDirectory(dir, Path.Combine(to, Path.GetFileName(dir)));
    }
}
