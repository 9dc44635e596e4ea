namespace DluxShera.Host.Experiments;

/// <summary>
/// The experiment directory: <c>manifest.json</c>, <c>runs/&lt;run_id&gt;/</c> (run directories),
/// <c>specs/&lt;run_id&gt;.json</c> (each point's effective run spec: <c>dluxshera run</c> reruns one by hand),
/// <c>logs/&lt;run_id&gt;.log</c> (each point's console output and exit code), and what <c>aggregate</c> writes.
/// </summary>
/// <param name="Directory">The experiment directory.</param>
public sealed record ExperimentLayout(string Directory)
{
    /// <summary>The manifest.</summary>
    public string Manifest => Path.Combine(Directory, "manifest.json");

    /// <summary>Run directories.</summary>
    public string Runs => Path.Combine(Directory, "runs");

    /// <summary>Point specs.</summary>
    public string Specs => Path.Combine(Directory, "specs");

    /// <summary>Point logs.</summary>
    public string Logs => Path.Combine(Directory, "logs");

    /// <summary>A run directory.</summary>
    /// <param name="runId">The run id.</param>
    public string RunDirectory(string runId) => Path.Combine(Runs, runId);

    /// <summary>A point's spec.</summary>
    /// <param name="runId">The run id.</param>
    public string SpecFile(string runId) => Path.Combine(Specs, runId + ".json");

    /// <summary>A point's log.</summary>
    /// <param name="runId">The run id.</param>
    public string LogFile(string runId) => Path.Combine(Logs, runId + ".log");
}
