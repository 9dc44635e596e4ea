using DluxShera.Shera.Optics;
using ILGPU;
using ILGPU.Runtime;

namespace DluxShera.Shera.Gpu;

/// <summary>
/// The SHERA optical model (two- and three-plane) on an ILGPU accelerator, for a batch of up to
/// <see cref="Capacity"/> points at once: every kernel launch covers all fields f = (2b + s)·L + l of the batch
/// (point b, star s, wavelength l), so a batch costs one launch sequence. Same formulas as
/// <see cref="OpticalModel"/>; the Fresnel steps are matrix DFTs (<see cref="SecondaryMirrorStage.PropagationMatrix"/>)
/// in the same GEMM kernel as the focal-plane transforms. All device buffers are allocated here, once; an
/// evaluation only uploads the small per-field table and downloads images and reductions.
/// One instance is used by one thread at a time.
/// </summary>
public sealed class IlgpuOpticalModel : IImageModel, IDisposable
{
    private const int RFlux = 0, RDTheta1 = 1, RDTheta2 = 2, RDTheta3 = 3, RGx = 4, RGy = 5, RNorm = 6, RProj = 7, PerFieldReductions = 8;

    private readonly Accelerator _acc;
    private readonly OpticalConfig _config;
    private readonly int _n, _q, _d, _os, _l, _s, _k1, _k2, _offset, _fieldsCapacity;
    private readonly bool _threePlane;
    private readonly double[] _wavelengths, _weights;
    private readonly double[] _table, _coefficients, _detectorHost, _reductionsHost;
    private readonly int _rZ1, _rZ2;
    private readonly int _tile, _reduceGroup;
    private readonly List<MemoryBuffer> _buffers = [];
    private ModelDims _dims;
    private SheraParameters[] _last;
    private int _lastCount;

    // constants
    private readonly ArrayView<double> _transmission, _xGrid, _yGrid, _coords, _fixedOpd, _z1, _m2Transmission, _z2, _gRe, _gIm;
    // per point
    private readonly ArrayView<double> _opd, _dOpd, _c1, _opd2, _dOpd2, _c2, _aRe, _aIm, _apRe, _apIm, _oversampled, _gradOversampled, _detector, _gradDetector;
    // per field
    private readonly Cx _e, _pupil, _w, _out, _gradOut, _gradW, _gradE, _m1Grad, _work, _workNq, _tangentE, _tangentPupil, _workS, _after, _normalised, _midSN;
    private readonly ArrayView<double> _psf, _dPhi, _dPsi, _tableDevice, _reductions;

    private readonly Action<Index1D, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, int, int, int> _zernikeSum;
    private readonly Action<Index1D, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ModelDims> _buildTransform;
    private readonly Action<Index1D, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ModelDims> _pupilField;
    private readonly Action<KernelConfig, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, GemmArguments> _gemm;
    private readonly Action<KernelConfig, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, DotArguments> _dot;
    private readonly Action<Index1D, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, GemmArguments> _gemmDirect;
    private readonly Action<Index1D, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, DotArguments> _dotDirect;
    private readonly bool _direct;
    private readonly Action<Index1D, ArrayView<double>, ArrayView<double>, ArrayView<double>> _intensity;
    private readonly Action<Index1D, ArrayView<double>, ArrayView<double>, ArrayView<double>, ModelDims> _oversample;
    private readonly Action<Index1D, ArrayView<double>, ArrayView<double>, ModelDims> _bin;
    private readonly Action<Index1D, ArrayView<double>, ArrayView<double>, ModelDims> _unbin;
    private readonly Action<Index1D, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ModelDims> _outputGradient;
    private readonly Action<Index1D, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>> _phaseGradient;
    private readonly Action<Index1D, ArrayView<double>, ArrayView<double>, ArrayView<double>, ModelDims> _opdGradient;
    private readonly Action<Index1D, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ModelDims> _tangentField;
    private readonly Action<Index1D, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ModelDims> _tangentOversampled;
    private readonly Action<Index1D, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ModelDims> _secondaryMirror;
    private readonly Action<Index1D, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ModelDims> _normalise;
    private readonly Action<Index1D, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ModelDims> _secondaryMirrorBackward;
    private readonly Action<Index1D, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ModelDims> _secondaryMirrorTangent;
    private readonly Action<Index1D, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ModelDims> _normaliseTangent;

