using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using DluxShera.Artifacts;
using DluxShera.Contracts;
using DluxShera.Host.Components;
using DluxShera.Host.Experiments;
using DluxShera.Host.Plugins;
using DluxShera.Host.Runs;
using DluxShera.Host.Theta;
using DluxShera.Theta;

namespace DluxShera.Host.Sampling;

/// <summary>
/// Runs one sampling run (a spec with a <c>sampler</c> block): creates the objective, the sampler and the run directory,
/// runs the chains with per-chain progress and cancellation, and always finishes the run directory with what was drawn:
/// samples.npz, warmup.npz, adaptation.npz, trace.npz (chain 0's path), summary.json with the posterior table.
/// </summary>
public sealed class SamplingRun(ComponentCatalog catalog, PluginRegistry plugins)
{
    /// <summary>Executes the run; returns 0 when ok, 1 when failed, 130/143 when interrupted.</summary>
    /// <param name="spec">The bound spec.</param>
    /// <param name="specJson">The effective spec JSON.</param>
    /// <param name="request">The command line.</param>
    /// <param name="stdout">The final table.</param>
    /// <param name="stderr">Progress.</param>
    /// <param name="interruption">SIGINT/SIGTERM: the first cancels the chains (draws so far are kept), a second saves them and exits.</param>
    /// <param name="problems">The spec's problems found so far (the components' are added; all are reported at once), or null.</param>
    public int Execute(RunSpec spec, JsonObject specJson, RunRequest request, TextWriter stdout, TextWriter stderr, RunInterruption? interruption, SpecProblems? problems = null)
    {
        problems ??= new SpecProblems(request.SpecFile, request.Overrides);
        // Null only when a problem was recorded, and then ThrowIfAny throws before any is used.
        var objective = problems.Create("objective", () => catalog.CreateWithOptions<IObjective>(ComponentKinds.Objective, spec.Objective, "objective"))!;
        var sampler = problems.Create("sampler", () => catalog.CreateWithOptions<ISampler>(ComponentKinds.Sampler, spec.Sampler!, "sampler"))!;
        var store = problems.Create("store", () => catalog.CreateWithOptions<IArtifactStore>(ComponentKinds.Store, spec.Store, "store"))!;
        problems.ThrowIfAny();

        // Chains sample in the run's θ-space z (theta_map); the posterior people read is also reported in primitive values.
        var primitiveMap = objective.Component.IndexMap;
        RunResources.Check(objective.Descriptor.Key, primitiveMap.Dimension, sampler.Component.Describe(), uncertainty: false);
        var primitive0 = RunStart.PrimitiveStart(spec, objective);
        var thetaSpace = new ThetaSpaceBuilder(catalog).Build(spec.ThetaMap, objective.Component, primitive0);
        var chain = thetaSpace.Chain;
        var indexMap = chain.ThetaIndexMap;
        int d = indexMap.Dimension;
        var theta0 = thetaSpace.InitialTheta;

        string outputRoot = RunStart.OutputRoot(spec, request);
        IRunWriter writer;
        try
        {
            writer = store.Component.CreateRun(new RunCreateRequest { OutputRoot = outputRoot, RunId = spec.Run.Id, Overwrite = request.Overwrite || spec.Run.Overwrite, Dimension = d });
        }
        catch (ArtifactException e)
        {
            throw new BadInputException(e.Message, e);
        }

        using (writer)
        {
            var createdAt = DateTimeOffset.UtcNow;
            var git = Provenance.Git(Path.GetDirectoryName(Path.GetFullPath(request.SpecFile))!);
            var meta = RunPipeline.BuildMeta(spec, specJson, request, writer.RunId, createdAt, git, chain, objective, "sampler", SamplerBlock(sampler), store, plugins);
            writer.WriteMeta(meta);
            if (!chain.IsIdentity) writer.WriteArrays(ThetaMapArtifacts.FileName, chain.NpzContent());

            var chainProgress = request.Quiet ? null : new ChainProgressDisplay(stderr, inPlace: ConsoleProgress.IsTerminal(stderr));
            var collector = new SampleCollector(d, new DiagnosticStepsSink(writer, writer, spec.Run.DiagnosticsEvery));
            var clock = Stopwatch.StartNew();
            var truth = new double[primitiveMap.Dimension];
            bool hasTruth = objective.Component is ITruthProvider provider && provider.TryGetTruth(truth);
            var finish = new RunFinisher(writer, meta, sampler, collector, createdAt, git, chain, hasTruth ? truth : null,
                (m, samples) => PosteriorSignals.Build(catalog, spec.Run.Signals, m, samples, writer,
                    new ThetaDecoder(chain, objective.Component as IThetaDecoder), hasTruth ? truth : null));
            interruption?.SetStopNow((why, code) =>
            {
                // A second signal: the chains are still running; save the draws so far and end the process.
                finish.Complete(null, why, clock.Elapsed.TotalSeconds, cancelled: true);
                stderr.WriteLine($"dluxshera: stopped: {why}; {writer.RunDirectory} is saved as failed (cancelled) with the draws so far.");
                stderr.Flush();
                ProcessEnd.Now(code);
            });
            SamplingResult? result = null;
            string? crash = null;
            try
            {
                result = sampler.Component.Sample(new SamplingContext
                {
                    Density = new ObjectiveLogDensity(thetaSpace.Objective),
                    CreateDensity = () => new ObjectiveLogDensity(InThetaSpace(catalog.CreateWithOptions<IObjective>(ComponentKinds.Objective, spec.Objective, "objective").Component, chain)),
                    InitialThetas = [theta0],
                    Sink = collector,
                    Seed = ComponentContext.DeriveSeed(spec.Run.Seed, "sampler"),
                    Objective = thetaSpace.Objective,
                    Components = catalog,
                    Store = store.Component,
                    Progress = new SilentProgress(),
                    ChainProgress = chainProgress,
                    Cancellation = interruption?.Token ?? CancellationToken.None,
                });
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // A sampler or objective defect must not lose the run: record it and keep the draws so far.
                crash = $"{sampler.Descriptor.Key} threw {e.GetType().Name}: {e.Message}";
                if (Cli.CrashLog.Write(e, ["run", request.SpecFile, .. request.Overrides.SelectMany(o => new[] { "--set", o })]) is { } log) crash += $" (details in {log})";
            }
            interruption?.EngineReturned();
            chainProgress?.Finish();
            var summary = finish.Complete(result, crash, clock.Elapsed.TotalSeconds, cancelled: false);

            if (spec.Run.Figures && File.Exists(Path.Combine(writer.RunDirectory, RunLayout.Meta)))
            {
                try
                {
                    DerivedValues.Record(writer.RunDirectory, chain, objective.Component);
                    SignalProducer.Produce(catalog, writer.RunDirectory, spec.Run.Signals, "png");
                }
                catch (Exception e) when (e is BadInputException or ArtifactException or IOException or InvalidOperationException or ArgumentException)
                {
                    stderr.WriteLine($"dluxshera: warning: signals and figures were not made: {e.Message} (run 'dluxshera plot {writer.RunDirectory}' to retry)");
                }
            }

            bool ok = summary["status"]!.GetValue<string>() == "ok";
            if (!request.Quiet) PrintSummary(stdout, writer.RunDirectory, RunArtifacts.LoadSummary(writer.RunDirectory));
            else stdout.WriteLine(writer.RunDirectory);
            return ok ? ExitCodes.Ok : interruption?.ExitCode ?? ExitCodes.RunFailed;
        }
    }

