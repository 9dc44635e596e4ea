using System.Text.Json.Nodes;
using DluxShera.Numpy;

namespace DluxShera.Artifacts;

/// <summary>The run-directory bookkeeping the writer and the post-run steps share.</summary>
internal static class RunFiles
{
    /// <summary>Writes a JSON artifact atomically, indented, with a final newline.</summary>
    public static void WriteJson(string path, JsonObject value) =>
        AtomicFile.WriteText(path, value.ToJsonString(JsonNumbers.Indented) + "\n");

    /// <summary>Sets summary.json's <c>has_*</c> flags from the files present in <paramref name="runDirectory"/>.</summary>
    public static void SetArtifactFlags(JsonObject summary, string runDirectory)
    {
        bool Has(string file) => File.Exists(Path.Combine(runDirectory, file));
        summary["has_signals"] = Has(RunLayout.Signals);
        summary["has_precond"] = Has(RunLayout.Precond);
        summary["has_curvature"] = Has(RunLayout.Curvature);
        summary["has_checkpoint_best"] = Has(RunLayout.CheckpointBest);
        summary["has_checkpoint_final"] = Has(RunLayout.CheckpointFinal);
        summary["has_grads"] = Has(RunLayout.Grads);
        summary["has_diag_steps"] = Has(RunLayout.DiagSteps);
        summary["has_samples"] = Has(RunLayout.Samples);
        summary["has_warmup"] = Has(RunLayout.Warmup);
        summary["has_figures"] = Directory.Exists(Path.Combine(runDirectory, RunLayout.Figures));
    }
}
