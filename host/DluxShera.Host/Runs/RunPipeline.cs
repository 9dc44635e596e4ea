using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using DluxShera.Artifacts;
using DluxShera.Contracts;
using DluxShera.Host.Components;
using DluxShera.Host.Experiments;
using DluxShera.Host.Plugins;
using DluxShera.Host.Theta;
using DluxShera.Theta;

namespace DluxShera.Host.Runs;

/// <summary>What the user asked for on the command line besides the spec.</summary>
/// <param name="SpecFile">The spec path.</param>
/// <param name="Overrides"><c>--set</c> assignments.</param>
/// <param name="OutDirectory"><c>--out</c>, or null.</param>
/// <param name="Quiet">No progress and no final table.</param>
/// <param name="Overwrite"><c>--overwrite</c>.</param>
public sealed record RunRequest(string SpecFile, IReadOnlyList<string> Overrides, string? OutDirectory, bool Quiet, bool Overwrite);

/// <summary>
/// Runs one optimisation from a spec: creates the components, the run directory and meta.json, runs the
/// engine with progress and cancellation, and always finishes the run directory (ok or failed).
/// </summary>
public sealed class RunPipeline(ComponentCatalog catalog, PluginRegistry plugins)
{
    /// <summary>Executes the run and returns the exit code (0 ok, 1 failed, 130/143 interrupted); bad input throws <see cref="BadInputException"/>.</summary>
    /// <param name="request">The request.</param>
    /// <param name="stdout">Where the final table goes.</param>
    /// <param name="stderr">Where progress goes.</param>
    /// <param name="interruption">SIGINT/SIGTERM handling (cancellation, and the stop-now path), or null for none.</param>
    public int Execute(RunRequest request, TextWriter stdout, TextWriter stderr, RunInterruption? interruption = null)
    {
        // The spec's own keys and every component are checked before any problem is reported, so one error lists them all.
        var problems = new SpecProblems(request.SpecFile, request.Overrides);
        var (spec, specJson) = RunSpecLoader.Load(request.SpecFile, request.Overrides, problems);
        catalog.RunSeed = spec.Run.Seed;
        if (spec.Sampler is not null)
        {
            // A sampler block instead of an optimizer block: a sampling run (docs/samplers.md).
            if (specJson["optimizer"] is not null) throw new BadInputException($"{request.SpecFile}: give either an 'optimizer' block (a fit) or a 'sampler' block (sampling), not both.");
            return new Sampling.SamplingRun(catalog, plugins).Execute(spec, specJson, request, stdout, stderr, interruption, problems);
        }
        var (objective, optimizer, store) = CreateComponents(problems, spec);
        // Describe() blocks are checked before anything is written, so a plugin defect there costs no run directory.
        ComponentDescription.Of(objective.Descriptor.Key, objective.Component.Describe());
        var optimizerBlock = EngineBlock(optimizer);

        var primitiveMap = objective.Component.IndexMap;
        // Before any θ-sized allocation (the start vector is the first): a run that cannot fit is refused, not killed.
        RunResources.Check(objective.Descriptor.Key, primitiveMap.Dimension, optimizer.Component.Describe(), spec.Run.Uncertainty);
        var primitive0 = RunStart.PrimitiveStart(spec, objective);
        // Engines, estimators and samplers work in z; everything recorded for people (summary, images, signals) is primitive.
        var thetaSpace = new ThetaSpaceBuilder(catalog).Build(spec.ThetaMap, objective.Component, primitive0);
        var chain = thetaSpace.Chain;
        var indexMap = chain.ThetaIndexMap;
        int d = indexMap.Dimension;
        var theta0 = thetaSpace.InitialTheta;

        string outputRoot = RunStart.OutputRoot(spec, request);
        if (RunResources.TraceDiskWarning(d, optimizer.Component.Describe(), outputRoot) is { } diskWarning) stderr.WriteLine($"dluxshera: warning: {diskWarning}.");
        IRunWriter writer;
        try
        {
            writer = store.Component.CreateRun(new RunCreateRequest
            {
                OutputRoot = outputRoot,
                RunId = spec.Run.Id,
                Overwrite = request.Overwrite || spec.Run.Overwrite,
                Dimension = d,
            });
        }
        catch (ArtifactException e)
        {
            throw new BadInputException(e.Message, e);
        }

        using (writer)
        {
            var createdAt = DateTimeOffset.UtcNow;
            var git = Provenance.Git(Path.GetDirectoryName(Path.GetFullPath(request.SpecFile))!);
            var meta = BuildMeta(spec, specJson, request, writer.RunId, createdAt, git, chain, objective, "optimizer", optimizerBlock, store, plugins);
            writer.WriteMeta(meta);
            if (!chain.IsIdentity) writer.WriteArrays(ThetaMapArtifacts.FileName, chain.NpzContent());

            var progress = request.Quiet ? (IProgressReporter)new SilentProgress()
                : new ConsoleProgress(stderr, inPlace: ConsoleProgress.IsTerminal(stderr), spec.Run.ProgressEvery);
            // The host writes diag_steps.jsonl from the rows, so no engine has to (OptimizationContext.DiagnosticsEvery).
            var trace = new ObservedTrace(new DiagnosticStepsSink(writer, writer, spec.Run.DiagnosticsEvery), d);
            var blame = new ComponentBlame([(objective.Descriptor.Key, objective.Component), (optimizer.Descriptor.Key, optimizer.Component), (store.Descriptor.Key, store.Component)],
                optimizer.Descriptor.Key);
            var clock = Stopwatch.StartNew();
            interruption?.SetStopNow((why, code) => StopNow(writer, trace, createdAt, git, clock, why, code, stderr));
            OptimizationResult? result = null;
            string? crash = null;
            try
            {
                result = optimizer.Component.Run(new OptimizationContext
                {
                    Objective = thetaSpace.Objective,
                    InitialTheta = theta0,
                    Trace = trace,
                    Artifacts = writer,
                    Progress = progress,
                    Components = catalog,
                    GradientEvery = spec.Run.GradientsEvery,
                    DiagnosticsEvery = spec.Run.DiagnosticsEvery,
                    Cancellation = interruption?.Token ?? CancellationToken.None,
                });
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // An engine, objective or store defect must not lose the run: record it, naming the component
                // whose code threw, and keep the rows so far; the full report goes to a crash log.
                crash = blame.Describe(e);
                if (Cli.CrashLog.Write(e, ["run", request.SpecFile, .. request.Overrides.SelectMany(o => new[] { "--set", o })]) is { } log) crash += $" (details in {log})";
            }
            interruption?.EngineReturned();
            (progress as ConsoleProgress)?.Finish();
            double runtime = clock.Elapsed.TotalSeconds;
            if (crash is null && EngineResultCheck.Problem(result, d, trace) is { } problem)
            {
                crash = $"{optimizer.Descriptor.Key} {problem}";
                result = null;
            }

            try
            {
                // Engines may describe what they learnt during the run (e.g. a step size); the block was checked at start.
                meta["optimizer"] = EngineBlock(optimizer);
            }
            catch (BadInputException e)
            {
                crash ??= e.Message;
                result = null;
            }
            try
            {
                writer.WriteMeta(meta);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A full disk: the meta.json written at the start stands; Complete below records the failure.
                crash ??= $"{store.Descriptor.Key} could not update meta.json: {e.Message.ReplaceLineEndings(" ").Trim()}";
                result = null;
            }

            var summary = BuildSummary(writer.RunId, createdAt, git, result, crash, trace, runtime);
            if (result is not null && EngineResultCheck.NonFiniteRule(result, trace) is { } rule)
            {
                summary["status"] = "failed";
                summary["stop_reason"] = rule.StopReason;
                summary["message"] = $"{optimizer.Descriptor.Key}: {rule.Message}";
            }
            if (summary["status"]?.GetValue<string>() == "ok") DivergenceRule.Apply(summary, result, spec.Run.DivergenceRatio);
            // People read primitive values: the best point decoded from z for the report, the 1σ and the images.
            var bestPrimitive = result is null ? null : Decode(chain, result.BestTheta);
            double[]? sigma = null;
            if (spec.Run.Uncertainty && bestPrimitive is not null)
            {
                sigma = PostRunStep<double[]>(summary, "uncertainty", blame, () => AddUncertainty(writer, summary, objective.Component, bestPrimitive));
            }
            AddFitReport(summary, objective.Component, primitive0, bestPrimitive, sigma);
            var best = trace.BestStep >= 0 ? new Checkpoint(result?.BestTheta ?? trace.BestTheta, result?.BestStep ?? trace.BestStep, result?.BestLoss ?? trace.BestLoss) : null;
            var final = result is not null ? new Checkpoint(result.FinalTheta, result.FinalStep, result.FinalLoss)
                : trace.LastStep >= 0 ? new Checkpoint(trace.LastTheta, trace.LastStep, trace.LastLoss) : null;
            if (objective.Component is IImageObjective imaging && best is not null)
            {
                PostRunStep(summary, "images", blame, () => WriteImages(writer, imaging, Decode(chain, best.Theta)));
            }
            try
            {
                writer.Complete(summary, best, final);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The store recorded the failure in summary.json as far as the disk allowed; the streamed rows stay.
                stderr.WriteLine($"dluxshera: error: the run could not be saved completely: {e.Message.ReplaceLineEndings(" ").Trim()}; {writer.RunDirectory} keeps the rows streamed so far (dluxshera inspect reads them).");
                return ExitCodes.RunFailed;
            }
            SignalSet? finalSignals = null;
            if (File.Exists(Path.Combine(writer.RunDirectory, RunLayout.Meta)))
            {
                try
                {
                    DerivedValues.Record(writer.RunDirectory, chain, objective.Component);
                    var (_, signals) = SignalProducer.Produce(catalog, writer.RunDirectory, spec.Run.Signals, "png", renderFigures: spec.Run.Figures);
                    if (!request.Quiet) finalSignals = signals;
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    // Figures are a convenience: the run's artifacts stand without them.
                    stderr.WriteLine($"dluxshera: warning: signals and figures were not made: {e.GetType().Name}: {e.Message.ReplaceLineEndings(" ").Trim()} (run 'dluxshera plot {writer.RunDirectory}' to retry)");
                }
            }

            bool ok = summary["status"]!.GetValue<string>() == "ok";
            if (!request.Quiet)
            {
                PrintSummary(stdout, writer.RunDirectory, summary);
                if (finalSignals is not null) SignalProducer.PrintFinalValues(finalSignals, stdout);
            }
            else
            {
                stdout.WriteLine(writer.RunDirectory);
            }
            return ok ? ExitCodes.Ok : interruption?.ExitCode ?? ExitCodes.RunFailed;
        }
    }

