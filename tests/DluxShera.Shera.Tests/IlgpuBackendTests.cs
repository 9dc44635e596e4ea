using DluxShera.Shera;
using DluxShera.Shera.Gpu;
using DluxShera.Shera.Optics;
using ILGPU;
using ILGPU.Runtime;
using Xunit;
using Xunit.Abstractions;

namespace DluxShera.Tests;

/// <summary>
/// The ILGPU backend on ILGPU's CPU accelerator against the managed CPU model (an independent implementation:
/// FFT Fresnel steps, BLAS/managed products): kernels one by one, then the whole forward, reverse and tangent passes,
/// two- and three-plane, single and batched. Sizes are the smallest that exercise every path (the emulator is slow).
/// </summary>
public sealed class IlgpuBackendTests(ITestOutputHelper output, IlgpuBackendTests.Emulator emulator) : IClassFixture<IlgpuBackendTests.Emulator>
{
    /// <summary>One CPU accelerator for the class (creating one costs ~0.5 s).</summary>
    public sealed class Emulator : IDisposable
    {
        public ComputeDevice Device { get; } = ComputeDevice.OpenCpuEmulator();

        public void Dispose() => Device.Dispose();
    }

    private readonly Accelerator _acc = emulator.Device.Accelerator;

    internal static OpticalConfig TinyConfig(int planes) =>
        SheraTestModels.Preset("testbed-2p-test", o => { o.PupilNpix = 16; o.PsfNpix = 8; o.Oversample = 2; o.NLambda = 2; }).Optics.ToConfig(planes);

    internal static SheraParameters Point(OpticalConfig config, double shift)
    {
        var p = SheraTestModels.Nominal(config);
        p.SeparationAs = 0.9 + shift;
        p.PositionAngleDeg = 30 + 10 * shift;
        p.XAs = 0.2 - shift;
        p.YAs = -0.1 + shift;
        p.PlateScaleAsPerPix *= 1 + 0.01 * shift;
        p.PrimaryZernikesNm = Enumerable.Range(0, config.PrimaryNoll.Length).Select(k => 20 * Math.Sin(k + shift)).ToArray();
        p.SecondaryZernikesNm = config.Planes == 3 ? Enumerable.Range(0, config.SecondaryNoll.Length).Select(k => 15 * Math.Cos(k + shift)).ToArray() : [];
        return p;
    }

    [Fact]
    public void DeviceSineAndCosineMatchTheRuntimeToAnUlpOrTwo()
    {
        double worst = 0;
        for (int i = -20000; i <= 20000; i++)
        {
            double x = i * 0.2137;
            var sc = DeviceMath.Evaluate(x);
            worst = Math.Max(worst, Math.Max(Math.Abs(sc.Sin - Math.Sin(x)), Math.Abs(sc.Cos - Math.Cos(x))));
        }
        output.WriteLine($"max |error| {worst:E2}");
        Assert.True(worst < 2e-15, $"max error {worst:E2}");
    }

    [Fact]
    public void PropagationMatrixEqualsTheFftFresnelStep()
    {
        var config = TinyConfig(3);
        var stage = new SecondaryMirrorStage(config, config.Wavelengths);
        int size = stage.PaddedSize;
        var rng = new Random(3);
        var x = new ComplexMatrix(size, size);
        for (int i = 0; i < x.Re.Length; i++) (x.Re[i], x.Im[i]) = (rng.NextDouble() - 0.5, rng.NextDouble() - 0.5);
        var direct = new ComplexMatrix(size, size);
        x.Re.CopyTo(direct.Re, 0);
        x.Im.CopyTo(direct.Im, 0);
        stage.Fresnel(direct, 1, conjugate: false);
        var g = stage.PropagationMatrix(1);
        var gt = new ComplexMatrix(size, size);
        for (int r = 0; r < size; r++)
        {
            for (int c = 0; c < size; c++) (gt.Re[c * size + r], gt.Im[c * size + r]) = (g.Re[r * size + c], g.Im[r * size + c]);
        }
        var tmp = new ComplexMatrix(size, size);
        var matrix = new ComplexMatrix(size, size);
        ComplexMatrix.MultiplyManaged(g, x, tmp);
        ComplexMatrix.MultiplyManaged(tmp, gt, matrix);
        double worst = 0;
        for (int i = 0; i < x.Re.Length; i++) worst = Math.Max(worst, Math.Abs(matrix.Re[i] - direct.Re[i]) + Math.Abs(matrix.Im[i] - direct.Im[i]));
        output.WriteLine($"max |G·x·Gᵀ − IFFT(FFT(x)·K)| = {worst:E2}");
        Assert.True(worst < 1e-12, $"{worst:E2}");
        }