    // A complex buffer in split form.
    private readonly record struct Cx(ArrayView<double> Re, ArrayView<double> Im);

    /// <summary>Builds the constants, the kernels and every buffer for <paramref name="capacity"/> points.</summary>
    /// <param name="config">Structural configuration.</param>
    /// <param name="accelerator">The accelerator (CUDA, or ILGPU's CPU accelerator for tests).</param>
    /// <param name="capacity">Most points per batch.</param>
    /// <param name="directProducts">Use the barrier-free GEMM and reduction kernels (default: on the CPU emulator only).</param>
    public IlgpuOpticalModel(OpticalConfig config, Accelerator accelerator, int capacity = 1, bool? directProducts = null)
    {
        if (capacity < 1) throw new ArgumentOutOfRangeException(nameof(capacity), "at least one point per batch");
        _acc = accelerator;
        _tile = SheraKernels.Tile;
        _reduceGroup = SheraKernels.ReduceGroup;
        // ILGPU's CPU emulator runs a group's threads as OS threads meeting at barriers (each one context switches):
        // there the products and sums use the barrier-free kernels, unless a test asks for the tiled ones.
        _direct = directProducts ?? accelerator.AcceleratorType == AcceleratorType.CPU;
        if (accelerator.AcceleratorType == AcceleratorType.CPU)
        {
            _tile = 4;
            _reduceGroup = 16;
        }
        _config = config;
        Capacity = capacity;
        _n = config.PupilNpix;
        _os = config.Oversample;
        _q = config.PsfNpix * _os;
        _d = config.PsfNpix;
        _wavelengths = config.Wavelengths;
        _weights = config.Weights;
        _l = _wavelengths.Length;
        _k1 = config.PrimaryNoll.Length;
        _threePlane = config.Planes == 3;
        _fieldsCapacity = capacity * 2 * _l;
        int f = _fieldsCapacity, n2 = _n * _n, nq = _n * _q, q2 = _q * _q;

        double dx = config.M1Diameter / _n;
        var coords = Enumerable.Range(0, _n).Select(k => (k - (_n - 1) / 2.0) * dx).ToArray();
        var transmission = Aperture.Transmission(_n, config.M1Diameter, config.M2Diameter, config.Struts, config.StrutWidth, config.StrutRotationDeg);
        double norm = 1 / Math.Sqrt(transmission.Sum(t => t * t));
        _transmission = Upload(transmission);
        _coords = Upload(coords);
        _xGrid = Upload(Enumerable.Range(0, n2).Select(i => coords[i % _n]).ToArray());
        _yGrid = Upload(Enumerable.Range(0, n2).Select(i => coords[i / _n]).ToArray());
        _fixedOpd = Upload(DiffractivePupil.Opd(config.DiffractivePupil, _n, config.DiffractivePupilPath, config.DiffractivePupilSeed, config.DiffractivePupilFeature));
        _z1 = Upload(config.PrimaryNoll.SelectMany(j => Zernike.OnGrid(j, _n, dx, config.M1Diameter / 2)).ToArray());

        SecondaryMirrorStage? m2 = _threePlane ? new SecondaryMirrorStage(config, _wavelengths) : null;
        _s = m2?.PaddedSize ?? 1;
        _offset = m2?.Offset ?? 0;
        _k2 = _threePlane ? config.SecondaryNoll.Length : 0;
        int s2 = _s * _s;
        _m2Transmission = Upload(m2?.Transmission ?? [0]);
        _z2 = Upload(m2 is null ? [0] : m2.Zernikes.SelectMany(z => z).ToArray());
        var gRe = new double[m2 is null ? 1 : _l * s2];
        var gIm = new double[gRe.Length];
        for (int l = 0; m2 is not null && l < _l; l++)
        {
            var g = m2.PropagationMatrix(l);
            g.Re.CopyTo(gRe, l * s2);
            g.Im.CopyTo(gIm, l * s2);
        }
        _gRe = Upload(gRe);
        _gIm = Upload(gIm);

        _opd = Allocate(capacity * n2);
        _dOpd = Allocate(capacity * n2);
        _c1 = Allocate(capacity * Math.Max(_k1, 1));
        _opd2 = Allocate(_threePlane ? capacity * s2 : 1);
        _dOpd2 = Allocate(_threePlane ? capacity * s2 : 1);
        _c2 = Allocate(capacity * Math.Max(_k2, 1));
        _aRe = Allocate(capacity * _l * _q * _n);
        _aIm = Allocate(capacity * _l * _q * _n);
        _apRe = Allocate(capacity * _l * _q * _n);
        _apIm = Allocate(capacity * _l * _q * _n);
        _oversampled = Allocate(capacity * q2);
        _gradOversampled = Allocate(capacity * q2);
        _detector = Allocate(capacity * _d * _d);
        _gradDetector = Allocate(capacity * _d * _d);

        _e = AllocateCx(f * n2);
        _pupil = _threePlane ? AllocateCx(f * n2) : _e;
        _w = AllocateCx(f * nq);
        _out = AllocateCx(f * q2);
        _psf = Allocate(f * q2);
        _gradOut = AllocateCx(f * q2);
        _gradW = AllocateCx(f * nq);
        _gradE = AllocateCx(f * n2);
        _m1Grad = _threePlane ? AllocateCx(f * n2) : _gradE;
        _dPhi = Allocate(f * n2);
        _work = AllocateCx(f * q2);
        _workNq = AllocateCx(f * nq);
        _tangentE = AllocateCx(f * n2);
        _tangentPupil = _threePlane ? AllocateCx(f * n2) : _tangentE;
        _workS = AllocateCx(_threePlane ? f * s2 : 1);
        _after = AllocateCx(_threePlane ? f * s2 : 1);
        _normalised = AllocateCx(_threePlane ? f * s2 : 1);
        _midSN = AllocateCx(_threePlane ? f * _s * _n : 1);
        _dPsi = Allocate(_threePlane ? f * s2 : 1);

        _rZ1 = PerFieldReductions * f;
        _rZ2 = _rZ1 + capacity * _k1;
        _reductionsHost = new double[_rZ2 + f * _k2];
        _reductions = Allocate(_reductionsHost.Length);
        _table = new double[f * FieldColumn.Count];
        _tableDevice = Allocate(_table.Length);
        _coefficients = new double[capacity * Math.Max(Math.Max(_k1, _k2), 1)];
        _detectorHost = new double[capacity * _d * _d];
        _dims = new ModelDims
        {
            L = _l, N = _n, Q = _q, D = _d, Os = _os, S = _s, TableStride = FieldColumn.Count, Norm = norm,
            NormOffset = RNorm * f, ProjOffset = RProj * f,
        };

        _zernikeSum = _acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, int, int, int>(SheraKernels.ZernikeSum);
        _buildTransform = _acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ModelDims>(SheraKernels.BuildTransform);
        _pupilField = _acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ModelDims>(SheraKernels.PupilField);
        _gemm = _acc.LoadStreamKernel<ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, GemmArguments>(SheraKernels.Gemm);
        _dot = _acc.LoadStreamKernel<ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, DotArguments>(SheraKernels.Dot);
        _gemmDirect = _acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, GemmArguments>(SheraKernels.GemmDirect);
        _dotDirect = _acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, DotArguments>(SheraKernels.DotDirect);
        _intensity = _acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<double>, ArrayView<double>, ArrayView<double>>(SheraKernels.Intensity);
        _oversample = _acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<double>, ArrayView<double>, ArrayView<double>, ModelDims>(SheraKernels.Oversampled);
        _bin = _acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<double>, ArrayView<double>, ModelDims>(SheraKernels.Bin);
        _unbin = _acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<double>, ArrayView<double>, ModelDims>(SheraKernels.Unbin);
        _outputGradient = _acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ModelDims>(SheraKernels.OutputGradient);
        _phaseGradient = _acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>>(SheraKernels.PhaseGradient);
        _opdGradient = _acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<double>, ArrayView<double>, ArrayView<double>, ModelDims>(SheraKernels.OpdGradient);
        _tangentField = _acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ModelDims>(SheraKernels.TangentField);
        _tangentOversampled = _acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ModelDims>(SheraKernels.TangentOversampled);
        _secondaryMirror = _acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ModelDims>(SheraKernels.SecondaryMirror);
        _normalise = _acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ModelDims>(SheraKernels.Normalise);
        _secondaryMirrorBackward = _acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ModelDims>(SheraKernels.SecondaryMirrorBackward);
        _secondaryMirrorTangent = _acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ModelDims>(SheraKernels.SecondaryMirrorTangent);
        _normaliseTangent = _acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ModelDims>(SheraKernels.NormaliseTangent);

        _last = new SheraParameters[capacity];
        Detector = new double[_d * _d];
        Detectors = Enumerable.Range(0, capacity).Select(_ => new double[_d * _d]).ToArray();
    }