    /// <summary>Writes the sampling artifacts and summary.json once, from the normal path or the stop-now path.</summary>
    private sealed class RunFinisher(IRunWriter writer, JsonObject meta, CreatedComponent<ISampler> sampler, SampleCollector collector,
        DateTimeOffset createdAt, JsonObject git, ThetaMapChain chain, double[]? truth, Func<JsonObject, IReadOnlyDictionary<string, NdArray>, JsonArray> signalPosterior)
    {
        private readonly Lock _gate = new();
        private JsonObject? _summary;

        public JsonObject Complete(SamplingResult? result, string? crash, double runtime, bool cancelled)
        {
            lock (_gate)
            {
                if (_summary is not null) return _summary;
                collector.Freeze();
                meta["sampler"] = SamplerBlock(sampler);
                writer.WriteMeta(meta);
                int d = chain.ThetaDimension;
                var samples = collector.Arrays(warmup: false);
                // In a reparameterised θ-space the draws are also decoded to primitive values (what people read).
                var primitive = chain.IsIdentity ? null : DecodeDraws(chain, samples["theta"]);
                if (primitive is not null) samples["primitive"] = primitive;
                if (collector.CommonDraws(warmup: false) > 0) writer.WriteArrays(RunLayout.Samples, samples);
                if (collector.CommonDraws(warmup: true) > 0) writer.WriteArrays(RunLayout.Warmup, collector.Arrays(warmup: true));
                if (result is { Adaptations.Count: > 0 }) writer.WriteArrays(RunLayout.Adaptation, AdaptationArrays(result.Adaptations, d));
                var summary = BuildSummary(writer.RunId, createdAt, git, result, crash, runtime, collector);
                if (cancelled) summary["stop_reason"] = StopReasons.Cancelled;
                if (collector.CommonDraws(warmup: false) > 0)
                {
                    summary["posterior"] = primitive is null
                        ? SamplingSummary.Posterior(samples, SamplingSummary.ParameterNames(chain.ThetaIndexMap), truth)
                        : SamplingSummary.Posterior(new Dictionary<string, NdArray> { ["theta"] = primitive }, SamplingSummary.ParameterNames(chain.PrimitiveIndexMap), truth);
                    if (primitive is not null) summary["posterior_theta"] = SamplingSummary.Posterior(samples, SamplingSummary.ParameterNames(chain.ThetaIndexMap), null);
                    summary["sampler_stats"] = SamplingSummary.SamplerStats(samples, MaxTreeDepth(sampler));
                    try
                    {
                        summary["signal_posterior"] = signalPosterior(meta, samples);
                    }
                    catch (Exception e) when (e is InvalidOperationException or ArgumentException or KeyNotFoundException or IndexOutOfRangeException or ComponentOptionsException)
                    {
                        // Signals are a convenience: the draws and the posterior table stand without them.
                        summary["signal_posterior_error"] = $"{e.GetType().Name}: {e.Message}";
                    }
                }
                var (best, final) = Checkpoints(samples, d);
                writer.Complete(summary, best, final);
                return _summary = summary;
            }
        }
    }

