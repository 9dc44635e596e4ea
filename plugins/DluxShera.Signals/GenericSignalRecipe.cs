using System.Text.Json.Nodes;
using DluxShera.Contracts;

namespace DluxShera.Signals;

/// <summary>
/// Signals for any objective: loss, grad_norm, step_norm, base_lr, and every primitive IndexMap entry's value (decoded
/// from the run's θ-space) and, when the truth is known (<see cref="SignalContext.Truth"/>), its residual <c>&lt;name&gt;_error</c>.
/// </summary>
public sealed class GenericSignalRecipe : ISignalRecipe
{
    /// <inheritdoc/>
    public string Name => "generic";

    /// <inheritdoc/>
    public SignalSet Build(SignalContext context)
    {
        var trace = context.Trace;
        int t = trace.Steps;
        var signals = new List<Signal> { SignalMath.Make("loss", "loss", trace.Loss, t, 1) };
        var panels = new List<PanelSpec> { new("loss", ["loss"], LogY: true) };
        signals.Add(SignalMath.AboveBest(trace.Loss));
        panels.Add(new PanelSpec("loss above its best value", ["loss_above_best"], LogY: true));
        foreach (string channel in new[] { "grad_norm", "step_norm", "base_lr" })
        {
            if (!trace.Channels.TryGetValue(channel, out var values)) continue;
            signals.Add(SignalMath.Make(channel, channel == "base_lr" ? "learning rate" : "norm", values, t, 1));
            panels.Add(new PanelSpec(channel.Replace('_', ' '), [channel], LogY: channel != "base_lr"));
        }
        var truth = Truth(context);
        var series = SignalMath.PrimitiveSeries(context);
        foreach (var entry in IndexMapOf(context.Meta))
        {
            int k = entry.Stop - entry.Start;
            var values = series[entry.Name].Values;
            var entryTruth = truth?[entry.Start..entry.Stop];
            signals.Add(SignalMath.Make(entry.Name, entry.Unit, values, t, k, entryTruth));
            var mode = k > 8 ? VectorMode.Hybrid : VectorMode.Components;
            panels.Add(new PanelSpec(entry.Name, [entry.Name], mode));
            if (entryTruth is not null)
            {
                signals.Add(SignalMath.Make(entry.Name + "_error", entry.Unit, SignalMath.Error(values, k, entryTruth), t, k));
                panels.Add(new PanelSpec(entry.Name + " − truth", [entry.Name + "_error"], k > 1 ? VectorMode.Hybrid : VectorMode.Components));
            }
        }
        return new SignalSet(signals, panels);
    }

    private static double[]? Truth(SignalContext context) =>
        context.Truth ?? (context.Meta["theta"]?["truth"] is JsonArray a ? a.Select(v => v?.GetValue<double>() ?? double.NaN).ToArray() : null);

    // The objective's (primitive) layout: meta.theta.primitive_index_map, or index_map for runs in primitive θ.
    internal static IEnumerable<(string Name, int Start, int Stop, string Unit)> IndexMapOf(JsonObject meta) =>
        ((meta["theta"]?["primitive_index_map"] ?? meta["theta"]?["index_map"])?["entries"]?.AsArray() ?? []).Select(e =>
        {
            string label = e!["label"]?.GetValue<string>() ?? "";
            int open = label.LastIndexOf('(');
            string unit = open >= 0 && label.EndsWith(')') ? label[(open + 1)..^1] : "";
            return (e["name"]!.GetValue<string>(), e["start"]!.GetValue<int>(), e["stop"]!.GetValue<int>(), unit);
        });
}