    // meta.json's optimizer block: Describe() checked (ComponentDescription) plus the effective options.
    private static JsonObject EngineBlock(CreatedComponent<IOptimizerEngine> optimizer)
    {
        var block = ComponentDescription.OfEngine(optimizer.Descriptor.Key, optimizer.Descriptor.Name, optimizer.Component.Describe());
        block["options"] = optimizer.EffectiveOptions.DeepClone();
        return block;
    }

    private static double[] Decode(ThetaMapChain chain, double[] theta)
    {
        var primitive = new double[chain.PrimitiveDimension];
        chain.ToPrimitive(theta, primitive);
        return primitive;
    }

    // Creates the three components; every problem of the spec and of each component is reported at once (docs/run-spec.md).
    private (CreatedComponent<IObjective>, CreatedComponent<IOptimizerEngine>, CreatedComponent<IArtifactStore>) CreateComponents(SpecProblems problems, RunSpec spec)
    {
        var objective = problems.Create("objective", () => catalog.CreateWithOptions<IObjective>(ComponentKinds.Objective, spec.Objective, "objective"));
        var optimizer = problems.Create("optimizer", () => catalog.CreateWithOptions<IOptimizerEngine>(ComponentKinds.Optimizer, spec.Optimizer, "optimizer"));
        var store = problems.Create("store", () => catalog.CreateWithOptions<IArtifactStore>(ComponentKinds.Store, spec.Store, "store"));
        problems.ThrowIfAny();
        return (objective!, optimizer!, store!);
    }