    /// <summary>Most points per batch.</summary>
    public int Capacity { get; }

    /// <summary>The accelerator's name (e.g. the GPU model).</summary>
    public string DeviceName => _acc.Name;

    /// <inheritdoc/>
    public OpticalConfig Config => _config;

    /// <inheritdoc/>
    public double[] Detector { get; }

    /// <summary>The last batch's detector images, one per point.</summary>
    public double[][] Detectors { get; }

    /// <inheritdoc/>
    public double[] Forward(SheraParameters p)
    {
        ForwardBatch([p]);
        Detectors[0].CopyTo(Detector, 0);
        return Detector;
    }

    /// <inheritdoc/>
    public SheraParameters Backward(ReadOnlySpan<double> detectorGradient) => BackwardBatch([detectorGradient.ToArray()])[0];

    /// <inheritdoc/>
    public void Tangent(SheraParameters tangent, Span<double> imageTangent)
    {
        var output = new double[_d * _d];
        TangentBatch([tangent], [output]);
        output.CopyTo(imageTangent);
    }

    /// <summary>Detector images of up to <see cref="Capacity"/> points into <see cref="Detectors"/>.</summary>
    /// <param name="points">The points.</param>
    public void ForwardBatch(IReadOnlyList<SheraParameters> points)
    {
        int count = CheckCount(points.Count);
        _lastCount = count;
        int fields = count * 2 * _l, n2 = _n * _n, q2 = _q * _q, s2 = _s * _s;
        for (int b = 0; b < count; b++)
        {
            var p = points[b];
            _last[b] = p.Clone();
            double dTheta = p.PlateScaleAsPerPix / OpticalConfig.ArcsecPerRadian / _os;
            var (fa, fb) = p.RawFluxes;
            var ((ax, ay), (bx, by)) = p.StarPositions;
            for (int s = 0; s < 2; s++)
            {
                for (int l = 0; l < _l; l++)
                {
                    int row = ((2 * b + s) * _l + l) * FieldColumn.Count;
                    _table[row + FieldColumn.AlphaX] = (s == 0 ? ax : bx) / OpticalConfig.ArcsecPerRadian;
                    _table[row + FieldColumn.AlphaY] = (s == 0 ? ay : by) / OpticalConfig.ArcsecPerRadian;
                    _table[row + FieldColumn.K] = 2 * Math.PI / _wavelengths[l];
                    _table[row + FieldColumn.Scale] = _config.M1Diameter / _n * dTheta / _wavelengths[l];
                    _table[row + FieldColumn.FluxWeight] = (s == 0 ? fa : fb) * _weights[l];
                    _table[row + FieldColumn.DTheta] = dTheta;
                    _table[row + FieldColumn.Lambda] = _wavelengths[l];
                }
            }
        }
        CopyIn(_tableDevice, _table, fields * FieldColumn.Count);
        UploadCoefficients(points, count, p => p.PrimaryZernikesNm, _k1, _c1);
        _zernikeSum(count * n2, _opd, _fixedOpd, _z1, _c1, _k1, n2, 1);
        if (_threePlane)
        {
            UploadCoefficients(points, count, p => p.SecondaryZernikesNm, _k2, _c2);
            _zernikeSum(count * s2, _opd2, _fixedOpd, _z2, _c2, _k2, s2, 0);
        }
        _buildTransform(count * _l * _q * _n, _aRe, _aIm, _apRe, _apIm, _coords, _tableDevice, _dims);
        _pupilField(fields * n2, _e.Re, _e.Im, _transmission, _opd, _xGrid, _yGrid, _tableDevice, _dims);
        if (_threePlane)
        {
            PropagateIn(_e, _workS, fields);
            _secondaryMirror(fields * s2, _workS.Re, _workS.Im, _m2Transmission, _opd2, _after.Re, _after.Im, _tableDevice, _dims);
            Dot(_after, _after, MatrixMap.PerField(s2), MatrixMap.PerField(s2), s2, _dims.NormOffset, fields);
            _normalise(fields * s2, _after.Re, _after.Im, _reductions, _normalised.Re, _normalised.Im, _dims);
            PropagateOut(_normalised, _pupil, fields);
        }
        var a = MatrixMap.PerPointWavelength(_q * _n, _l);
        Gemm(_pupil, _a, _w, fields, _n, _q, _n, GemmOperand.Plain(MatrixMap.PerField(n2), _n), GemmOperand.Transposed(a, _n));
        Gemm(_a, _w, _out, fields, _q, _q, _n, GemmOperand.Plain(a, _n), GemmOperand.Plain(MatrixMap.PerField(_n * _q), _q), FieldColumn.Scale);
        _intensity(fields * q2, _out.Re, _out.Im, _psf);
        _oversample(count * q2, _psf, _oversampled, _tableDevice, _dims);
        _bin(count * _d * _d, _oversampled, _detector, _dims);
        CopyOut(_detector, _detectorHost, count * _d * _d);
        for (int b = 0; b < count; b++) Array.Copy(_detectorHost, b * _d * _d, Detectors[b], 0, _d * _d);
    }

