using System.Text.Json.Nodes;
using DluxShera.Artifacts;
using Xunit;

namespace DluxShera.Tests;

/// <summary>
/// What the host guarantees to a plugin written against the contracts only (docs/plugin-authoring.md, "What the
/// host guarantees"): diag_steps.jsonl from the trace rows, Describe() values recorded with their structure or
/// refused at run start naming the component and key (issue 11 items 1 and 4).
/// </summary>
public class HostGuaranteesTests
{
    private static string Plugins(TempDirectory tmp) =>
        Dluxshera.PluginsFile(tmp.Path, $$"""    { "id": "probe", "path": {{Dluxshera.Json(RepoPaths.TestPlugin("ContractProbePlugin"))}} }""");

    // f(x) = ½(x₀² + 4x₁²) from x = (1, 1): gradient descent with rate 0.1 gives x(t) = (0.9ᵗ, 0.6ᵗ).
    private static string Spec(TempDirectory tmp, string engine, string engineOptions, int diagnosticsEvery, string id = "p")
    {
        string spec = tmp.Combine($"{id}.json");
        File.WriteAllText(spec, $$"""
            {
              "run": { "id": "{{id}}", "figures": false, "diagnostics_every": {{diagnosticsEvery}} },
              "objective": { "name": "quadratic", "options": { "dimension": 2, "condition": 4, "start": 1 } },
              "optimizer": { "name": "{{engine}}", "options": { {{engineOptions}} } }
            }
            """);
        return spec;
    }

    private static List<JsonObject> DiagLines(string runDirectory) =>
        File.ReadAllLines(Path.Combine(runDirectory, "diag_steps.jsonl")).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();

    [Fact]
    public void The_host_writes_diag_steps_for_an_engine_that_only_streams_trace_rows()
    {
        using var tmp = RepoPaths.Temp();
        var r = Dluxshera.Invoke("run", Spec(tmp, "probe_gd", "\"num_steps\": 10, \"learning_rate\": 0.1", diagnosticsEvery: 3), "--out", tmp.Path, "--plugins", Plugins(tmp), "--quiet");
        Assert.True(r.ExitCode == 0, r.ToString());
        var lines = DiagLines(tmp.Combine("p"));
        Assert.Equal([0, 3, 6, 9], lines.Select(l => l["step"]!.GetValue<int>()));
        foreach (var line in lines)
        {
            int t = line["step"]!.GetValue<int>();
            double x0 = Math.Pow(0.9, t), x1 = Math.Pow(0.6, t);
            Assert.Equal(0.5 * (x0 * x0 + 4 * x1 * x1), line["loss"]!.GetValue<double>(), 1e-13);
            Assert.Equal(Math.Sqrt(x0 * x0 + 16 * x1 * x1), line["grad_norm"]!.GetValue<double>(), 1e-13);
            // ‖θ_t − θ_{t−1}‖ = 0.1·‖∇f(θ_{t−1})‖, and 0 for the start.
            double g0 = t == 0 ? 0 : Math.Pow(0.9, t - 1), g1 = t == 0 ? 0 : 4 * Math.Pow(0.6, t - 1);
            Assert.Equal(0.1 * Math.Sqrt(g0 * g0 + g1 * g1), line["step_norm"]!.GetValue<double>(), 1e-13);
            Assert.Equal(0.1, line["base_lr"]!.GetValue<double>());
            Assert.True(line["accepted"]!.GetValue<bool>());
        }
    }

    [Fact]
    public void An_sdk_engine_gets_each_diagnostics_line_once_and_none_without_diagnostics_every()
    {
        using var tmp = RepoPaths.Temp();
        var r = Dluxshera.Invoke("run", Spec(tmp, "gd", "\"num_steps\": 10, \"learning_rate\": 0.1", diagnosticsEvery: 5), "--out", tmp.Path, "--plugins", Plugins(tmp), "--quiet");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal([0, 5, 10], DiagLines(tmp.Combine("p")).Select(l => l["step"]!.GetValue<int>()));

        r = Dluxshera.Invoke("run", Spec(tmp, "probe_gd", "\"num_steps\": 4", diagnosticsEvery: 0, id: "none"), "--out", tmp.Path, "--plugins", Plugins(tmp), "--quiet");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.False(File.Exists(tmp.Combine("none", "diag_steps.jsonl")));
    }

    [Fact]
    public void Describe_values_keep_their_structure_in_meta_json_and_extras_in_summary_json()
    {
        using var tmp = RepoPaths.Temp();
        var r = Dluxshera.Invoke("run", Spec(tmp, "probe_gd", "\"num_steps\": 2, \"describe\": \"structured\"", diagnosticsEvery: 0), "--out", tmp.Path, "--plugins", Plugins(tmp), "--quiet");
        Assert.True(r.ExitCode == 0, r.ToString());
        var block = RunArtifacts.LoadMeta(tmp.Combine("p"))["optimizer"]!.AsObject();
        Assert.Equal("probe_gd", block["name"]!.GetValue<string>()); // filled in: the engine's Describe() gives no name
        Assert.Equal("""{"a":1.5,"b":-2}""", block["weights"]!.ToJsonString());
        Assert.Equal("""[1,"x"]""", block["pair"]!.ToJsonString());
        Assert.Equal("""{"start":3,"width":0.25,"kind":"hann"}""", block["window"]!.ToJsonString());
        Assert.Equal("[[1,2,3],[4,5,6]]", block["grid"]!.ToJsonString());
        Assert.Equal("""{"1":[0.1,0.2],"2":[null]}""", block["steps_by_stage"]!.ToJsonString());
        var summary = RunArtifacts.LoadSummary(tmp.Combine("p"));
        Assert.Equal("""{"start":2,"width":0.5,"kind":"final"}""", summary["probe_window"]!.ToJsonString());
    }

    [Theory]
    [InlineData("delegate", "optimizer:probe_gd: Describe() key 'schedule.config.rate': Func<Int32, Double> is a delegate (code), not a value")]
    [InlineData("cycle", "optimizer:probe_gd: Describe() key 'chain.next': refers back to itself (a reference cycle through Node)")]
    [InlineData("bad_num_steps", "optimizer:probe_gd: Describe() key 'num_steps' is \"ten\"; expected a non-negative integer")]
    public void A_describe_value_without_a_faithful_json_form_is_refused_at_run_start_naming_component_and_key(string describe, string message)
    {
        using var tmp = RepoPaths.Temp();
        var r = Dluxshera.Invoke("run", Spec(tmp, "probe_gd", $"\"describe\": \"{describe}\"", diagnosticsEvery: 0), "--out", tmp.Path, "--plugins", Plugins(tmp), "--quiet");
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(message, r.Stderr);
        Assert.Contains("docs/plugin-authoring.md", r.Stderr);
        Assert.False(Directory.Exists(tmp.Combine("p")), "refused before the run directory is created");
    }
}