    // A step after the engine (uncertainty, images) calls the objective again; its failure is recorded in the
    // summary, naming the component, and does not cost the run.
    private static T? PostRunStep<T>(JsonObject summary, string step, ComponentBlame blame, Func<T?> action) where T : class
    {
        try
        {
            return action();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            summary[$"{step}_error"] = blame.Describe(e);
            return null;
        }
    }

    private static void PostRunStep(JsonObject summary, string step, ComponentBlame blame, Action action) =>
        PostRunStep<object>(summary, step, blame, object? () =>
        {
            action();
            return new object();
        });

    // The stop-now path of a second signal (or an engine deaf to cancellation): with the trace gate held, so
    // the engine cannot append another row, save everything the rows so far allow, then end the process.
    private static void StopNow(IRunWriter writer, ObservedTrace trace, DateTimeOffset createdAt, JsonObject git, Stopwatch clock, string why, int exitCode, TextWriter stderr)
    {
        Monitor.Enter(trace.Gate);
        var summary = BuildSummary(writer.RunId, createdAt, git, null, why, trace, clock.Elapsed.TotalSeconds);
        summary["stop_reason"] = StopReasons.Cancelled;
        var best = trace.BestStep >= 0 ? new Checkpoint(trace.BestTheta, trace.BestStep, trace.BestLoss) : null;
        var final = trace.LastStep >= 0 ? new Checkpoint(trace.LastTheta, trace.LastStep, trace.LastLoss) : null;
        try
        {
            writer.Complete(summary, best, final);
            stderr.WriteLine($"dluxshera: stopped: {why}; {writer.RunDirectory} is saved as failed (cancelled) with {trace.Rows} trace rows.");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            stderr.WriteLine($"dluxshera: stopped: {why}; saving {writer.RunDirectory} failed ({e.Message.ReplaceLineEndings(" ").Trim()}); its trace.partial/ rows stay readable.");
        }
        stderr.Flush();
        ProcessEnd.Now(exitCode);
    }

