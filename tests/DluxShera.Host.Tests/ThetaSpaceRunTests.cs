using System.Text.Json.Nodes;
using DluxShera.Artifacts;
using DluxShera.Theta;
using Xunit;

namespace DluxShera.Tests;

/// <summary>Runs in eigen and unconstrained θ-space through the host: recording, decoding, warm starts, SHERA's spectrum.</summary>
public class ThetaSpaceRunTests
{
    private static (Dluxshera.Result Result, string Dir) Run(TempDirectory tmp, string example, string id, params string[] sets)
    {
        var args = new List<string> { "run", RepoPaths.Example(example), "--quiet", "--out", tmp.Path, "--plugins", RepoPaths.PluginsJson, "--set", $"run.id={id}" };
        foreach (string s in sets) { args.Add("--set"); args.Add(s); }
        return (Dluxshera.Invoke([.. args]), tmp.Combine(id));
    }

    private static double[] Best(string dir) => RunArtifacts.LoadSummary(dir)["parameters"]!.AsArray().Select(p => p!["best"]!.GetValue<double>()).ToArray();

    [Fact]
    public void Shera_eigen_fit_records_its_map_reaches_the_primitive_optimum_and_its_stiffest_mode_is_the_plate_scale()
    {
        using var tmp = RepoPaths.Temp();
        var (eigen, eigenDir) = Run(tmp, "shera-eigen.json", "eigen", "run.figures=false");
        Assert.True(eigen.ExitCode == 0, eigen.ToString());
        var meta = RunArtifacts.LoadMeta(eigenDir);
        var theta = meta["theta"]!;
        Assert.Equal("eigen", theta["theta_space"]!.GetValue<string>());
        Assert.Equal("eigen.mode[00]", theta["index_map"]!["entries"]![0]!["name"]!.GetValue<string>());
        Assert.Equal("binary.separation_as", theta["primitive_index_map"]!["entries"]![0]!["name"]!.GetValue<string>());

        // theta_map.npz alone (with meta.json) decodes the trace; its hash is the recorded one.
        var reader = new FilesystemRunReader(eigenDir);
        var chain = ThetaMapArtifacts.Load(meta, reader.LoadArrays(ThetaMapArtifacts.FileName), eigenDir);
        Assert.Equal(theta["theta_map_hash"]!.GetValue<string>(), chain.Hash);
        var best = reader.LoadCheckpoint("best")!;
        var decoded = new double[chain.PrimitiveDimension];
        chain.ToPrimitive(best.Theta, decoded);
        var reported = Best(eigenDir);
        for (int i = 0; i < decoded.Length; i++) Assert.Equal(reported[i], decoded[i], 12);

        // The stiffest Fisher mode at the nominal point is (almost) the plate scale alone, the next the total flux: the
        // image's size and brightness are what every pixel measures.
        var eigenStage = (EigenThetaMap)chain.Stages[0];
        var names = chain.PrimitiveIndexMap.Entries.SelectMany(e => Enumerable.Range(0, e.Length).Select(_ => e.Name)).ToArray();
        string Dominant(int mode, out double loading)
        {
            int k = eigenStage.ThetaDimension, arg = 0;
            for (int i = 0; i < names.Length; i++) if (Math.Abs(eigenStage.Basis[i * k + mode]) > Math.Abs(eigenStage.Basis[arg * k + mode])) arg = i;
            loading = Math.Abs(eigenStage.Basis[arg * k + mode]);
            return names[arg];
        }
        Assert.Equal("system.plate_scale_as_per_pix", Dominant(0, out double first));
        Assert.True(first > 0.99, $"plate-scale loading of mode 0: {first}");
        Assert.Equal("binary.log_flux_total", Dominant(1, out double second));
        Assert.True(second > 0.99, $"flux loading of mode 1: {second}");

        // The same optimum as a primitive-space fit (Levenberg–Marquardt on the same data), within a small fraction of σ.
        var (primitive, primitiveDir) = Run(tmp, "shera-eigen.json", "primitive", "run.figures=false", "run.uncertainty=false", "theta_map.name=identity", "theta_map.options=null",
            "optimizer.name=levenberg_marquardt", "optimizer.options=null", "optimizer.options.num_steps=50");
        Assert.True(primitive.ExitCode == 0, primitive.ToString());
        var rows = RunArtifacts.LoadSummary(eigenDir)["parameters"]!.AsArray();
        var other = Best(primitiveDir);
        for (int i = 0; i < rows.Count; i++)
        {
            double sigma = rows[i]!["sigma"]!.GetValue<double>();
            Assert.True(Math.Abs(reported[i] - other[i]) < 0.01 * sigma, $"{rows[i]!["name"]}: eigen {reported[i]} vs primitive {other[i]} (σ {sigma})");
        }
        Assert.True(RunArtifacts.LoadSummary(eigenDir)["num_steps_completed"]!.GetValue<int>() <= 20);
    }

