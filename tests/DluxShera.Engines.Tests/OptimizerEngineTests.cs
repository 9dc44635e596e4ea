using System.Text.Json.Nodes;
using DluxShera.Contracts;
using DluxShera.Optimizers;
using DluxShera.Sdk;
using DluxShera.TestProblems;
using Xunit;

namespace DluxShera.Tests;

public class OptimizerEngineTests
{
    private static (OptimizationResult Result, MemorySink Sink) Run(IOptimizerEngine engine, IObjective objective, bool keepRows = true) =>
        EngineHarness.Run(engine, objective, keepRows);

    private static FirstOrderEngine Engine(string name, int steps, double lr, IGradientTransformation? transform, ScheduleOptions? schedule = null, StoppingOptions? stopping = null) =>
        EngineHarness.FirstOrder(name, steps, lr, transform, schedule, stopping);

    [Fact]
    public void Adam_reaches_the_rosenbrock_minimum()
    {
        var (result, _) = Run(Engine("adam", 5000, 0.02, new ScaleByAdam(0.9, 0.999, 1e-8, 0)), new Rosenbrock(new RosenbrockOptions()));
        Assert.Equal(RunStatus.Ok, result.Status);
        Assert.True(result.BestLoss < 1e-12, $"best loss {result.BestLoss}");
        Assert.Equal(1.0, result.BestTheta[0], 6);
        Assert.Equal(1.0, result.BestTheta[1], 6);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Momentum_solves_a_condition_100_quadratic(bool nesterov)
    {
        // Heavy-ball tuning for κ = 100 (L = 100, μ = 1): lr = 1/L, β = 0.8.
        var (result, _) = Run(Engine("momentum", 1000, 0.01, new Trace(0.8, nesterov)),
            new DiagonalQuadratic(new QuadraticOptions { Dimension = 10, Condition = 100 }));
        Assert.Equal(RunStatus.Ok, result.Status);
        Assert.True(result.FinalLoss < 1e-12, $"final loss {result.FinalLoss}");
    }

    [Fact]
    public void Rmsprop_settles_within_a_few_learning_rates_of_the_minimum()
    {
        var (result, _) = Run(Engine("rmsprop", 3000, 1e-3, new ScaleByRms(0.9, 1e-8, 0)),
            new DiagonalQuadratic(new QuadraticOptions { Dimension = 5, Condition = 1e4 }));
        Assert.Equal(RunStatus.Ok, result.Status);
        Assert.All(result.FinalTheta, x => Assert.True(Math.Abs(x) < 1e-2, $"|x| = {Math.Abs(x)}"));
    }

    [Fact]
    public void First_adam_step_is_the_learning_rate_times_the_gradient_sign()
    {
        // Optax scale_by_adam at t = 1: m̂ = g, v̂ = g², so u = g / (|g| + eps).
        var (_, sink) = Run(Engine("adam", 1, 0.1, new ScaleByAdam(0.9, 0.999, 1e-8, 0)), new Rosenbrock(new RosenbrockOptions()));
        double[] start = sink.Rows[0].Theta, next = sink.Rows[1].Theta;
        var grad = new double[2];
        new Rosenbrock(new RosenbrockOptions()).Evaluate(start, grad);
        for (int i = 0; i < 2; i++) Assert.Equal(-0.1 * Math.Sign(grad[i]), next[i] - start[i], 6);
        Assert.Equal(0.1 * Math.Sqrt(2), sink.Rows[1].StepNorm, 6);
    }

    [Fact]
    public void Gd_records_one_row_per_step_plus_the_start()
    {
        var (result, sink) = Run(Engine("gd", 25, 1e-3, null), new Rosenbrock(new RosenbrockOptions()));
        Assert.Equal(26, sink.Rows.Count);
        Assert.Equal(Enumerable.Range(0, 26), sink.Rows.Select(r => r.Step));
        Assert.Equal(0.0, sink.Rows[0].StepNorm);
        Assert.Equal(25, result.StepsCompleted);
        Assert.Equal(26, result.Evaluations);
    }

    [Theory]
    [InlineData("gd")]
    [InlineData("adam")]
    [InlineData("momentum")]
    [InlineData("rmsprop")]
    public void A_step_allocates_nothing(string name)
    {
        IGradientTransformation? Make() => name switch
        {
            "adam" => new ScaleByAdam(0.9, 0.999, 1e-8, 0),
            "momentum" => new Trace(0.9, true),
            "rmsprop" => new ScaleByRms(0.9, 1e-8, 0),
            _ => null,
        };
        var objective = new DiagonalQuadratic(new QuadraticOptions { Dimension = 1000, Condition = 10 });
        Run(Engine(name, 10, 1e-3, Make()), objective, keepRows: false); // warm up
        long before = GC.GetAllocatedBytesForCurrentThread();
        Run(Engine(name, 10, 1e-3, Make()), objective, keepRows: false);
        long shortRun = GC.GetAllocatedBytesForCurrentThread() - before;
        before = GC.GetAllocatedBytesForCurrentThread();
        Run(Engine(name, 2010, 1e-3, Make()), objective, keepRows: false);
        long longRun = GC.GetAllocatedBytesForCurrentThread() - before;
        // 2000 more steps must not allocate more (per-run buffers are the same size).
        Assert.True(longRun - shortRun < 1024, $"{name}: {longRun - shortRun} extra bytes over 2000 steps");
    }
}
