using System.CommandLine;
using DluxShera.Contracts;
using DluxShera.Host.Experiments;
using DluxShera.Host.Inspection;
using DluxShera.Host.Plugins;
using DluxShera.Host.Runs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace DluxShera.Host.Cli;

/// <summary>The <c>dluxshera</c> command tree (System.CommandLine).</summary>
public static class CommandLine
{
    /// <summary>Test seam: when set (per async flow), the named command throws this exception before doing
    /// anything, so the no-stack-trace guarantee can be checked for every command.</summary>
    internal static readonly AsyncLocal<(string Command, Exception Error)?> InjectedFault = new();

    /// <summary>Parses and runs; returns the exit code (<see cref="ExitCodes"/>). No exception escapes: an
    /// unexpected one is written to a crash log, reported in one line, and gives exit 70.</summary>
    /// <param name="args">Arguments.</param>
    /// <param name="stdout">Standard output.</param>
    /// <param name="stderr">Standard error.</param>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        try
        {
            return Dispatch(args, stdout, stderr);
        }
        catch (Exception e)
        {
            return Report(e, args, stderr);
        }
    }

    private static int Dispatch(string[] args, TextWriter stdout, TextWriter stderr)
    {
        int Guarded(TextWriter errors, Func<int> action) => GuardedCommand(args, errors, action);
        var pluginsOption = new Option<string?>("--plugins") { Description = "plugins.json to use (default: the nearest one above the current directory)", Recursive = true };
        var verboseOption = new Option<bool>("--verbose") { Description = "log informational messages to stderr", Recursive = true };
        var pluginOption = new Option<string[]>("--plugin") { Description = "load this plugin assembly too, on top of plugins.json and its plugins.d/ (repeatable)", Recursive = true };
        var root = new RootCommand("dluxshera: fit and sample differentiable telescope models; every run is numpy-readable artifacts.");
        root.Options.Add(pluginsOption);
        root.Options.Add(verboseOption);
        root.Options.Add(pluginOption);
        IHost BuildHost(ParseResult p) => Workbench.Build(p.GetValue(pluginsOption), p.GetValue(verboseOption), p.GetValue(pluginOption) ?? []);

        var plugins = new Command("plugins", "Inspect the plugins of plugins.json.");
        var list = new Command("list", "List loaded plugins: id, version, contract version, path and components.");
        var jsonOption = new Option<bool>("--json") { Description = "machine-readable JSON" };
        list.Options.Add(jsonOption);
        list.SetAction(p => Guarded(stderr, () =>
        {
            using var host = BuildHost(p);
            return PluginsListCommand.Execute(host.Services.GetRequiredService<PluginRegistry>(), p.GetValue(jsonOption), stdout);
        }));
        plugins.Subcommands.Add(list);
        root.Subcommands.Add(plugins);

        var run = new Command("run", "Run the optimisation a run spec describes and write its run directory.");
        var specArgument = new Argument<string>("spec") { Description = "the run spec (JSON); see docs/run-spec.md" };
        var outOption = new Option<string?>("--out") { Description = "directory that holds run directories (overrides run.out)" };
        var setOption = new Option<string[]>("--set") { Description = "override a spec value: key.path=value (repeatable; JSON values, else strings)", AllowMultipleArgumentsPerToken = false };
        var quietOption = new Option<bool>("--quiet") { Description = "no progress and no summary table (prints the run directory only)" };
        var overwriteOption = new Option<bool>("--overwrite") { Description = "replace an existing run directory with the same run id" };
        run.Arguments.Add(specArgument);
        run.Options.Add(outOption);
        run.Options.Add(setOption);
        run.Options.Add(quietOption);
        run.Options.Add(overwriteOption);
        run.SetAction(p => Guarded(stderr, () =>
        {
            using var interruption = new RunInterruption(RunInterruption.GraceFromEnvironment()).Listen();
            using var host = BuildHost(p);
            var request = new RunRequest(p.GetValue(specArgument)!, p.GetValue(setOption) ?? [], p.GetValue(outOption), p.GetValue(quietOption), p.GetValue(overwriteOption));
            return host.Services.GetRequiredService<RunPipeline>().Execute(request, stdout, stderr, interruption);
        }));
        root.Subcommands.Add(run);

        var simulate = new Command("simulate", "Write the simulated data of a spec's objective: data.npz (image, variance, seeds) and truth.json.");
        var simulateSpec = new Argument<string>("spec") { Description = "the run spec whose objective simulates data" };
        var simulateOut = new Option<string>("--out") { Description = "output directory", DefaultValueFactory = _ => "simulated" };
        var simulateSet = new Option<string[]>("--set") { Description = "override a spec value: key.path=value (repeatable)" };
        var simulateOverwrite = new Option<bool>("--overwrite") { Description = "replace data.npz and truth.json if they exist" };
        simulate.Arguments.Add(simulateSpec);
        simulate.Options.Add(simulateOut);
        simulate.Options.Add(simulateSet);
        simulate.Options.Add(simulateOverwrite);
        simulate.SetAction(p => Guarded(stderr, () =>
        {
            using var host = BuildHost(p);
            return SimulateCommand.Execute(host.Services.GetRequiredService<Components.ComponentCatalog>(), p.GetValue(simulateSpec)!,
                p.GetValue(simulateSet) ?? [], p.GetValue(simulateOut)!, p.GetValue(simulateOverwrite), stdout);
        }));
        root.Subcommands.Add(simulate);

        var checkGradients = new Command("check-gradients", "Check the objective the spec's run optimises (through its theta_map): gradient vs finite differences, JVP/VJP adjoint, residual and per-observation sums, HVPs. Exit 1 when any check disagrees.");
        var checkSpec = new Argument<string>("spec") { Description = "the run spec whose objective to check" };
        var checkAt = new Option<Diagnostics.CheckPoint>("--at") { Description = "where: initial (θ₀), truth, or random (θ₀ moved by a seeded 5 %)", DefaultValueFactory = _ => Diagnostics.CheckPoint.Initial };
        var checkSeed = new Option<ulong?>("--seed") { Description = "seed of the random point and directions (default: run.seed)" };
        var checkSet = new Option<string[]>("--set") { Description = "override a spec value: key.path=value (repeatable)" };
        var checkRtol = new Option<double>("--rtol") { Description = "relative tolerance of derivative comparisons", DefaultValueFactory = _ => 1e-6 };
        var checkMaxObservations = new Option<int>("--max-observations") { Description = "sum all per-observation terms up to this many (else check a sample)", DefaultValueFactory = _ => 512 };
        var checkPrimitive = new Option<bool>("--primitive") { Description = "check the bare objective in primitive θ, ignoring the spec's theta_map (default: the objective the run optimises, through theta_map)" };
        checkGradients.Arguments.Add(checkSpec);
        checkGradients.Options.Add(checkAt);
        checkGradients.Options.Add(checkSeed);
        checkGradients.Options.Add(checkSet);
        checkGradients.Options.Add(checkRtol);
        checkGradients.Options.Add(checkMaxObservations);
        checkGradients.Options.Add(checkPrimitive);
        checkGradients.SetAction(p => Guarded(stderr, () =>
        {
            using var host = BuildHost(p);
            var settings = new Diagnostics.GradientCheckSettings { Rtol = p.GetValue(checkRtol), MaxObservations = p.GetValue(checkMaxObservations) };
            return Diagnostics.CheckGradientsCommand.Execute(host.Services.GetRequiredService<Components.ComponentCatalog>(), p.GetValue(checkSpec)!,
                p.GetValue(checkSet) ?? [], p.GetValue(checkAt), p.GetValue(checkSeed), settings, stdout, p.GetValue(checkPrimitive));
        }));
        root.Subcommands.Add(checkGradients);

        var plot = new Command("plot", "Rebuild signals.npz and the figures of a run from its artifacts alone.");
        var plotRunDir = new Argument<string>("run_dir") { Description = "a run directory" };
        var formatOption = new Option<string>("--format") { Description = "png or svg", DefaultValueFactory = _ => "png" };
        var recipeOption = new Option<string?>("--recipe") { Description = "signal recipe: a name or JSON {\"name\", \"options\"} (default: the recipe the run recorded, else shera for SHERA runs, else generic)" };
        var plotOut = new Option<string?>("--out") { Description = "write signals.npz and figures/ here instead of into the run directory (e.g. for a read-only run)" };
        var maxRowsOption = new Option<long?>("--max-rows") { Description = "at most this many trace rows in signals and figures (default: all up to 100,000 rows or 256 MiB; larger traces are streamed and decimated, keeping the first, lowest-loss and last rows)" };
        plot.Arguments.Add(plotRunDir);
        plot.Options.Add(formatOption);
        plot.Options.Add(maxRowsOption);
        plot.Options.Add(recipeOption);
        plot.Options.Add(plotOut);
        plot.SetAction(p => Guarded(stderr, () =>
        {
            using var host = BuildHost(p);
            foreach (string file in SignalProducer.Produce(host.Services.GetRequiredService<Components.ComponentCatalog>(),
                p.GetValue(plotRunDir)!, SignalProducer.ParseRecipe(p.GetValue(recipeOption)), p.GetValue(formatOption)!, p.GetValue(plotOut),
                maxRows: p.GetValue(maxRowsOption)).Files)
            {
                stdout.WriteLine(file);
            }
            return ExitCodes.Ok;
        }));
        root.Subcommands.Add(plot);

        var inspect = new Command("inspect", "Show a run directory: status, losses, the IndexMap and the artifacts present.");
        var runDirArgument = new Argument<string>("run_dir") { Description = "a run directory" };
        inspect.Arguments.Add(runDirArgument);
        inspect.SetAction(p => Guarded(stderr, () => InspectCommand.Execute(p.GetValue(runDirArgument)!, stdout)));
        root.Subcommands.Add(inspect);

        var experiment = new Command("experiment", "Work with experiments (many runs under experiments/<name>/runs/).");
        var aggregate = new Command("aggregate", "Write table.csv and table.parquet: one row per run from summary.json plus chosen meta.json keys.");
        var experimentDirArgument = new Argument<string>("experiment_dir") { Description = "the experiment directory (holding runs/)" };
        var metaOption = new Option<string?>("--meta") { Description = "comma-separated dotted meta.json keys to add as columns, e.g. optimizer.name,objective.options.condition" };
        aggregate.Arguments.Add(experimentDirArgument);
        aggregate.Options.Add(metaOption);
        aggregate.SetAction(p => Guarded(stderr, () =>
            AggregateCommand.Execute(p.GetValue(experimentDirArgument)!, p.GetValue(metaOption), stdout)));
        experiment.Subcommands.Add(aggregate);
        AddExperimentCommands(experiment, pluginsOption, pluginOption, stdout, stderr, Guarded);
        root.Subcommands.Add(experiment);

        var bench = new Command("bench", "Benchmarks that print ratios against a baseline measured in the same invocation.");
        var npz = new Command("npz", "Write and read a T x D float64 trace: ours vs numpy's savez/load on this machine.");
        var rowsOption = new Option<int>("--rows") { Description = "T", DefaultValueFactory = _ => 100_000 };
        var colsOption = new Option<int>("--cols") { Description = "D", DefaultValueFactory = _ => 64 };
        var repeatOption = new Option<int>("--repeat") { Description = "timed repetitions (median reported)", DefaultValueFactory = _ => 5 };
        npz.Options.Add(rowsOption);
        npz.Options.Add(colsOption);
        npz.Options.Add(repeatOption);
        npz.SetAction(p => Guarded(stderr, () => Benchmarks.NpzBenchmark.Execute(p.GetValue(rowsOption), p.GetValue(colsOption), p.GetValue(repeatOption), stdout)));
        bench.Subcommands.Add(npz);
        var engines = new Command("engines", "Engine overhead per step (objective cost subtracted) and bytes allocated per step, vs gd.");
        var dimsOption = new Option<string>("--dims") { Description = "comma-separated dimensions", DefaultValueFactory = _ => "23,1000,100000" };
        engines.Options.Add(dimsOption);
        engines.SetAction(p => Guarded(stderr, () =>
        {
            using var host = BuildHost(p);
            var dims = p.GetValue(dimsOption)!.Split(',').Select(s => int.Parse(s, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            return Benchmarks.EngineOverheadBenchmark.Execute(host.Services.GetRequiredService<Components.ComponentCatalog>(), dims, stdout);
        }));
        bench.Subcommands.Add(engines);
        var mgh = new Command("mgh", "optimizer:lbfgs vs scipy L-BFGS-B on Moré–Garbow–Hillstrom 1–18: final f and evaluations.");
        mgh.SetAction(p => Guarded(stderr, () =>
        {
            using var host = BuildHost(p);
            return Benchmarks.MghLbfgsBenchmark.Execute(host.Services.GetRequiredService<Components.ComponentCatalog>(), stdout);
        }));
        bench.Subcommands.Add(mgh);
        var shera = new Command("shera", "SHERA loss+gradient and forward timings, gradient/forward ratio, peak memory, vs numpy's forward pass.");
        var presetsOption = new Option<string>("--presets") { Description = "comma-separated objective:shera presets", DefaultValueFactory = _ => "testbed-2p-test,testbed-2p-production,flight-2p-production" };
        shera.Options.Add(presetsOption);
        var backendOption = new Option<string>("--backend") { Description = "backend of the batched rows: cpu, cuda, auto or ilgpu-cpu", DefaultValueFactory = _ => "cpu" };
        shera.Options.Add(backendOption);
        var batchesOption = new Option<string>("--batches") { Description = "comma-separated batch sizes B of the batched rows (empty: none)", DefaultValueFactory = _ => "1,8" };
        shera.Options.Add(batchesOption);
        var sheraOptionsOption = new Option<string?>("--options") { Description = "JSON merged into every preset's objective options, e.g. '{\"optics\": {\"pupil_npix\": 16}}'" };
        shera.Options.Add(sheraOptionsOption);
        shera.SetAction(p => Guarded(stderr, () =>
        {
            var batches = p.GetValue(batchesOption)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(b => int.TryParse(b, out int n) && n > 0 ? n : throw new BadInputException($"--batches: '{b}' is not a positive integer (expected e.g. 1,8,64)."))
                .ToArray();
            string? overridesText = p.GetValue(sheraOptionsOption);
            System.Text.Json.Nodes.JsonObject? overrides = null;
            try
            {
                overrides = overridesText is null ? null : System.Text.Json.Nodes.JsonNode.Parse(overridesText) as System.Text.Json.Nodes.JsonObject
                    ?? throw new BadInputException($"--options: expected a JSON object, got '{overridesText}'.");
            }
            catch (System.Text.Json.JsonException e)
            {
                throw new BadInputException($"--options: not valid JSON ({e.Message}).");
            }
            using var host = BuildHost(p);
            return Benchmarks.SheraBenchmark.Execute(host.Services.GetRequiredService<Components.ComponentCatalog>(), p.GetValue(presetsOption)!.Split(','), stdout,
                p.GetValue(backendOption)!, batches, overrides);
        }));
        bench.Subcommands.Add(shera);
        var samplers = new Command("samplers", "sampler:nuts on the Stan benchmark targets (tools/stan-bench): ESS per gradient and per CPU second.");
        var samplersJsonOption = new Option<bool>("--json") { Description = "also print the rows as one JSON object" };
        var samplersSeedsOption = new Option<string>("--seeds")
        {
            Description = "comma-separated sampler seeds, one run per target each; several seeds add the mean and sd of ESS per gradient",
            DefaultValueFactory = _ => Benchmarks.SamplerBenchmark.DefaultSeed.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        var samplersTargetsOption = new Option<string?>("--targets") { Description = "comma-separated target names (default: all four)" };
        samplers.Options.Add(samplersJsonOption);
        samplers.Options.Add(samplersSeedsOption);
        var samplersFixedStepOption = new Option<double?>("--fixed-step")
        {
            Description = "check the kernel alone: no warm-up or adaptation, this step size, identity metric, chains started at 0",
        };
        var samplersDrawsOption = new Option<int>("--draws") { Description = "draws per chain with --fixed-step", DefaultValueFactory = _ => 10000 };
        samplers.Options.Add(samplersTargetsOption);
        samplers.Options.Add(samplersFixedStepOption);
        samplers.Options.Add(samplersDrawsOption);
        var samplersMetricOption = new Option<string>("--metric")
        {
            Description = "diag: adapt a diagonal metric in Stan's windows (Stan's diag_e); unit: identity metric, step size adapted alone (Stan's unit_e)",
            DefaultValueFactory = _ => "diag",
        };
        samplers.Options.Add(samplersMetricOption);
        samplers.SetAction(p => Guarded(stderr, () =>
        {
            var seeds = p.GetValue(samplersSeedsOption)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(s => ulong.TryParse(s, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out ulong v) ? v
                    : throw new BadInputException($"--seeds: '{s}' is not a non-negative integer (expected e.g. 1,2,3)."))
                .ToArray();
            if (seeds.Length == 0) throw new BadInputException("--seeds: expected at least one seed (e.g. 1,2,3).");
            var targets = p.GetValue(samplersTargetsOption)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            double? fixedStep = p.GetValue(samplersFixedStepOption);
            int draws = p.GetValue(samplersDrawsOption);
            if (fixedStep is { } step && !(step > 0 && double.IsFinite(step))) throw new BadInputException($"--fixed-step: expected a positive step size, got {step}.");
            if (draws < 4) throw new BadInputException($"--draws: expected at least 4 draws per chain, got {draws}.");
            string metric = p.GetValue(samplersMetricOption)!;
            if (metric is not ("diag" or "unit")) throw new BadInputException($"--metric: expected diag or unit, got '{metric}'.");
            using var host = BuildHost(p);
            return Benchmarks.SamplerBenchmark.Execute(host.Services.GetRequiredService<Components.ComponentCatalog>(), stdout, p.GetValue(samplersJsonOption),
                seeds, targets, fixedStep is { } eps ? new Benchmarks.SamplerBenchmark.FixedStep(eps, draws) : null, adaptMetric: metric == "diag");
        }));
        bench.Subcommands.Add(samplers);
        root.Subcommands.Add(bench);

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors) stderr.WriteLine($"dluxshera: {error.Message}");
            stderr.WriteLine("Run 'dluxshera --help' (or '<command> --help') for usage.");
            return ExitCodes.BadInput;
        }
        return parsed.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr });
    }

    // experiment run / status / submit / report (aggregate is above, where it has always been).
    private static void AddExperimentCommands(Command experiment, Option<string?> pluginsOption, Option<string[]> pluginOption, TextWriter stdout, TextWriter stderr, Func<TextWriter, Func<int>, int> Guarded)
    {
        var run = new Command("run", "Run every point of an experiment spec (sweep or time series) that is not done yet; see docs/experiments.md.");
        var spec = new Argument<string>("spec") { Description = "the experiment spec (JSON)" };
        var outOption = new Option<string?>("--out") { Description = "directory holding experiments (default: the spec's \"out\", else experiments/)" };
        var workers = new Option<int>("--workers") { Description = "points run in parallel (0: as many as cores and memory allow)", DefaultValueFactory = _ => 0 };
        var shard = new Option<string?>("--shard") { Description = "run only shard i of n (i/n); default from SLURM_ARRAY_TASK_ID/COUNT or JOB_COMPLETION_INDEX/JOB_COMPLETIONS" };
        var retry = new Option<bool>("--retry-failed") { Description = "run points whose earlier run failed again" };
        var figures = new Option<bool>("--figures") { Description = "per-run figures (off inside experiments; signals.npz is written either way)" };
        var isolation = new Option<string>("--isolation") { Description = "threads (one workbench per worker thread) or processes (one dluxshera run per point)", DefaultValueFactory = _ => "threads" };
        foreach (var option in new Option[] { outOption, workers, shard, retry, figures, isolation }) run.Options.Add(option);
        run.Arguments.Add(spec);
        run.SetAction(p => Guarded(stderr, () =>
        {
            var mode = p.GetValue(isolation) switch
            {
                "threads" => PointIsolation.Threads,
                "processes" => PointIsolation.Processes,
                var other => throw new BadInputException($"--isolation '{other}': expected threads or processes."),
            };
            var request = new ExperimentRunRequest(p.GetValue(spec)!, p.GetValue(outOption), p.GetValue(workers), p.GetValue(shard), p.GetValue(retry),
                p.GetValue(figures), mode, Path.GetFullPath(PluginsFile.Locate(p.GetValue(pluginsOption))), ExtraPluginPaths(p, pluginOption));
            using var cancel = new CancellationTokenSource();
            // SIGINT (Ctrl+C) and SIGTERM (the scheduler's time limit): start nothing new, stop running points cleanly;
            // the exit code is then the signal's (130, 143), as for `run`.
            int? signalled = null;
            void Stop(System.Runtime.InteropServices.PosixSignalContext c, int code)
            {
                c.Cancel = true;
                signalled ??= code;
                cancel.Cancel();
            }
            using var sigint = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, c => Stop(c, ExitCodes.Interrupted));
            using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c => Stop(c, ExitCodes.Terminated));
            int result = ExperimentRunner.Execute(request, stdout, stderr, cancel.Token);
            return signalled ?? result;
        }));
        experiment.Subcommands.Add(run);

        var status = new Command("status", "Count an experiment's points by state (ok, failed, running, pending) and list those not ok; safe while it runs.");
        var statusDir = new Argument<string>("experiment_dir") { Description = "the experiment directory" };
        var json = new Option<bool>("--json") { Description = "machine-readable JSON" };
        status.Arguments.Add(statusDir);
        status.Options.Add(json);
        status.SetAction(p => Guarded(stderr, () => StatusCommand.Execute(p.GetValue(statusDir)!, p.GetValue(json), stdout)));
        experiment.Subcommands.Add(status);

        var submit = new Command("submit", "Write an sbatch array script for an experiment (shards over SLURM_ARRAY_TASK_ID) and submit it; see docs/experiments.md.");
        var submitSpec = new Argument<string>("spec") { Description = "the experiment spec (JSON)" };
        var slurm = new Option<bool>("--slurm") { Description = "submit to Slurm (the only scheduler for now)" };
        var submitOut = new Option<string?>("--out") { Description = "directory holding experiments, on a filesystem every node sees" };
        var arraySize = new Option<int>("--array-size") { Description = "array tasks (default: one per point, at most 1000)", DefaultValueFactory = _ => 0 };
        var partition = new Option<string?>("--partition") { Description = "Slurm partition" };
        var time = new Option<string?>("--time") { Description = "time limit per task, e.g. 02:00:00" };
        var cpus = new Option<int>("--cpus-per-task") { Description = "CPUs per task; each task runs that many points at once", DefaultValueFactory = _ => 1 };
        var memory = new Option<string?>("--mem") { Description = "memory per task, e.g. 4G" };
        var account = new Option<string?>("--account") { Description = "Slurm account" };
        var dryRun = new Option<bool>("--dry-run") { Description = "print the sbatch script; write and submit nothing" };
        submit.Arguments.Add(submitSpec);
        foreach (var option in new Option[] { slurm, submitOut, arraySize, partition, time, cpus, memory, account, dryRun }) submit.Options.Add(option);
        submit.SetAction(p => Guarded(stderr, () =>
        {
            if (!p.GetValue(slurm)) throw new BadInputException("experiment submit: pass --slurm (Slurm is the scheduler supported; Kubernetes indexed Jobs run 'experiment run' directly, see docs/experiments.md).");
            var request = new SlurmSubmitRequest(p.GetValue(submitSpec)!, p.GetValue(submitOut), p.GetValue(arraySize), p.GetValue(partition), p.GetValue(time),
                p.GetValue(cpus), p.GetValue(memory), p.GetValue(account), p.GetValue(dryRun), Path.GetFullPath(PluginsFile.Locate(p.GetValue(pluginsOption))),
                ExtraPluginPaths(p, pluginOption));
            return SlurmSubmit.Execute(request, stdout, stderr);
        }));
        experiment.Subcommands.Add(submit);

        var report = new Command("report", "Write one self-contained HTML page: the run table (sortable, filterable by status), the ensemble statistics and figures, links to each run's figures.");
        var reportDir = new Argument<string>("experiment_dir") { Description = "the experiment directory" };
        var reportOut = new Option<string?>("--out") { Description = "the HTML file (default: <experiment_dir>/report.html)" };
        report.Arguments.Add(reportDir);
        report.Options.Add(reportOut);
        report.SetAction(p => Guarded(stderr, () => ReportCommand.Execute(p.GetValue(reportDir)!, p.GetValue(reportOut), stdout)));
        experiment.Subcommands.Add(report);
    }

    // --plugin values made absolute: points run as threads, children or Slurm tasks, from other working directories.
    private static string[] ExtraPluginPaths(ParseResult p, Option<string[]> pluginOption) =>
        (p.GetValue(pluginOption) ?? []).Select(Path.GetFullPath).ToArray();

    private static int GuardedCommand(string[] args, TextWriter stderr, Func<int> action)
    {
        try
        {
            if (InjectedFault.Value is { } fault && args.Contains(fault.Command)) throw fault.Error;
            return action();
        }
        catch (Exception e)
        {
            return Report(e, args, stderr);
        }
    }

    /// <summary>Turns any exception into one line on stderr and an exit code; unexpected ones also get a crash log.</summary>
    /// <param name="error">The exception.</param>
    /// <param name="args">The command line (for the crash log).</param>
    /// <param name="stderr">Standard error.</param>
    internal static int Report(Exception error, IReadOnlyList<string> args, TextWriter stderr)
    {
        switch (error)
        {
            case BadInputException or ArtifactException or ComponentOptionsException:
                stderr.WriteLine($"dluxshera: error: {OneLine(error.Message)}");
                return ExitCodes.BadInput;
            case UnauthorizedAccessException or IOException:
                // A path that cannot be read or written (permissions, read-only filesystem, a file where a
                // directory is needed): .NET's message names the path and the OS reason.
                stderr.WriteLine($"dluxshera: error: {OneLine(error.Message)}");
                return ExitCodes.BadInput;
            case OperationCanceledException:
                stderr.WriteLine("dluxshera: interrupted.");
                return ExitCodes.Interrupted;
        }
        string? log = CrashLog.Write(error, args);
        stderr.WriteLine($"dluxshera: internal error ({error.GetType().Name}: {OneLine(error.Message)}); " +
            (log is null ? "no crash log could be written." : $"details in {log}") + " — please report it.");
        return ExitCodes.InternalError;
    }

    private static string OneLine(string message) => message.ReplaceLineEndings(" ").Trim();
}