    /// <summary>meta.json of a fit or a sampling run; <paramref name="engineKey"/> is <c>optimizer</c> or <c>sampler</c>.</summary>
    internal static JsonObject BuildMeta(RunSpec spec, JsonObject specJson, RunRequest request, string runId, DateTimeOffset createdAt, JsonObject git,
        ThetaMapChain chain, CreatedComponent<IObjective> objective, string engineKey, JsonObject engineBlock, CreatedComponent<IArtifactStore> store, PluginRegistry plugins)
    {
        var objectiveBlock = ComponentDescription.Of(objective.Descriptor.Key, objective.Component.Describe());
        objectiveBlock["component"] = objective.Descriptor.Key;
        objectiveBlock["preset"] = spec.Objective.Preset;
        objectiveBlock["options"] = objective.EffectiveOptions.DeepClone();
        return new JsonObject
        {
            ["artifact_schema"] = RunLayout.Schema,
            ["run_id"] = runId,
            ["created_at"] = RunIds.Timestamp(createdAt),
            ["description"] = spec.Description,
            ["git"] = git.DeepClone(),
            ["theta"] = new JsonObject
            {
                ["dim"] = chain.ThetaDimension,
                ["theta_space"] = chain.ThetaSpace,
                ["theta_map_id"] = chain.Id,
                ["theta_map_hash"] = chain.IsIdentity ? null : chain.Hash,
                ["index_map"] = IndexMapJson(chain.ThetaIndexMap),
                ["primitive_index_map"] = IndexMapJson(chain.PrimitiveIndexMap),
                ["theta_map"] = chain.IsIdentity ? null : chain.Document.DeepClone(),
                ["truth"] = TruthJson(objective.Component),
                ["derived_truth"] = DerivedValues.TruthJson(objective.Component),
                ["init_from"] = spec.Run.InitFrom is { } from ? Path.GetFullPath(from) : null,
            },
            ["objective"] = objectiveBlock,
            [engineKey] = engineBlock,
            ["store"] = store.Descriptor.Key,
            ["run"] = new JsonObject
            {
                ["seed"] = spec.Run.Seed,
                ["experiment"] = spec.Run.Experiment,
                ["spec_file"] = Path.GetFullPath(request.SpecFile),
                ["overrides"] = new JsonArray(request.Overrides.Select(o => (JsonNode)o).ToArray()),
                ["spec"] = specJson.DeepClone(),
            },
            ["environment"] = Provenance.Environment(plugins.Loaded, objectiveBlock["backend"] as JsonObject),
        };
    }