    [Theory]
    [InlineData(false, false, false)]
    [InlineData(true, true, false)]
    [InlineData(true, true, true)]
    public void GemmKernelEqualsTheManagedProductWithTransposesConjugatesAndBlocks(bool transposeX, bool conjugateY, bool direct)
    {
        // C[f] = α_f·op(X[f])·op(Y) for 3 fields, odd sizes (partial 4×4 tiles), Y a 6×5 block at (2, 1) of a shared 9×7 matrix.
        int m = 7, k = 6, n = 5, fields = 3, yRows = 9, yCols = 7;
        var rng = new Random(5);
        var xs = Enumerable.Range(0, fields).Select(_ => RandomMatrix(rng, transposeX ? k : m, transposeX ? m : k)).ToArray();
        var big = RandomMatrix(rng, yRows, yCols);
        double[] alpha = [1.5, -0.25, 2];
        var table = new double[fields * FieldColumn.Count];
        for (int f = 0; f < fields; f++) table[f * FieldColumn.Count + FieldColumn.Scale] = alpha[f];
        using var xr = _acc.Allocate1D(xs.SelectMany(x => x.Re).ToArray());
        using var xi = _acc.Allocate1D(xs.SelectMany(x => x.Im).ToArray());
        using var yr = _acc.Allocate1D(big.Re);
        using var yi = _acc.Allocate1D(big.Im);
        using var cr = _acc.Allocate1D<double>(fields * m * n);
        using var ci = _acc.Allocate1D<double>(fields * m * n);
        using var tableBuffer = _acc.Allocate1D(table);
        var kernel = _acc.LoadStreamKernel<ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, GemmArguments>(SheraKernels.Gemm);
        var xMap = MatrixMap.PerField(m * k);
        var yMap = MatrixMap.Of(int.MaxValue, 0, 1, yRows * yCols);
        yMap.Offset = 2 * yCols + 1;
        var args = new GemmArguments
        {
            M = m, N = n, K = k, AlphaColumn = FieldColumn.Scale, TableStride = FieldColumn.Count,
            X = transposeX ? GemmOperand.Transposed(xMap, m) : GemmOperand.Plain(xMap, k),
            Y = GemmOperand.Plain(yMap, yCols, conjugateY),
        };
        if (direct)
        {
            var plain = _acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, GemmArguments>(SheraKernels.GemmDirect);
            plain(fields * m * n, xr.View, xi.View, yr.View, yi.View, cr.View, ci.View, tableBuffer.View, args);
        }
        else
        {
            kernel(new KernelConfig(new Index3D(2, 2, fields), new Index3D(4, 4, 1), SharedMemoryConfig.RequestDynamic<double>(64)), xr.View, xi.View, yr.View, yi.View, cr.View, ci.View, tableBuffer.View, args);
        }
        var gotRe = cr.GetAsArray1D();
        var gotIm = ci.GetAsArray1D();

        var y = new ComplexMatrix(k, n);
        for (int r = 0; r < k; r++)
        {
            for (int c = 0; c < n; c++) (y.Re[r * n + c], y.Im[r * n + c]) = (big.Re[(r + 2) * yCols + c + 1], (conjugateY ? -1 : 1) * big.Im[(r + 2) * yCols + c + 1]);
        }
        double worst = 0;
        for (int f = 0; f < fields; f++)
        {
            var x = transposeX ? Transpose(xs[f]) : xs[f];
            var expected = new ComplexMatrix(m, n);
            ComplexMatrix.MultiplyManaged(x, y, expected);
            for (int i = 0; i < m * n; i++)
            {
                worst = Math.Max(worst, Math.Abs(gotRe[f * m * n + i] - alpha[f] * expected.Re[i]) + Math.Abs(gotIm[f * m * n + i] - alpha[f] * expected.Im[i]));
            }
        }
        Assert.True(worst < 1e-13, $"max error {worst:E2}");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void DotKernelReducesEachOutputsSlices(bool direct)
    {
        // out[o] = Σ a[o mod 3]·b[o / 3] over slices of 1000 (several passes of a 256-thread group).
        int length = 1000;
        var rng = new Random(8);
        var a = Enumerable.Range(0, 3 * length).Select(_ => rng.NextDouble() - 0.5).ToArray();
        var b = Enumerable.Range(0, 2 * length).Select(_ => rng.NextDouble() - 0.5).ToArray();
        using var av = _acc.Allocate1D(a);
        using var bv = _acc.Allocate1D(b);
        using var result = _acc.Allocate1D<double>(8);
        var kernel = _acc.LoadStreamKernel<ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, DotArguments>(SheraKernels.Dot);
        var args = new DotArguments { A = MatrixMap.Of(int.MaxValue, 0, 3, length), B = MatrixMap.Of(3, 1, 1, length), Length = length, OutOffset = 2, Pairs = 1 };
        if (direct)
        {
            _acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, DotArguments>(SheraKernels.DotDirect)(
                6, av.View, bv.View, av.View, bv.View, result.View, args);
        }
        else
        {
            kernel(new KernelConfig(new Index3D(6, 1, 1), new Index3D(16, 1, 1), SharedMemoryConfig.RequestDynamic<double>(16)), av.View, bv.View, av.View, bv.View, result.View, args);
        }
        var got = result.GetAsArray1D();
        for (int o = 0; o < 6; o++)
        {
            double expected = 0;
            for (int i = 0; i < length; i++) expected += a[o % 3 * length + i] * b[o / 3 * length + i];
            Assert.Equal(expected, got[2 + o], 1e-12);
        }
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void BackendEqualsTheManagedModelForwardReverseAndTangent(int planes)
    {
        var config = TinyConfig(planes);
        var managed = new OpticalModel(config);
        using var device = new IlgpuOpticalModel(config, _acc, capacity: 2);
        var points = new[] { Point(config, 0), Point(config, 0.3) };
        device.ForwardBatch(points);
        var rng = new Random(11);
        var cotangents = points.Select(_ => Enumerable.Range(0, config.PsfNpix * config.PsfNpix).Select(_ => rng.NextDouble() - 0.5).ToArray()).ToArray();
        var deviceGradients = device.BackwardBatch(cotangents);
        var tangents = points.Select((p, b) => Point(config, 0.7 + b)).ToArray();
        var deviceTangents = points.Select(_ => new double[config.PsfNpix * config.PsfNpix]).ToArray();
        device.TangentBatch(tangents, deviceTangents);
        for (int b = 0; b < points.Length; b++)
        {
            var image = managed.Forward(points[b]);
            AssertClose($"image[{b}]", image, device.Detectors[b], 1e-12);
            var expected = managed.Backward(cotangents[b]);
            AssertClose($"gradient[{b}]", Flatten(expected), Flatten(deviceGradients[b]), 1e-10);
            var tangent = new double[image.Length];
            managed.Tangent(tangents[b], tangent);
            AssertClose($"tangent[{b}]", tangent, deviceTangents[b], 1e-10);
        }
    }

    [Fact]
    public void TiledKernelsGiveTheSameModelAsTheDirectOnes()
    {
        // The GPU runs the tiled GEMM and the group reduction; check them in the whole (two-plane) model once.
        var config = SheraTestModels.Preset("testbed-2p-test", o => { o.PupilNpix = 8; o.PsfNpix = 4; o.Oversample = 2; o.NLambda = 1; }).Optics.ToConfig(2);
        using var tiled = new IlgpuOpticalModel(config, _acc, directProducts: false);
        var managed = new OpticalModel(config);
        var p = Point(config, 0.2);
        AssertClose("image", managed.Forward(p), tiled.Forward(p), 1e-12);
        var cotangent = Enumerable.Range(0, 16).Select(i => Math.Cos(i)).ToArray();
        AssertClose("gradient", Flatten(managed.Backward(cotangent)), Flatten(tiled.Backward(cotangent)), 1e-10);
    }

    [Theory]
    [InlineData("two_plane")]
    [InlineData("three_plane")]
    public void ObjectiveOnTheEmulatorEqualsTheCpuObjectiveSingleAndBatched(string model)
    {
        SheraOptions Options(string backend) => SheraTestModels.Preset("testbed-2p-test", o => { o.PupilNpix = 16; o.PsfNpix = 8; o.Oversample = 2; o.NLambda = 2; },
            o => { o.Model = model; o.Backend = backend; o.BatchCapacity = 2; });
        using var cpu = new SheraObjective(Options("cpu"));
        using var emulated = new SheraObjective(Options("ilgpu-cpu"));
        Assert.Equal("ilgpu-cpu", emulated.Backend.Name);
        int d = cpu.IndexMap.Dimension;
        var theta = new double[3 * d];
        for (int b = 0; b < 3; b++)
        {
            cpu.GetInitialTheta(theta.AsSpan(b * d, d));
            for (int k = 0; k < d; k++) theta[b * d + k] *= 1 + 1e-4 * Math.Sin(k + 3 * b);
        }
        var expectedLoss = new double[3];
        var expectedGradient = new double[3 * d];
        for (int b = 0; b < 3; b++) expectedLoss[b] = cpu.Evaluate(theta.AsSpan(b * d, d), expectedGradient.AsSpan(b * d, d));
        foreach (var objective in new[] { cpu, emulated })
        {
            var losses = new double[3];
            var gradients = new double[3 * d];
            objective.EvaluateBatch(theta, losses, gradients); // 3 points through capacity 2: a full chunk and a partial one
            AssertClose($"{objective.Backend.Name} batched losses", expectedLoss, losses, 1e-10);
            AssertClose($"{objective.Backend.Name} batched gradients", expectedGradient, gradients, 1e-10);
        }
        var single = new double[d];
        double loss = emulated.Evaluate(theta.AsSpan(0, d), single);
        AssertClose("single loss", [expectedLoss[0]], [loss], 1e-10);
        AssertClose("single gradient", expectedGradient[..d], single, 1e-10);
        var v = Enumerable.Range(0, d).Select(k => Math.Cos(k)).ToArray();
        var jvCpu = new double[cpu.ResidualCount];
        var jvDevice = new double[cpu.ResidualCount];
        cpu.JacobianVectorProduct(theta.AsSpan(0, d), v, jvCpu);
        emulated.JacobianVectorProduct(theta.AsSpan(0, d), v, jvDevice);
        AssertClose("JVP", jvCpu, jvDevice, 1e-10);
        var jtuCpu = new double[d];
        var jtuDevice = new double[d];
        cpu.VectorJacobianProduct(theta.AsSpan(0, d), jvCpu, jtuCpu);
        emulated.VectorJacobianProduct(theta.AsSpan(0, d), jvCpu, jtuDevice);
        AssertClose("VJP", jtuCpu, jtuDevice, 1e-10);
    }

    [SkippableFact]
    public void CudaBackendEqualsTheManagedModelWhereAGpuExists()
    {
        using var gpu = ComputeDevice.TryOpenCuda();
        Skip.If(gpu is null, "no CUDA GPU on this machine: the CUDA equivalence check runs where one exists (tools/gpu-check.sh)");
        foreach (int planes in new[] { 2, 3 })
        {
            var config = TinyConfig(planes);
            var managed = new OpticalModel(config);
            using var device = new IlgpuOpticalModel(config, gpu!.Accelerator, capacity: 2);
            var points = new[] { Point(config, 0), Point(config, 0.3) };
            device.ForwardBatch(points);
            var cotangents = points.Select((_, b) => Enumerable.Range(0, config.PsfNpix * config.PsfNpix).Select(i => Math.Sin(i + b)).ToArray()).ToArray();
            var gradients = device.BackwardBatch(cotangents);
            for (int b = 0; b < 2; b++)
            {
                AssertClose($"{planes}p image[{b}]", managed.Forward(points[b]), device.Detectors[b], 1e-12);
                AssertClose($"{planes}p gradient[{b}]", Flatten(managed.Backward(cotangents[b])), Flatten(gradients[b]), 1e-10);
            }
        }
    }

    [SkippableFact]
    public void CudaBackendWithoutAGpuIsRefusedAndAutoFallsBackWithOneLine()
    {
        using (var gpu = ComputeDevice.TryOpenCuda()) Skip.If(gpu is not null, "this machine has a CUDA GPU");
        var options = SheraTestModels.Preset("testbed-2p-test", o => { o.PupilNpix = 16; o.PsfNpix = 8; }, o => o.Backend = "cuda");
        var e = Assert.Throws<NotSupportedException>(() => new SheraObjective(options));
        Assert.Contains("backend 'cuda'", e.Message);
        var lines = new List<string>();
        options.Backend = "auto";
        using var auto = new SheraObjective(options, lines.Add);
        Assert.Equal("cpu", auto.Backend.Name);
        Assert.Single(lines);
        Assert.Contains("auto found no CUDA GPU", lines[0]);
    }

    private void AssertClose(string what, double[] expected, double[] actual, double tolerance)
    {
        double scale = expected.Max(Math.Abs), worst = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double err = Math.Abs(expected[i] - actual[i]) / Math.Max(Math.Abs(expected[i]), 1e-3 * scale);
            worst = Math.Max(worst, err);
        }
        output.WriteLine($"{what}: max relative difference {worst:E2}");
        Assert.True(worst <= tolerance, $"{what}: max relative difference {worst:E2} > {tolerance:E0}");
    }

    private static double[] Flatten(SheraParameters p) =>
        [p.SeparationAs, p.PositionAngleDeg, p.XAs, p.YAs, p.LogFluxTotal, p.Contrast, p.PlateScaleAsPerPix, .. p.PrimaryZernikesNm, .. p.SecondaryZernikesNm];

    private static ComplexMatrix RandomMatrix(Random rng, int rows, int cols)
    {
        var m = new ComplexMatrix(rows, cols);
        for (int i = 0; i < m.Re.Length; i++) (m.Re[i], m.Im[i]) = (rng.NextDouble() - 0.5, rng.NextDouble() - 0.5);
        return m;
    }

    private static ComplexMatrix Transpose(ComplexMatrix x)
    {
        var t = new ComplexMatrix(x.Cols, x.Rows);
        for (int r = 0; r < x.Rows; r++)
        {
            for (int c = 0; c < x.Cols; c++) (t.Re[c * x.Rows + r], t.Im[c * x.Rows + r]) = (x.Re[r * x.Cols + c], x.Im[r * x.Cols + c]);
        }
        return t;
    }
}
