using System.Text.Json.Nodes;
using DluxShera.Contracts;

namespace DluxShera.Signals;

/// <summary>Options of <c>signals:generic</c> (<c>run.signals: {"name": "generic", "options": {…}}</c>).</summary>
public sealed class GenericSignalOptions : IValidatableOptions
{
    /// <summary>IndexMap entries to draw (value and residual panels), in this order; null: every entry.</summary>
    public List<string>? Parameters { get; set; }

    /// <summary>Vector entries with more components than this are drawn as RMS plus the largest components.</summary>
    public int HybridAbove { get; set; } = 8;

    /// <summary>Components drawn next to the RMS in those panels.</summary>
    public int TopN { get; set; } = 3;

    /// <inheritdoc/>
    public IEnumerable<(string Key, string Message)> Validate()
    {
        if (HybridAbove < 1) yield return ("hybrid_above", "must be ≥ 1");
        if (TopN < 1) yield return ("top_n", "must be ≥ 1");
    }
}

/// <summary>
/// Signals for any objective: loss, grad_norm, step_norm, base_lr, and every primitive IndexMap entry's value (decoded
/// from the run's θ-space) and, when the truth is known (<see cref="SignalContext.Truth"/>), its residual <c>&lt;name&gt;_error</c>.
/// Units come from the entry's label: the text in the last parentheses at its end (<c>"separation (arcsec)"</c> →
/// <c>arcsec</c>); no such suffix, no unit.
/// </summary>
/// <param name="options">Which entries, and when vectors are summarised.</param>
public sealed class GenericSignalRecipe(GenericSignalOptions options) : ISignalRecipe
{
    /// <summary>A recipe with the default options.</summary>
    public GenericSignalRecipe()
        : this(new GenericSignalOptions())
    {
    }

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
        foreach (var entry in Selected(IndexMapOf(context.Meta).ToList()))
        {
            int k = entry.Stop - entry.Start;
            var values = series[entry.Name].Values;
            var entryTruth = truth?[entry.Start..entry.Stop];
            signals.Add(SignalMath.Make(entry.Name, entry.Unit, values, t, k, entryTruth));
            var mode = k > options.HybridAbove ? VectorMode.Hybrid : VectorMode.Components;
            panels.Add(new PanelSpec(entry.Name, [entry.Name], mode, TopN: options.TopN));
            if (entryTruth is not null)
            {
                signals.Add(SignalMath.Make(entry.Name + "_error", entry.Unit, SignalMath.Error(values, k, entryTruth), t, k));
                panels.Add(new PanelSpec(entry.Name + " − truth", [entry.Name + "_error"], k > 1 ? VectorMode.Hybrid : VectorMode.Components, TopN: options.TopN));
            }
        }
        return new SignalSet(signals, panels);
    }

    private IEnumerable<(string Name, int Start, int Stop, string Unit)> Selected(List<(string Name, int Start, int Stop, string Unit)> entries)
    {
        if (options.Parameters is null) return entries;
        var unknown = options.Parameters.Where(p => entries.All(e => e.Name != p)).ToList();
        if (unknown.Count > 0)
        {
            throw new ArgumentException($"run.signals.options.parameters: {string.Join(", ", unknown.Select(u => $"'{u}'"))} not in this run's IndexMap; entries: {string.Join(", ", entries.Select(e => e.Name))}.");
        }
        return options.Parameters.Select(p => entries.First(e => e.Name == p));
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