    // The loss Hessian at the best point (fisher.npz) and the 1σ it implies; null σ when it is not positive definite.
    private static double[]? AddUncertainty(IRunWriter writer, JsonObject summary, IObjective objective, double[] best)
    {
        var (hessian, sigma, evaluations) = HessianUncertainty.Estimate(objective, best);
        writer.WriteArrays(RunLayout.Fisher, new Dictionary<string, NdArray>
        {
            ["hessian"] = new(hessian, best.Length, best.Length),
            ["theta"] = NdArray.Vector(best),
        });
        summary["uncertainty"] = new JsonObject { ["method"] = "inverse_hessian_fd", ["evaluations"] = evaluations };
        if (sigma is null) summary["uncertainty"]!["message"] = "the Hessian at the best point is not positive definite";
        return sigma;
    }

    // Data, model at the best point and variance, for the image-comparison figure (rebuilt by `plot`).
    private static void WriteImages(IRunWriter writer, IImageObjective objective, double[] theta)
    {
        int rows = objective.ImageHeight, cols = objective.ImageWidth;
        var data = new double[rows * cols];
        var model = new double[rows * cols];
        var variance = new double[rows * cols];
        objective.Images(theta, data, model, variance);
        writer.WriteArrays(RunLayout.Images, new Dictionary<string, NdArray>
        {
            ["data"] = new(data, rows, cols),
            ["model"] = new(model, rows, cols),
            ["variance"] = new(variance, rows, cols),
            [SignalProducer.ImagesMetadataEntry] = ImagesMetadata(objective.ImageUnit),
        });
    }

    private static NdArray ImagesMetadata(string unit)
    {
        byte[] json = System.Text.Encoding.UTF8.GetBytes(new JsonObject { ["unit"] = unit }.ToJsonString());
        return new NdArray(json, json.Length);
    }

    internal static JsonNode? TruthJson(IObjective objective)
    {
        var truth = new double[objective.IndexMap.Dimension];
        return objective is ITruthProvider provider && provider.TryGetTruth(truth)
            ? new JsonArray(truth.Select(JsonNumbers.Number).ToArray())
            : null;
    }

    /// <summary>The IndexMap as meta.json stores it.</summary>
    /// <param name="map">The map.</param>
    public static JsonObject IndexMapJson(IndexMap map) => DluxShera.Theta.IndexMapJson.ToJson(map);

    private static JsonObject BuildSummary(string runId, DateTimeOffset createdAt, JsonObject git, OptimizationResult? result, string? crash, ObservedTrace trace, double runtime)
    {
        var summary = new JsonObject
        {
            ["run_id"] = runId,
            ["created_at"] = RunIds.Timestamp(createdAt),
            ["git"] = new JsonObject { ["commit"] = git["commit"]?.DeepClone() },
        };
        if (result is not null)
        {
            summary["status"] = result.Status == RunStatus.Ok ? "ok" : "failed";
            summary["stop_reason"] = result.StopReason;
            summary["message"] = result.Message;
            summary["num_steps_completed"] = result.StepsCompleted;
            summary["loss_init"] = JsonNumbers.Number(result.InitialLoss);
            summary["loss_final"] = JsonNumbers.Number(result.FinalLoss);
            summary["loss_best"] = JsonNumbers.Number(result.BestLoss);
            summary["best_step"] = result.BestStep;
            summary["evaluations"] = result.Evaluations;
            foreach (var (k, v) in result.Extra) summary[k] = ExtraValue(k, v);
        }
        else
        {
            summary["status"] = "failed";
            summary["stop_reason"] = StopReasons.Error;
            summary["message"] = crash;
            summary["num_steps_completed"] = Math.Max(trace.LastStep, 0);
            summary["loss_init"] = JsonNumbers.Number(trace.InitialLoss);
            summary["loss_final"] = JsonNumbers.Number(trace.LastLoss);
            summary["loss_best"] = JsonNumbers.Number(trace.BestLoss);
            summary["best_step"] = trace.BestStep;
        }
        summary["runtime_total_s"] = Math.Round(runtime, 6);
        return summary;
    }