    /// <summary>∂loss/∂parameters of every point of the last <see cref="ForwardBatch"/> from ∂loss/∂image.</summary>
    /// <param name="detectorGradients">One ∂loss/∂image per point of the last batch.</param>
    public SheraParameters[] BackwardBatch(IReadOnlyList<double[]> detectorGradients)
    {
        int count = CheckLast(detectorGradients.Count);
        int fields = count * 2 * _l, n2 = _n * _n, q2 = _q * _q, s2 = _s * _s, nq = _n * _q;
        for (int b = 0; b < count; b++) Array.Copy(detectorGradients[b], 0, _detectorHost, b * _d * _d, _d * _d);
        CopyIn(_gradDetector, _detectorHost, count * _d * _d);
        _unbin(count * q2, _gradDetector, _gradOversampled, _dims);
        _outputGradient(fields * q2, _out.Re, _out.Im, _gradOversampled, _gradOut.Re, _gradOut.Im, _tableDevice, _dims);
        var a = MatrixMap.PerPointWavelength(_q * _n, _l);
        // Out = s·A·W ⇒ G_W = s·Aᴴ·G_Out; W = Pupil·Aᵀ ⇒ G_Pupil = G_W·conj(A).
        Gemm(_a, _gradOut, _gradW, fields, _n, _q, _q, GemmOperand.Transposed(a, _n, conjugate: true), GemmOperand.Plain(MatrixMap.PerField(q2), _q), FieldColumn.Scale);
        Gemm(_gradW, _a, _gradE, fields, _n, _n, _q, GemmOperand.Plain(MatrixMap.PerField(nq), _q), GemmOperand.Plain(a, _n, conjugate: true));
        if (_threePlane)
        {
            PropagateIn(_gradE, _workS, fields); // adjoint of the −z step
            Dot(_normalised, _workS, MatrixMap.PerField(s2), MatrixMap.PerField(s2), s2, _dims.ProjOffset, fields);
            _secondaryMirrorBackward(fields * s2, _workS.Re, _workS.Im, _normalised.Re, _normalised.Im, _after.Re, _after.Im, _m2Transmission, _opd2,
                _reductions, _dPsi, _tableDevice, _dims);
            if (_k2 > 0) Dot(_dPsi, _z2, MatrixMap.Of(_k2, 1, 1, s2), MatrixMap.Of(int.MaxValue, 0, _k2, s2), s2, _rZ2, fields * _k2);
            PropagateOut(_workS, _m1Grad, fields); // adjoint of the +z step
        }
        _phaseGradient(fields * n2, _m1Grad.Re, _m1Grad.Im, _e.Re, _e.Im, _dPhi);
        _opdGradient(count * n2, _dPhi, _dOpd, _tableDevice, _dims);
        Gemm(_ap, _w, _work, fields, _q, _q, _n, GemmOperand.Plain(a, _n), GemmOperand.Plain(MatrixMap.PerField(nq), _q));
        Gemm(_pupil, _ap, _workNq, fields, _n, _q, _n, GemmOperand.Plain(MatrixMap.PerField(n2), _n), GemmOperand.Transposed(a, _n));
        var perField = MatrixMap.PerField(q2);
        Dot(_psf, _gradOversampled, perField, MatrixMap.Of(2 * _l, 1, 1, q2), q2, RFlux * _fieldsCapacity, fields);
        Dot(_gradOut, _out, perField, perField, q2, RDTheta1 * _fieldsCapacity, fields);
        Dot(_gradOut, _work, perField, perField, q2, RDTheta2 * _fieldsCapacity, fields);
        Dot(_gradW, _workNq, MatrixMap.PerField(nq), MatrixMap.PerField(nq), nq, RDTheta3 * _fieldsCapacity, fields);
        var shared = MatrixMap.Of(int.MaxValue, 0, 1, n2);
        Dot(_dPhi, _xGrid, MatrixMap.PerField(n2), shared, n2, RGx * _fieldsCapacity, fields);
        Dot(_dPhi, _yGrid, MatrixMap.PerField(n2), shared, n2, RGy * _fieldsCapacity, fields);
        if (_k1 > 0) Dot(_z1, _dOpd, MatrixMap.Of(int.MaxValue, 0, _k1, n2), MatrixMap.Of(_k1, 1, 1, n2), n2, _rZ1, count * _k1);
        CopyOut(_reductions, _reductionsHost, _reductionsHost.Length);

        var result = new SheraParameters[count];
        var r = _reductionsHost;
        int fc = _fieldsCapacity;
        for (int b = 0; b < count; b++)
        {
            var p = _last[b];
            double dTheta = p.PlateScaleAsPerPix / OpticalConfig.ArcsecPerRadian / _os;
            double dFa = 0, dFb = 0, dDTheta = 0;
            var dAlpha = new double[4];
            var secondary = new double[_k2];
            for (int s = 0; s < 2; s++)
            {
                for (int l = 0; l < _l; l++)
                {
                    int f = (2 * b + s) * _l + l;
                    double k = 2 * Math.PI / _wavelengths[l], scale = _config.M1Diameter / _n * dTheta / _wavelengths[l];
                    if (s == 0) dFa += r[RFlux * fc + f] * _weights[l];
                    else dFb += r[RFlux * fc + f] * _weights[l];
                    dDTheta += r[RDTheta1 * fc + f] / dTheta + scale * r[RDTheta2 * fc + f] + r[RDTheta3 * fc + f];
                    dAlpha[2 * s] += k * r[RGx * fc + f];
                    dAlpha[2 * s + 1] += k * r[RGy * fc + f];
                    for (int z = 0; z < _k2; z++) secondary[z] += k * 1e-9 * r[_rZ2 + f * _k2 + z];
                }
            }
            var primary = new double[_k1];
            for (int z = 0; z < _k1; z++) primary[z] = r[_rZ1 + b * _k1 + z] * 1e-9;
            result[b] = ParameterChain.Gradient(p, dAlpha, dFa, dFb, dDTheta, primary, secondary, _os);
        }
        return result;
    }

