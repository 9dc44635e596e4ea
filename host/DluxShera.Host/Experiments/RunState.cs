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