    // An engine's extra summary value; one without a JSON form is recorded as a note (the run's result stands).
    internal static JsonNode? ExtraValue(string key, object? value)
    {
        try
        {
            return JsonNumbers.ToNode(value, key);
        }
        catch (UnserialisableValueException e)
        {
            return JsonValue.Create($"not recorded: {e.Reason}");
        }
    }

    // Truth, start and best values per θ index (when the objective knows its truth), and optional 1σ from the Hessian.
    private static void AddFitReport(JsonObject summary, IObjective objective, double[] theta0, double[]? best, double[]? sigma)
    {
        if (best is null) return;
        var truth = new double[theta0.Length];
        bool hasTruth = objective is ITruthProvider provider && provider.TryGetTruth(truth);
        var report = new JsonArray();
        foreach (var entry in objective.IndexMap.Entries)
        {
            for (int i = entry.Start; i < entry.Stop; i++)
            {
                var row = new JsonObject
                {
                    ["name"] = entry.Length == 1 ? entry.Name : $"{entry.Name}[{i - entry.Start}]",
                    ["initial"] = JsonNumbers.Number(theta0[i]),
                    ["best"] = JsonNumbers.Number(best[i]),
                };
                if (hasTruth)
                {
                    row["truth"] = JsonNumbers.Number(truth[i]);
                    row["error"] = JsonNumbers.Number(best[i] - truth[i]);
                }
                if (sigma is not null) row["sigma"] = JsonNumbers.Number(sigma[i]);
                report.Add(row);
            }
        }
        summary["parameters"] = report;
    }

    private static void PrintSummary(TextWriter o, string runDirectory, JsonObject s)
    {
        string F(string key) => s[key] is { } n ? n.ToJsonString() : "null";
        o.WriteLine($"run        {runDirectory}");
        o.WriteLine($"status     {s["status"]} ({s["stop_reason"]}){(s["message"]?.GetValue<string>() is { Length: > 0 } m ? ": " + m : "")}");
        o.WriteLine($"steps      {F("num_steps_completed")}");
        o.WriteLine($"loss       init {F("loss_init")}  final {F("loss_final")}  best {F("loss_best")} at step {F("best_step")}");
        o.WriteLine($"runtime    {F("runtime_total_s")} s");
        if (s["parameters"] is JsonArray rows && rows.Count <= 64 && rows.Count > 0 && rows[0]!["truth"] is not null)
        {
            o.WriteLine();
            bool sigma = rows[0]!["sigma"] is not null;
            o.WriteLine($"{"parameter",-34} {"truth",16} {"initial",16} {"best",16} {"best − truth",13}{(sigma ? $" {"σ",11} {"|err|/σ",8}" : "")}");
            foreach (var r in rows)
            {
                string N(string k) => r![k] is { } v ? v.GetValue<double>().ToString("G10", CultureInfo.InvariantCulture) : "-";
                string line = $"{r!["name"]!.GetValue<string>(),-34} {N("truth"),16} {N("initial"),16} {N("best"),16} {r["error"]!.GetValue<double>(),13:E2}";
                if (sigma)
                {
                    double sg = r["sigma"]?.GetValue<double>() ?? double.NaN;
                    line += $" {sg,11:E2} {Math.Abs(r["error"]!.GetValue<double>()) / sg,8:F2}";
                }
                o.WriteLine(line);
            }
        }
    }
}
