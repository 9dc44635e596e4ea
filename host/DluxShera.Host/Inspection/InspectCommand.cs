using System.Globalization;
using System.Text.Json.Nodes;
using DluxShera.Artifacts;
using DluxShera.Contracts;

namespace DluxShera.Host.Inspection;

/// <summary><c>dluxshera inspect &lt;run_dir&gt;</c>: a run at a glance, reading and checking every artifact.</summary>
public static class InspectCommand
{
    private static readonly string[] KnownArtifacts =
    [
        RunLayout.Trace, RunLayout.Meta, RunLayout.Summary, RunLayout.CheckpointBest, RunLayout.CheckpointFinal,
        RunLayout.Signals, RunLayout.DiagSteps, RunLayout.Grads, RunLayout.Precond, RunLayout.Curvature, RunLayout.Images, RunLayout.Fisher, RunLayout.Samples,
    ];

    /// <summary>Prints the run; throws <see cref="ArtifactException"/> (exit 2) for a missing or corrupt artifact.</summary>
    /// <param name="runDirectory">The run directory.</param>
    /// <param name="o">Output.</param>
    public static int Execute(string runDirectory, TextWriter o)
    {
        var reader = new FilesystemRunReader(runDirectory);
        var meta = reader.LoadMeta();
        var summary = reader.LoadSummary();
        // Headers only: a trace of any size is described without loading it.
        var (traceRows, traceDimension, _) = reader.TraceShape();
        // Stream every present npz through (never held: grads.npz or signals.npz of a long run can be large) so
        // corruption anywhere is reported, not only in the trace.
        foreach (string file in KnownArtifacts.Where(f => f.EndsWith(".npz", StringComparison.Ordinal) && f != RunLayout.Trace))
        {
            string path = Path.Combine(reader.RunDirectory, file);
            if (File.Exists(path)) Numpy.NpzFile.ReadHeaders(path, verifyData: true);
        }

        string S(JsonNode? n) => n is null ? "null" : n.GetValueKind() == System.Text.Json.JsonValueKind.String ? n.GetValue<string>() : n.ToJsonString();
        o.WriteLine($"run          {S(meta["run_id"])}  ({reader.RunDirectory})");
        o.WriteLine($"created      {S(meta["created_at"])}   git {S(meta["git"]?["commit"])}{(meta["git"]?["dirty"]?.GetValue<bool>() == true ? " (dirty)" : "")}");
        o.WriteLine($"objective    {S(meta["objective"]?["component"] ?? meta["objective"]?["name"])}");
        o.WriteLine($"optimizer    {S(meta["optimizer"]?["name"])}  num_steps {S(meta["optimizer"]?["num_steps"])}  base_lr {S(meta["optimizer"]?["base_lr"])}");
        o.WriteLine($"status       {S(summary["status"])} ({S(summary["stop_reason"])}){(summary["message"] is { } m && S(m).Length > 0 ? ": " + S(m) : "")}");
        o.WriteLine($"steps        {S(summary["num_steps_completed"])} completed, {traceRows} trace rows × D = {traceDimension}");
        o.WriteLine($"loss         init {S(summary["loss_init"])}  final {S(summary["loss_final"])}  best {S(summary["loss_best"])} at step {S(summary["best_step"])}");
        o.WriteLine($"runtime      {S(summary["runtime_total_s"])} s");
        o.WriteLine();
        o.WriteLine($"theta ({S(meta["theta"]?["theta_space"])}), layout_hash {S(meta["theta"]?["index_map"]?["layout_hash"])}");
        var best = reader.LoadCheckpoint("best");
        var rows = new List<string[]> { new[] { "name", "slice", "shape", "block", "best value" } };
        foreach (var e in meta["theta"]?["index_map"]?["entries"]?.AsArray() ?? [])
        {
            int start = e!["start"]!.GetValue<int>(), stop = e["stop"]!.GetValue<int>();
            string value = best is null ? "" : stop - start == 1
                ? best.Theta[start].ToString("G10", CultureInfo.InvariantCulture)
                : $"[{string.Join(", ", best.Theta[start..Math.Min(stop, start + 4)].Select(x => x.ToString("G6", CultureInfo.InvariantCulture)))}{(stop - start > 4 ? ", …" : "")}]";
            rows.Add([S(e["name"]), $"[{start}:{stop})", NdArray.FormatShape(e["shape"]!.AsArray().Select(s => s!.GetValue<int>()).ToArray()), S(e["block"]), value]);
        }
        WriteTable(o, rows);
        o.WriteLine();
        o.WriteLine("artifacts");
        foreach (string file in KnownArtifacts)
        {
            string path = Path.Combine(reader.RunDirectory, file);
            if (File.Exists(path)) o.WriteLine($"  {file,-22} {new FileInfo(path).Length,12:N0} bytes");
        }
        if (Directory.Exists(Path.Combine(reader.RunDirectory, RunLayout.PartialTraceDirectory)))
        {
            o.WriteLine($"  {RunLayout.PartialTraceDirectory + "/",-22} (rows streamed by a run that did not finish)");
        }
        if (Directory.Exists(Path.Combine(reader.RunDirectory, RunLayout.Figures)))
        {
            o.WriteLine($"  {RunLayout.Figures + "/",-22} {Directory.GetFiles(Path.Combine(reader.RunDirectory, RunLayout.Figures)).Length} files");
        }
        return ExitCodes.Ok;
    }

    private static void WriteTable(TextWriter o, List<string[]> rows)
    {
        var widths = Enumerable.Range(0, rows[0].Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
        foreach (var r in rows)
        {
            o.WriteLine("  " + string.Join("  ", r.Select((cell, c) => cell.PadRight(widths[c]))).TrimEnd());
        }
    }
}