    /// <summary>Image tangents ∂image/∂p·δp of every point of the last <see cref="ForwardBatch"/>.</summary>
    /// <param name="tangents">One direction per point of the last batch.</param>
    /// <param name="outputs">Receive the image tangents (psf_npix² each).</param>
    public void TangentBatch(IReadOnlyList<SheraParameters> tangents, IReadOnlyList<double[]> outputs)
    {
        int count = CheckLast(tangents.Count);
        int fields = count * 2 * _l, n2 = _n * _n, q2 = _q * _q, s2 = _s * _s;
        for (int b = 0; b < count; b++)
        {
            var p = _last[b];
            var (dAlpha, dFa, dFb, dDTheta) = ParameterChain.Tangent(p, tangents[b], _os);
            double dTheta = p.PlateScaleAsPerPix / OpticalConfig.ArcsecPerRadian / _os;
            for (int s = 0; s < 2; s++)
            {
                for (int l = 0; l < _l; l++)
                {
                    int row = ((2 * b + s) * _l + l) * FieldColumn.Count;
                    _table[row + FieldColumn.DAlphaX] = dAlpha[2 * s];
                    _table[row + FieldColumn.DAlphaY] = dAlpha[2 * s + 1];
                    _table[row + FieldColumn.DFluxWeight] = (s == 0 ? dFa : dFb) * _weights[l];
                    _table[row + FieldColumn.DDTheta] = dDTheta;
                    _table[row + FieldColumn.ScaleDDTheta] = _table[row + FieldColumn.Scale] * dDTheta;
                    _table[row + FieldColumn.RelativeDDTheta] = dDTheta / dTheta;
                }
            }
        }
        CopyIn(_tableDevice, _table, fields * FieldColumn.Count);
        UploadCoefficients(tangents, count, p => p.PrimaryZernikesNm, _k1, _c1);
        _zernikeSum(count * n2, _dOpd, _fixedOpd, _z1, _c1, _k1, n2, 0);
        _tangentField(fields * n2, _e.Re, _e.Im, _dOpd, _xGrid, _yGrid, _tangentE.Re, _tangentE.Im, _tableDevice, _dims);
        if (_threePlane)
        {
            UploadCoefficients(tangents, count, p => p.SecondaryZernikesNm, _k2, _c2);
            _zernikeSum(count * s2, _dOpd2, _fixedOpd, _z2, _c2, _k2, s2, 0);
            PropagateIn(_tangentE, _workS, fields);
            _secondaryMirrorTangent(fields * s2, _workS.Re, _workS.Im, _after.Re, _after.Im, _m2Transmission, _opd2, _dOpd2, _tableDevice, _dims);
            Dot(_normalised, _workS, MatrixMap.PerField(s2), MatrixMap.PerField(s2), s2, _dims.ProjOffset, fields);
            _normaliseTangent(fields * s2, _workS.Re, _workS.Im, _normalised.Re, _normalised.Im, _reductions, _dims);
            PropagateOut(_workS, _tangentPupil, fields);
        }
        var a = MatrixMap.PerPointWavelength(_q * _n, _l);
        var pupils = GemmOperand.Plain(MatrixMap.PerField(n2), _n);
        // δW = δPupil·Aᵀ + δdθ·Pupil·A'ᵀ; δOut = s·A·δW + s·δdθ·A'·W (+ δdθ/dθ·Out in the kernel).
        Gemm(_tangentPupil, _a, _workNq, fields, _n, _q, _n, pupils, GemmOperand.Transposed(a, _n));
        Gemm(_pupil, _ap, _workNq, fields, _n, _q, _n, pupils, GemmOperand.Transposed(a, _n), FieldColumn.DDTheta, accumulate: true);
        Gemm(_a, _workNq, _work, fields, _q, _q, _n, GemmOperand.Plain(a, _n), GemmOperand.Plain(MatrixMap.PerField(_n * _q), _q), FieldColumn.Scale);
        Gemm(_ap, _w, _work, fields, _q, _q, _n, GemmOperand.Plain(a, _n), GemmOperand.Plain(MatrixMap.PerField(_n * _q), _q), FieldColumn.ScaleDDTheta, accumulate: true);
        _tangentOversampled(count * q2, _out.Re, _out.Im, _work.Re, _work.Im, _oversampled, _tableDevice, _dims);
        _bin(count * _d * _d, _oversampled, _gradDetector, _dims);
        CopyOut(_gradDetector, _detectorHost, count * _d * _d);
        for (int b = 0; b < count; b++) Array.Copy(_detectorHost, b * _d * _d, outputs[b], 0, _d * _d);
    }

