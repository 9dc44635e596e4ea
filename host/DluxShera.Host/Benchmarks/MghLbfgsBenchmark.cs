using System.Globalization;
using System.Text.Json.Nodes;
using DluxShera.Contracts;
using DluxShera.Host.Components;
using DluxShera.Host.Runs;

namespace DluxShera.Host.Benchmarks;

/// <summary>
/// Our <c>optimizer:lbfgs</c> (default options) against scipy's L-BFGS-B (defaults) on Moré–Garbow–Hillstrom
/// problems 1–18 from the standard starts: final f and loss+gradient evaluations, side by side.
/// </summary>
public static class MghLbfgsBenchmark
{
    /// <summary>Runs the comparison and prints a table.</summary>
    /// <param name="catalog">Registered components.</param>
    /// <param name="o">Output.</param>
    public static int Execute(ComponentCatalog catalog, TextWriter o)
    {
        JsonNode? scipy = null;
        string? python = BenchTiming.PythonWithNumpy();
        if (python is not null)
        {
            using var script = typeof(MghLbfgsBenchmark).Assembly.GetManifestResourceStream("DluxShera.Host.Benchmarks.mgh_scipy.py")!;
            try
            {
                scipy = JsonNode.Parse(BenchTiming.RunPython(python, new StreamReader(script).ReadToEnd()));
            }
            catch (InvalidOperationException e)
            {
                o.WriteLine($"scipy comparison unavailable ({e.Message.Split('\n').Last(l => l.Length > 0).Trim()}); apt-get install python3-scipy");
            }
        }
        o.WriteLine("| # | problem | n | known f* | ours: f | ours: evals | scipy L-BFGS-B: f | scipy: nfev | evals ratio |");
        o.WriteLine("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        int number = 0;
        foreach (int p in Enumerable.Range(1, 18))
        {
            number++;
            var objective = catalog.Create<IObjective>(ComponentKinds.Objective, new ComponentReference { Name = "mgh", Options = new JsonObject { ["problem"] = p } }, "bench");
            var engine = catalog.Create<IOptimizerEngine>(ComponentKinds.Optimizer, new ComponentReference { Name = "lbfgs" }, "bench");
            var theta0 = new double[objective.IndexMap.Dimension];
            objective.GetInitialTheta(theta0);
            var result = engine.Run(new OptimizationContext
            {
                Objective = objective,
                InitialTheta = theta0,
                Trace = DiscardingSink.Instance,
                Artifacts = DiscardingSink.Instance,
                Progress = new SilentProgress(),
                Components = catalog,
            });
            var known = objective.Describe()["known_minima"] as double[] ?? [];
            var s = scipy?[p.ToString(CultureInfo.InvariantCulture)];
            string F(double v) => v.ToString("G6", CultureInfo.InvariantCulture);
            string scipyF = s is null ? "-" : F(s["f"]!.GetValue<double>());
            string scipyN = s is null ? "-" : s["nfev"]!.GetValue<int>().ToString(CultureInfo.InvariantCulture);
            string ratio = s is null ? "-" : ((double)result.Evaluations / s["nfev"]!.GetValue<int>()).ToString("F2", CultureInfo.InvariantCulture);
            o.WriteLine($"| {p} | {objective.Name[7..]} | {objective.IndexMap.Dimension} | {string.Join(" / ", known.Select(F))} | {F(result.BestLoss)} | {result.Evaluations} | {scipyF} | {scipyN} | {ratio} |");
        }
        return ExitCodes.Ok;
    }
}
