using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using DluxShera.Contracts;
using DluxShera.Host.Components;
using DluxShera.Host.Runs;

namespace DluxShera.Host.Benchmarks;

/// <summary>
/// Per-step cost of each engine with the objective's own cost subtracted, at several dimensions, and the
/// bytes allocated per step, with plain <c>gd</c> as the in-process baseline. Each engine runs N and 2N
/// steps; the difference divided by N excludes per-run setup (buffers, curvature at init).
/// </summary>
public static class EngineOverheadBenchmark
{
    private static readonly (string Engine, string Options)[] Engines =
    [
        ("gd", "{}"),
        ("momentum", "{\"nesterov\": true}"),
        ("adam", "{}"),
        ("rmsprop", "{}"),
        ("preconditioned_gd", "{\"curvature\": {\"name\": \"hutchinson\", \"options\": {\"probes\": 1}}}"),
    ];

    /// <summary>Runs the benchmark.</summary>
    /// <param name="catalog">Registered components.</param>
    /// <param name="dimensions">Dimensions D.</param>
    /// <param name="o">Output.</param>
    public static int Execute(ComponentCatalog catalog, IReadOnlyList<int> dimensions, TextWriter o)
    {
        IOptimizerEngine Create(string name, string options, int steps) =>
            catalog.Create<IOptimizerEngine>(ComponentKinds.Optimizer, new ComponentReference
            {
                Name = name,
                Options = StrictJsonBinder.Merge((JsonObject)JsonNode.Parse(options)!, new JsonObject { ["num_steps"] = steps }),
            }, "bench");

        o.WriteLine($"engine overhead per step, objective cost subtracted; {Environment.ProcessorCount} cores; trace rows discarded");
        o.WriteLine($"{"engine",-18} {"D",8} {"steps",7} {"µs/step",10} {"ns/(step·D)",12} {"vs gd",7} {"bytes/step",11}");
        foreach (int d in dimensions)
        {
            int steps = Math.Clamp(20_000_000 / d, 200, 200_000);
            var objective = new ScaledBowl(d);
            double objectiveSeconds = ObjectiveSeconds(objective, d);
            double? baseline = null;
            foreach (var (name, options) in Engines)
            {
                Run(Create(name, options, steps), objective, d); // warm-up (JIT)
                var (shortTime, shortBytes, shortResult) = Measure(Create(name, options, steps), objective, d);
                var (longTime, longBytes, longResult) = Measure(Create(name, options, 2 * steps), objective, d);
                int done = longResult.StepsCompleted - shortResult.StepsCompleted;
                if (done <= 0)
                {
                    o.WriteLine($"{name,-18} {d,8}  stopped after {shortResult.StepsCompleted} steps ({shortResult.StopReason}); no per-step figure");
                    continue;
                }
                int evaluations = longResult.Evaluations - shortResult.Evaluations;
                double perStep = (longTime - shortTime - evaluations * objectiveSeconds) / done;
                double bytes = longBytes - shortBytes;
                baseline ??= perStep;
                o.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{name,-18} {d,8} {done,7} {perStep * 1e6,10:F3} {perStep * 1e9 / d,12:F3} {perStep / baseline.Value,7:F2} {bytes / done,11:F1}"));
            }
        }
        return ExitCodes.Ok;
    }

    private static (double Seconds, long Bytes, OptimizationResult Result) Measure(IOptimizerEngine engine, IObjective objective, int d)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        var result = Run(engine, objective, d);
        return (clock.Elapsed.TotalSeconds, GC.GetAllocatedBytesForCurrentThread() - before, result);
    }

    private static OptimizationResult Run(IOptimizerEngine engine, IObjective objective, int d) => engine.Run(new OptimizationContext
    {
        Objective = objective,
        InitialTheta = Enumerable.Repeat(1.0, d).ToArray(),
        Trace = DiscardingSink.Instance,
        Artifacts = DiscardingSink.Instance,
        Progress = new SilentProgress(),
        Components = NoComponents.Instance,
    });

    private static double ObjectiveSeconds(IObjective objective, int d)
    {
        var theta = Enumerable.Repeat(1.0, d).ToArray();
        var g = new double[d];
        int calls = Math.Clamp(50_000_000 / d, 100, 2_000_000);
        for (int i = 0; i < calls / 10; i++) objective.Evaluate(theta, g);
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < calls; i++) objective.Evaluate(theta, g);
        return clock.Elapsed.TotalSeconds / calls;
    }

    /// <summary>f = ½ Σ cᵢ θᵢ² with cᵢ in [0.5, 1): the cheapest objective that still has a minimum, so engines keep stepping.</summary>
    private sealed class ScaledBowl(int d) : IObjective
    {
        private readonly double[] _c = Enumerable.Range(0, d).Select(i => 0.5 + 0.5 * i / d).ToArray();

        public string Name => "bench.bowl";

        public IndexMap IndexMap { get; } = IndexMap.SingleVector(d);

        public void GetInitialTheta(Span<double> theta) => theta.Fill(1);

        public double Evaluate(ReadOnlySpan<double> theta, Span<double> gradient)
        {
            System.Numerics.Tensors.TensorPrimitives.Multiply(theta, _c, gradient);
            return 0.5 * System.Numerics.Tensors.TensorPrimitives.Dot(theta, gradient) + 1.0;
        }

        public IReadOnlyDictionary<string, object?> Describe() => new Dictionary<string, object?> { ["name"] = Name };
    }

    private sealed class NoComponents : IComponentResolver
    {
        public static readonly NoComponents Instance = new();

        public bool Has(string kind, string name) => false;

        public T Create<T>(string kind, ComponentReference reference, string optionsPath) where T : class =>
            throw new NotSupportedException("the benchmark resolves no components at run time");
    }
}