    /// <summary>Frees the device buffers (not the accelerator, which the caller owns).</summary>
    public void Dispose()
    {
        foreach (var buffer in _buffers) buffer.Dispose();
        _buffers.Clear();
    }

    private Cx _a => new(_aRe, _aIm);

    private Cx _ap => new(_apRe, _apIm);

    // Fresnel +z of N×N fields placed at (offset, offset) of the padded grid: G[:, blk]·X·G[:, blk]ᵀ (S×S).
    private void PropagateIn(Cx small, Cx large, int fields)
    {
        var g = MatrixMap.PerWavelength(_s * _s, _l, _offset);
        Gemm(small, new Cx(_gRe, _gIm), _midSN, fields, _n, _s, _n, GemmOperand.Plain(MatrixMap.PerField(_n * _n), _n), GemmOperand.Transposed(g, _s));
        Gemm(new Cx(_gRe, _gIm), _midSN, large, fields, _s, _s, _n, GemmOperand.Plain(g, _s), GemmOperand.Plain(MatrixMap.PerField(_n * _s), _s));
    }

    // Fresnel −z of S×S fields, cropped to the N×N block: conj(G)[blk, :]·Z·conj(G)[blk, :]ᵀ.
    private void PropagateOut(Cx large, Cx small, int fields)
    {
        var g = MatrixMap.PerWavelength(_s * _s, _l, _offset * _s);
        Gemm(large, new Cx(_gRe, _gIm), _midSN, fields, _s, _n, _s, GemmOperand.Plain(MatrixMap.PerField(_s * _s), _s), GemmOperand.Transposed(g, _s, conjugate: true));
        Gemm(new Cx(_gRe, _gIm), _midSN, small, fields, _n, _n, _s, GemmOperand.Plain(g, _s, conjugate: true), GemmOperand.Plain(MatrixMap.PerField(_s * _n), _n));
    }