    // Each chain's density gets its own objective instance wrapped in the same (stateless) map stages.
    private static IObjective InThetaSpace(IObjective primitive, ThetaMapChain chain)
    {
        IObjective current = primitive;
        foreach (var stage in chain.Stages) current = ThetaMappedObjective.Create(current, stage);
        return current;
    }

    private static NdArray DecodeDraws(ThetaMapChain chain, NdArray theta)
    {
        int chains = theta.Shape[0], draws = theta.Shape[1], d = theta.Shape[2], p = chain.PrimitiveDimension;
        var z = theta.ToDoubles();
        var decoded = new double[chains * draws * p];
        for (int k = 0; k < chains * draws; k++) chain.ToPrimitive(z.AsSpan(k * d, d), decoded.AsSpan(k * p, p));
        return new NdArray(decoded, chains, draws, p);
    }

    private static JsonObject SamplerBlock(CreatedComponent<ISampler> sampler)
    {
        var block = ComponentDescription.OfEngine(sampler.Descriptor.Key, sampler.Descriptor.Name, sampler.Component.Describe());
        block["component"] = sampler.Descriptor.Key;
        block["options"] = sampler.EffectiveOptions.DeepClone();
        return block;
    }

    private static int? MaxTreeDepth(CreatedComponent<ISampler> sampler) =>
        sampler.EffectiveOptions["max_tree_depth"] is JsonValue v && v.TryGetValue(out int depth) ? depth : null;

    private static Dictionary<string, NdArray> AdaptationArrays(IReadOnlyList<ChainAdaptation> adaptations, int d)
    {
        var ordered = adaptations.OrderBy(a => a.Chain).ToArray();
        int chains = ordered.Length;
        bool dense = ordered.All(a => a.InverseMassDense is not null);
        var inverse = new double[chains * (dense ? d * d : d)];
        for (int c = 0; c < chains; c++)
        {
            var source = dense ? ordered[c].InverseMassDense! : ordered[c].InverseMassDiagonal;
            source.CopyTo(inverse, c * source.Length);
        }
        return new Dictionary<string, NdArray>
        {
            ["chain"] = new(ordered.Select(a => (long)a.Chain).ToArray(), chains),
            ["step_size"] = new(ordered.Select(a => a.StepSize).ToArray(), chains),
            ["inv_metric"] = dense ? new(inverse, chains, d, d) : new(inverse, chains, d),
        };
    }

