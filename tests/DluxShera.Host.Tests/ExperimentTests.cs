using System.Text.Json.Nodes;
using Parquet;
using Parquet.Schema;
using Xunit;

namespace DluxShera.Tests;

public class ExperimentTests
{
    [Fact]
    public async Task Aggregate_writes_one_row_per_run_including_failed_and_unreadable_runs()
    {
        using var tmp = RepoPaths.Temp();
        foreach (string lr in new[] { "0.01", "0.05" })
        {
            var r = Dluxshera.Invoke("run", RepoPaths.Example("rosenbrock-adam.json"), "--quiet", "--out", tmp.Path, "--plugins", RepoPaths.PluginsJson,
                "--set", "run.experiment=sweep", "--set", $"run.id=lr{lr}", "--set", $"optimizer.options.learning_rate={lr}",
                "--set", "run.experiment_settings={\"sweep\":\"learning_rate\"}");
            Assert.True(r.ExitCode == 0, r.ToString());
        }
        var failed = Dluxshera.Invoke("run", RepoPaths.Example("rosenbrock-adam.json"), "--quiet", "--out", tmp.Path, "--plugins", RepoPaths.PluginsJson,
            "--set", "run.experiment=sweep", "--set", "run.id=nan", "--set", "objective.name=nan_after", "--set", "objective.options={}");
        Assert.Equal(1, failed.ExitCode);
        Directory.CreateDirectory(tmp.Combine("sweep", "runs", "zz-empty"));

        string exp = tmp.Combine("sweep");
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(exp, "manifest.json")))!;
        Assert.Equal("sweep", manifest["name"]!.GetValue<string>());
        Assert.Equal("learning_rate", manifest["settings"]!["sweep"]!.GetValue<string>());

        var agg = Dluxshera.Invoke("experiment", "aggregate", exp, "--meta", "optimizer.options.learning_rate,objective.name");
        Assert.True(agg.ExitCode == 0, agg.ToString());
        var lines = File.ReadAllLines(Path.Combine(exp, "table.csv"));
        Assert.Equal(5, lines.Length);
        var header = lines[0].Split(',');
        Assert.Contains("meta.optimizer.options.learning_rate", header);
        Assert.Contains("loss_best", header);
        int status = Array.IndexOf(header, "status");
        Assert.Equal(["ok", "ok", "failed", "unreadable"], lines[1..].Select(l => SplitCsv(l)[status]));

        await using var stream = File.OpenRead(Path.Combine(exp, "table.parquet"));
        await using var reader = await ParquetReader.CreateAsync(stream);
        var fields = reader.Schema.GetDataFields();
        var lrField = fields.Single(f => f.Name == "meta.optimizer.options.learning_rate");
        var statusField = fields.Single(f => f.Name == "status");
        using var group = reader.OpenRowGroupReader(0);
        Assert.Equal(4, group.RowCount);
        var lrs = new double?[4];
        await group.ReadAsync<double>(lrField, lrs.AsMemory());
        Assert.Equal(new double?[] { 0.01, 0.05, 0.02, null }, lrs);
        var statuses = new string?[4];
        await group.ReadAsync(statusField, statuses.AsMemory());
        Assert.Equal(new string?[] { "ok", "ok", "failed", "unreadable" }, statuses);
    }

    private static string[] SplitCsv(string line)
    {
        var cells = new List<string>();
        var cell = new System.Text.StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"') { cell.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else cell.Append(c);
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { cells.Add(cell.ToString()); cell.Clear(); }
            else cell.Append(c);
        }
        cells.Add(cell.ToString());
        return cells.ToArray();
    }
}