    private void Gemm(Cx x, Cx y, Cx c, int fields, int m, int n, int k, GemmOperand xOp, GemmOperand yOp, int alphaColumn = -1, bool accumulate = false)
    {
        var args = new GemmArguments
        {
            M = m, N = n, K = k, X = xOp, Y = yOp, AlphaColumn = alphaColumn, Accumulate = accumulate ? 1 : 0, TableStride = FieldColumn.Count,
        };
        if (_direct)
        {
            _gemmDirect(fields * m * n, x.Re, x.Im, y.Re, y.Im, c.Re, c.Im, _tableDevice, args);
            return;
        }
        int t = _tile;
        var config = new KernelConfig(new Index3D((n + t - 1) / t, (m + t - 1) / t, fields), new Index3D(t, t, 1), SharedMemoryConfig.RequestDynamic<double>(4 * t * t));
        _gemm(config, x.Re, x.Im, y.Re, y.Im, c.Re, c.Im, _tableDevice, args);
    }

    // Re⟨x, y⟩ per output (complex), into the reduction buffer.
    private void Dot(Cx x, Cx y, MatrixMap xMap, MatrixMap yMap, int length, int outOffset, int outputs) =>
        Reduce(x.Re, y.Re, x.Im, y.Im, new DotArguments { A = xMap, B = yMap, Length = length, OutOffset = outOffset, Pairs = 2 }, outputs);

