using System.Text.Json.Nodes;
using DluxShera.Artifacts;
using DluxShera.Contracts;

namespace DluxShera.Host.Experiments;

/// <summary>A run directory's state as experiments see it.</summary>
/// <param name="Status"><c>ok</c>, <c>failed</c>, <c>running</c>, <c>pending</c> (no run directory yet) or <c>unreadable</c>.</param>
/// <param name="Message">Why, for failed/unreadable/running.</param>
/// <param name="Summary">summary.json when it could be read.</param>
/// <param name="Resumable">Not finished by its own doing: its process ended mid-run, it was cancelled (SIGINT/SIGTERM),
/// or its directory cannot be read. <c>experiment run</c> reruns these without <c>--retry-failed</c>.</param>
public sealed record RunState(string Status, string? Message, JsonObject? Summary, bool Resumable)
{
    /// <summary>The state of a planned point: its run directory's, or, when a point never got one (its spec was refused
    /// when it ran: a component's options, a missing file), <c>failed</c> with the error its log recorded.</summary>
    /// <param name="layout">The experiment.</param>
    /// <param name="runId">The point's run id.</param>
    public static RunState OfPoint(ExperimentLayout layout, string runId)
    {
        var state = Of(layout.RunDirectory(runId));
        if (state.Status != "pending" || !File.Exists(layout.LogFile(runId))) return state;
        var lines = File.ReadAllLines(layout.LogFile(runId));
        if (lines.Length == 0 || lines[^1] == "exit 0") return state;
        string error = lines.LastOrDefault(l => l.StartsWith("dluxshera: error: ", StringComparison.Ordinal))?["dluxshera: error: ".Length..]
            ?? $"no run directory; see {layout.LogFile(runId)}";
        return new RunState("failed", error, null, false);
    }

    /// <summary>Reads summary.json and asks <see cref="RunLiveness"/> whether a live process still writes the run:
    /// a run whose summary is not final and whose writer is alive is <c>running</c>, not <c>failed</c>.</summary>
    /// <param name="runDirectory">The run directory.</param>
    public static RunState Of(string runDirectory)
    {
        if (!Directory.Exists(runDirectory)) return new RunState("pending", null, null, false);
        var live = RunLiveness.Probe(runDirectory);
        JsonObject summary;
        try
        {
            summary = new FilesystemRunReader(runDirectory).LoadSummary();
        }
        catch (ArtifactException e)
        {
            // A directory just created by a live writer has no summary.json for a moment.
            return live == RunProcessState.Live
                ? new RunState("running", "a live process is writing it", null, false)
                : new RunState("unreadable", e.Message, null, true);
        }
        string status = summary["status"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : "unreadable";
        if (status == "ok") return new RunState("ok", null, summary, false);
        if (live == RunProcessState.Live) return new RunState("running", "a live process is writing it", summary, false);
        string? message = summary["message"] is JsonValue m && m.TryGetValue<string>(out var msg) ? msg : null;
        bool cancelled = summary["stop_reason"] is JsonValue r && r.TryGetValue<string>(out var reason) && reason == StopReasons.Cancelled;
        return new RunState(status, message, summary, live == RunProcessState.Ended || cancelled || status == "unreadable");
    }
}