    [Fact]
    public void Truncated_eigen_example_keeps_the_astrometry_modes_freezes_the_Zernike_modes_and_converges_near_the_truth()
    {
        using var tmp = RepoPaths.Temp();
        var (run, dir) = Run(tmp, "shera-eigen-truncated.json", "t", "run.figures=false");
        Assert.True(run.ExitCode == 0, run.ToString());
        var stage = RunArtifacts.LoadMeta(dir)["theta"]!["theta_map"]!["stages"]![0]!;
        Assert.Equal(7, stage["kept_count"]!.GetValue<int>());
        Assert.Equal(8, stage["dropped_count"]!.GetValue<int>());
        // Every kept mode is led by an astrometry/photometry parameter (the 8 dropped ones are the Zernike modes).
        var meta = RunArtifacts.LoadMeta(dir);
        var reader = new FilesystemRunReader(dir);
        var chain = ThetaMapArtifacts.Load(meta, reader.LoadArrays(ThetaMapArtifacts.FileName), dir);
        var eigen = (EigenThetaMap)chain.Stages[0];
        var names = chain.PrimitiveIndexMap.Entries.SelectMany(e => Enumerable.Range(0, e.Length).Select(_ => e.Name)).ToArray();
        var basis = eigen.Basis.ToArray();
        int k = eigen.ThetaDimension;
        for (int mode = 0; mode < k; mode++)
        {
            int arg = Enumerable.Range(0, names.Length).MaxBy(i => Math.Abs(basis[i * k + mode]));
            Assert.DoesNotContain("zernike", names[arg]);
        }
        var summary = RunArtifacts.LoadSummary(dir);
        Assert.Equal("ok", summary["status"]!.GetValue<string>());
        Assert.True(summary["num_steps_completed"]!.GetValue<int>() <= 20);
        // The separation (truth 10.00005″) to within 5 µas: the Fisher σ at this flux is ≈ 13 µas, the 15-mode fit's error 1.3 µas.
        var separation = summary["parameters"]!.AsArray().Single(p => p!["name"]!.GetValue<string>() == "binary.separation_as")!;
        Assert.InRange(separation["error"]!.GetValue<double>(), -5e-6, 5e-6);
    }

    [Fact]
    public void Unconstrained_run_warm_starts_an_eigen_run_and_a_foreign_layout_is_refused_naming_both_hashes()
    {
        using var tmp = RepoPaths.Temp();
        var (u, uDir) = Run(tmp, "rosenbrock-lbfgs.json", "u", "run.figures=true",
            "theta_map={\"name\":\"unconstrained\",\"options\":{\"bijectors\":{\"x\":{\"kind\":\"logit\",\"lower\":-5,\"upper\":5}}}}", "optimizer.options.num_steps=40");
        Assert.True(u.ExitCode == 0, u.ToString());
        var meta = RunArtifacts.LoadMeta(uDir);
        Assert.Equal("unconstrained", meta["theta"]!["theta_space"]!.GetValue<string>());
        Assert.Equal("logit(x)", meta["theta"]!["index_map"]!["entries"]![0]!["name"]!.GetValue<string>());
        // Signals are in primitive values: x = −5 + 10 σ(z) from the decoder, not z.
        var trace = RunArtifacts.LoadTrace(uDir);
        var signals = DluxShera.Numpy.NpzFile.Load(Path.Combine(uDir, RunLayout.Signals));
        var x = signals["x"].ToDoubles();
        Assert.Equal(-5 + 10 / (1 + Math.Exp(-trace.Theta[^2])), x[^2], 12);

        // Warm start in another θ-space: the unconstrained run's best, decoded, is the eigen run's starting point.
        var (e, eDir) = Run(tmp, "rosenbrock-lbfgs.json", "e", "run.figures=false", $"run.init_from={uDir}",
            "theta_map={\"name\":\"eigen\",\"options\":{\"curvature\":\"fisher_dense\"}}", "optimizer.options.num_steps=1");
        Assert.True(e.ExitCode == 0, e.ToString());
        var uBest = Best(uDir);
        var initial = RunArtifacts.LoadSummary(eDir)["parameters"]!.AsArray().Select(p => p!["initial"]!.GetValue<double>()).ToArray();
        for (int i = 0; i < uBest.Length; i++) Assert.Equal(uBest[i], initial[i], 12);

        var (bad, _) = Run(tmp, "rosenbrock-lbfgs.json", "bad", $"run.init_from={uDir}", "objective.name=mgh", "objective.options=null", "objective.options.problem=7");
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("layout_hash", bad.Stderr);
        Assert.Contains("theta_map_hash", bad.Stderr);

        // A theta_map.npz that does not match meta.json's hash is refused by name.
        File.Copy(Path.Combine(eDir, ThetaMapArtifacts.FileName), Path.Combine(uDir, ThetaMapArtifacts.FileName), overwrite: true);
        var (tampered, _) = Run(tmp, "rosenbrock-lbfgs.json", "t", $"run.init_from={uDir}");
        Assert.Equal(2, tampered.ExitCode);
        Assert.Contains("theta_map_hash", tampered.Stderr);
    }

    [Fact]
    public void Bad_theta_map_options_are_bad_input()
    {
        using var tmp = RepoPaths.Temp();
        var (r, _) = Run(tmp, "rosenbrock-lbfgs.json", "x", "theta_map={\"name\":\"eigne\"}");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("theta_map.name: unknown theta map 'eigne'", r.Stderr);
        var (k, _) = Run(tmp, "rosenbrock-lbfgs.json", "y", "theta_map={\"name\":\"eigen\",\"options\":{\"keep\":5}}");
        Assert.Equal(2, k.ExitCode);
        Assert.Contains("keep = 5", k.Stderr);
    }
}