    private void Dot(ArrayView<double> x, ArrayView<double> y, MatrixMap xMap, MatrixMap yMap, int length, int outOffset, int outputs) =>
        Reduce(x, y, x, y, new DotArguments { A = xMap, B = yMap, Length = length, OutOffset = outOffset, Pairs = 1 }, outputs);

    private void Reduce(ArrayView<double> a1, ArrayView<double> b1, ArrayView<double> a2, ArrayView<double> b2, DotArguments args, int outputs)
    {
        if (_direct) _dotDirect(outputs, a1, b1, a2, b2, _reductions, args);
        else _dot(new KernelConfig(new Index3D(outputs, 1, 1), new Index3D(_reduceGroup, 1, 1), SharedMemoryConfig.RequestDynamic<double>(_reduceGroup)), a1, b1, a2, b2, _reductions, args);
    }

    private void UploadCoefficients(IReadOnlyList<SheraParameters> points, int count, Func<SheraParameters, double[]> select, int terms, ArrayView<double> target)
    {
        if (terms == 0) return;
        for (int b = 0; b < count; b++)
        {
            var c = select(points[b]);
            for (int k = 0; k < terms; k++) _coefficients[b * terms + k] = c[k] * 1e-9;
        }
        CopyIn(target, _coefficients, count * terms);
    }

    private int CheckCount(int count)
    {
        if (count < 1 || count > Capacity) throw new ArgumentOutOfRangeException(nameof(count), $"a batch holds 1…{Capacity} points, not {count}.");
        return count;
    }

    private int CheckLast(int count)
    {
        if (count != _lastCount) throw new InvalidOperationException($"the last forward batch had {_lastCount} points, not {count}.");
        return count;
    }

    private static void CopyIn(ArrayView<double> target, double[] source, int length) => target.SubView(0, length).CopyFromCPU(ref source[0], length);

    private static void CopyOut(ArrayView<double> source, double[] target, int length) => source.SubView(0, length).CopyToCPU(ref target[0], length);

    private ArrayView<double> Allocate(long length)
    {
        var buffer = _acc.Allocate1D<double>(Math.Max(length, 1));
        buffer.MemSetToZero();
        _buffers.Add(buffer);
        return buffer.View;
    }

    private Cx AllocateCx(long length) => new(Allocate(length), Allocate(length));

    private ArrayView<double> Upload(double[] values)
    {
        var view = Allocate(values.Length);
        CopyIn(view, values, values.Length);
        return view;
    }
}
