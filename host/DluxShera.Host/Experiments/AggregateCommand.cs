namespace DluxShera.Host.Experiments;

/// <summary><c>dluxshera experiment aggregate &lt;dir&gt; [--meta key,key]</c>.</summary>
public static class AggregateCommand
{
    /// <summary>Writes <c>table.csv</c> and <c>table.parquet</c> into the experiment directory.</summary>
    /// <param name="experimentDirectory">The experiment directory.</param>
    /// <param name="metaKeys">Comma-separated dotted meta keys, or null.</param>
    /// <param name="o">Output.</param>
    public static int Execute(string experimentDirectory, string? metaKeys, TextWriter o)
    {
        var keys = (metaKeys ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var table = ExperimentTable.Build(experimentDirectory, keys);
        string csv = Path.Combine(experimentDirectory, "table.csv");
        string parquet = Path.Combine(experimentDirectory, "table.parquet");
        table.WriteCsv(csv);
        table.WriteParquet(parquet);
        o.WriteLine($"{table.RowCount} runs, {table.Columns.Count} columns");
        o.WriteLine(csv);
        o.WriteLine(parquet);
        // The ensemble answer (pulls, errors, time series) beside the table, from the ok runs' summaries.
        var layout = new ExperimentLayout(experimentDirectory);
        foreach (string file in Ensemble.Write(layout, ExperimentKind(layout))) o.WriteLine(file);
        return ExitCodes.Ok;
    }

    private static string ExperimentKind(ExperimentLayout layout)
    {
        try
        {
            return File.Exists(layout.Manifest) && System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(layout.Manifest))?["kind"]?.GetValue<string>() is { } kind ? kind : "sweep";
        }
        catch (System.Text.Json.JsonException)
        {
            return "sweep";
        }
    }
}