    // Best: the draw with the highest log density; final: chain 0's last draw. Loss = −log p.
    private static (Checkpoint? Best, Checkpoint? Final) Checkpoints(IReadOnlyDictionary<string, NdArray> samples, int d)
    {
        var logProb = samples["log_prob"].ToDoubles();
        if (logProb.Length == 0) return (null, null);
        var theta = samples["theta"].ToDoubles();
        int n = samples["log_prob"].Shape[1];
        int best = 0;
        for (int k = 1; k < logProb.Length; k++) if (logProb[k] > logProb[best]) best = k;
        return (new Checkpoint(theta.AsSpan(best * d, d).ToArray(), best % n, -logProb[best]),
                new Checkpoint(theta.AsSpan((n - 1) * d, d).ToArray(), n - 1, -logProb[n - 1]));
    }

    private static JsonObject BuildSummary(string runId, DateTimeOffset createdAt, JsonObject git, SamplingResult? result, string? crash, double runtime, SampleCollector collector)
    {
        var summary = new JsonObject
        {
            ["run_id"] = runId,
            ["created_at"] = RunIds.Timestamp(createdAt),
            ["git"] = new JsonObject { ["commit"] = git["commit"]?.DeepClone() },
            ["kind"] = "sampling",
            ["status"] = result?.Status == RunStatus.Ok ? "ok" : "failed",
            ["stop_reason"] = result?.StopReason ?? StopReasons.Error,
            ["message"] = result?.Message ?? crash,
            ["num_chains"] = result?.Chains ?? collector.Chains,
            ["num_draws_completed"] = collector.CommonDraws(warmup: false),
            ["num_warmup_completed"] = collector.CommonDraws(warmup: true),
            ["evaluations"] = result?.Evaluations,
        };
        if (result is not null) foreach (var (k, v) in result.Diagnostics) summary[k] = RunPipeline.ExtraValue(k, v);
        summary["runtime_total_s"] = Math.Round(runtime, 6);
        return summary;
    }

    private static void PrintSummary(TextWriter o, string runDirectory, JsonObject s)
    {
        o.WriteLine($"run        {runDirectory}");
        o.WriteLine($"status     {s["status"]} ({s["stop_reason"]}){(s["message"]?.GetValue<string>() is { Length: > 0 } m ? ": " + m : "")}");
        o.WriteLine($"draws      {s["num_chains"]} chains × {s["num_draws_completed"]} (warm-up {s["num_warmup_completed"]})  evaluations {s["evaluations"]}");
        if (s["sampler_stats"] is JsonObject stats)
        {
            o.WriteLine($"sampler    divergences {stats["divergences"]}  max-tree-depth hits {stats["max_tree_depth_hits"]}  E-BFMI {stats["ebfmi_per_chain"]!.ToJsonString()}");
        }
        o.WriteLine($"runtime    {s["runtime_total_s"]} s");
        if (s["posterior"] is not JsonArray rows || rows.Count == 0) return;
        o.WriteLine();
        bool truth = rows[0]!["truth"] is not null;
        o.WriteLine($"{"parameter",-34} {"mean",13} {"sd",11} {"q5",13} {"q95",13} {"ess_bulk",9} {"ess_tail",9} {"r_hat",6}{(truth ? $" {"truth",13} {"z",6}" : "")}");
        foreach (var r in rows.Take(40))
        {
            double N(string k) => r![k]?.GetValue<double>() ?? double.NaN;
            string line = string.Create(CultureInfo.InvariantCulture,
                $"{r!["name"]!.GetValue<string>(),-34} {N("mean"),13:G6} {N("sd"),11:G4} {N("q5"),13:G6} {N("q95"),13:G6} {N("ess_bulk"),9:F0} {N("ess_tail"),9:F0} {N("r_hat"),6:F3}");
            if (truth) line += string.Create(CultureInfo.InvariantCulture, $" {N("truth"),13:G6} {N("z_truth"),6:F2}");
            o.WriteLine(line);
        }
        if (rows.Count > 40) o.WriteLine($"… {rows.Count - 40} more rows in summary.json");
        if (s["signal_posterior"] is JsonArray signals && signals.Any(r => r!["name"]!.GetValue<string>().Contains("error", StringComparison.Ordinal)))
        {
            o.WriteLine();
            o.WriteLine($"{"posterior of residual signal",-40} {"mean",12} {"sd",11} {"q5",12} {"q95",12}  unit");
            foreach (var r in signals.Where(r => r!["name"]!.GetValue<string>().Contains("error", StringComparison.Ordinal)).Take(20))
            {
                double N(string k) => r![k]?.GetValue<double>() ?? double.NaN;
                o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{r!["name"]!.GetValue<string>(),-40} {N("mean"),12:G5} {N("sd"),11:G4} {N("q5"),12:G5} {N("q95"),12:G5}  {r["unit"]}"));
            }
        }
    }
}
