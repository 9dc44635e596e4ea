using System.Numerics.Tensors;

namespace DluxShera.Shera.Optics;

/// <summary>
/// The SHERA optical model (SHERA_MODEL §2): the M1 pupil field, optionally through the Fresnel-propagated
/// secondary mirror (three-plane, <see cref="SecondaryMirrorStage"/>), to focus by a matrix Fourier transform;
/// polychromatic, two stars, oversampled focal plane binned into detector pixels — with exact reverse-mode
/// (<see cref="Backward"/>) and forward-mode (<see cref="Tangent"/>) derivatives. Each (star, wavelength)
/// keeps its fields from the forward pass, so the derivative passes are a handful of complex matrix
/// products. One instance is used by one thread at a time; buffers are reused across evaluations.
/// </summary>
public sealed class OpticalModel : IImageModel
{
    private readonly OpticalConfig _config;
    private readonly int _n;
    private readonly int _q;
    private readonly int _os;
    private readonly double _dx;
    private readonly double[] _coords;      // pupil pixel centres (m), same for x (columns) and y (rows)
    private readonly double[] _transmission;
    private readonly double _norm;          // 1/√ΣT²: Σ|E|² = 1 whatever the phase
    private readonly double[] _fixedOpd;    // diffractive pupil (m)
    private readonly double[][] _zernikes;  // unit-RMS Zernikes on the grid
    private readonly double[] _wavelengths;
    private readonly double[] _weights;
    private readonly Field[,] _fields;      // [star, wavelength]
    private readonly CentredDftMatrix[] _a;      // per wavelength: A[q,k] = exp(−i2π x_k θ_q / λ)
    private readonly CentredDftMatrix[] _aPrime; // ∂A/∂dθ
    private readonly FoldScratch _fold = new();
    private readonly double[] _opd;
    private readonly double[] _oversampled;
    private readonly double[] _pupilScratch;      // ∂L/∂OPD or δOPD, N²
    private readonly double[] _phaseScratch;      // ∂L/∂φ, N²
    private readonly double[] _psfScratch;        // δPSF, Q²
    private readonly double[] _detectorScratch;   // δimage, psf_npix²
    private readonly SecondaryMirrorStage? _m2;
    private SheraParameters _last = new();
    private double _dTheta;

    private sealed class Field(int n, int q, bool threePlane)
    {
        public readonly ComplexMatrix E = new(n, n);                  // M1 field
        public readonly ComplexMatrix M1Gradient = new(n, n);
        public readonly ComplexMatrix TangentPupil = new(n, n);
        public readonly ComplexMatrix Pupil = threePlane ? new(n, n) : null!; // what the MFT sees (E itself for two planes)
        public readonly ComplexMatrix W = new(n, q);
        public readonly ComplexMatrix Out = new(q, q);
        public readonly double[] Psf = new double[q * q];
        public readonly ComplexMatrix GradOut = new(q, q);
        public readonly ComplexMatrix GradW = new(n, q);
        public readonly ComplexMatrix GradE = new(n, n);
        public readonly ComplexMatrix Work = new(q, q);
        public readonly ComplexMatrix WorkNq = new(n, q);
        public readonly ComplexMatrix TangentE = new(n, n);
    }

    /// <summary>Builds the model (aperture, Zernike bases, diffractive pupil, M2 stage, buffers).</summary>
    /// <param name="config">Structural configuration.</param>
    public OpticalModel(OpticalConfig config)
    {
        _config = config;
        _n = config.PupilNpix;
        _os = config.Oversample;
        _q = config.PsfNpix * config.Oversample;
        _dx = config.M1Diameter / _n;
        _coords = Enumerable.Range(0, _n).Select(k => (k - (_n - 1) / 2.0) * _dx).ToArray();
        _transmission = Aperture.Transmission(_n, config.M1Diameter, config.M2Diameter, config.Struts, config.StrutWidth, config.StrutRotationDeg);
        _norm = 1 / Math.Sqrt(TensorPrimitives.SumOfSquares(_transmission));
        _fixedOpd = DiffractivePupil.Opd(config.DiffractivePupil, _n, config.DiffractivePupilPath, config.DiffractivePupilSeed, config.DiffractivePupilFeature);
        _zernikes = config.PrimaryNoll.Select(j => Zernike.OnGrid(j, _n, _dx, config.M1Diameter / 2)).ToArray();
        _wavelengths = config.Wavelengths;
        _weights = config.Weights;
        _fields = new Field[2, _wavelengths.Length];
        for (int s = 0; s < 2; s++)
        {
            for (int l = 0; l < _wavelengths.Length; l++) _fields[s, l] = new Field(_n, _q, config.Planes == 3);
        }
        _a = new CentredDftMatrix[_wavelengths.Length];
        _aPrime = new CentredDftMatrix[_wavelengths.Length];
        for (int l = 0; l < _wavelengths.Length; l++)
        {
            _a[l] = new CentredDftMatrix(_q, _n);
            _aPrime[l] = new CentredDftMatrix(_q, _n);
        }
        _opd = new double[_n * _n];
        _oversampled = new double[_q * _q];
        _pupilScratch = new double[_n * _n];
        _phaseScratch = new double[_n * _n];
        _psfScratch = new double[_q * _q];
        _detectorScratch = new double[config.PsfNpix * config.PsfNpix];
        _m2 = config.Planes == 3 ? new SecondaryMirrorStage(config, _wavelengths) : null;
        Detector = new double[config.PsfNpix * config.PsfNpix];
    }

    /// <summary>The configuration.</summary>
    public OpticalConfig Config => _config;

    /// <summary>The M2 stage (three-plane), or null.</summary>
    public SecondaryMirrorStage? SecondaryMirror => _m2;

    /// <summary>The last detector image (photons), psf_npix² row-major.</summary>
    public double[] Detector { get; }

    /// <summary>Computes the detector image for <paramref name="p"/> into <see cref="Detector"/>.</summary>
    /// <param name="p">Parameters.</param>
    public double[] Forward(SheraParameters p)
    {
        _last = p.Clone();
        _dTheta = p.PlateScaleAsPerPix / OpticalConfig.ArcsecPerRadian / _os;
        _fixedOpd.CopyTo(_opd, 0);
        for (int k = 0; k < _zernikes.Length; k++) TensorPrimitives.MultiplyAdd(_zernikes[k], p.PrimaryZernikesNm[k] * 1e-9, _opd, _opd);
        for (int l = 0; l < _wavelengths.Length; l++) BuildTransform(l);
        _m2?.SetAberrations(p.SecondaryZernikesNm);
        var (fa, fb) = p.RawFluxes;
        var ((ax, ay), (bx, by)) = p.StarPositions;
        Array.Clear(_oversampled);
        for (int l = 0; l < _wavelengths.Length; l++)
        {
            Propagate(_fields[0, l], 0, l, ax / OpticalConfig.ArcsecPerRadian, ay / OpticalConfig.ArcsecPerRadian);
            Propagate(_fields[1, l], 1, l, bx / OpticalConfig.ArcsecPerRadian, by / OpticalConfig.ArcsecPerRadian);
            TensorPrimitives.MultiplyAdd(_fields[0, l].Psf, fa * _weights[l], _oversampled, _oversampled);
            TensorPrimitives.MultiplyAdd(_fields[1, l].Psf, fb * _weights[l], _oversampled, _oversampled);
        }
        Bin(_oversampled, Detector);
        return Detector;
    }

    /// <summary>A single star's unit-flux, monochromatic-band PSF on the detector (for checks).</summary>
    /// <param name="p">Parameters (plate scale and Zernikes are used).</param>
    /// <param name="xAs">Star x (arcsec).</param>
    /// <param name="yAs">Star y (arcsec).</param>
    public double[] StarImage(SheraParameters p, double xAs, double yAs)
    {
        var q = p.Clone();
        q.SeparationAs = 0;
        q.XAs = xAs;
        q.YAs = yAs;
        q.Contrast = 1;
        q.LogFluxTotal = Math.Log10(2); // F_A = F_B = 1; both at the same point
        var image = (double[])Forward(q).Clone();
        TensorPrimitives.Multiply(image, 0.5, image);
        return image;
    }

    /// <summary>
    /// Reverse mode: given ∂loss/∂detector for the last <see cref="Forward"/>, returns ∂loss/∂parameters.
    /// </summary>
    /// <param name="detectorGradient">∂loss/∂image, psf_npix² row-major.</param>
    public SheraParameters Backward(ReadOnlySpan<double> detectorGradient)
    {
        var p = _last;
        var (fa, fb) = p.RawFluxes;
        var ((ax, ay), (bx, by)) = p.StarPositions;
        Unbin(detectorGradient, _oversampled);
        double dFa = 0, dFb = 0, dDTheta = 0;
        var dOpd = _pupilScratch;
        Array.Clear(dOpd);
        var dAlpha = new double[4]; // ax, ay, bx, by in radians
        var dPhi = _phaseScratch;
        var dSecondary = new double[p.SecondaryZernikesNm.Length];
        for (int l = 0; l < _wavelengths.Length; l++)
        {
            for (int s = 0; s < 2; s++)
            {
                var f = _fields[s, l];
                double flux = s == 0 ? fa : fb;
                double sum = TensorPrimitives.Dot(f.Psf, _oversampled) * _weights[l];
                if (s == 0) dFa += sum;
                else dFb += sum;
                dDTheta += BackPropagate(f, s, l, flux * _weights[l], dPhi);
                double k = 2 * Math.PI / _wavelengths[l];
                TensorPrimitives.MultiplyAdd(dPhi, k, dOpd, dOpd);
                double gx = 0, gy = 0;
                for (int row = 0; row < _n; row++)
                {
                    double rowSum = 0;
                    for (int col = 0; col < _n; col++)
                    {
                        double d = dPhi[row * _n + col];
                        rowSum += d;
                        gx += d * _coords[col];
                    }
                    gy += rowSum * _coords[row];
                }
                dAlpha[2 * s] += k * gx;
                dAlpha[2 * s + 1] += k * gy;
            }
        }
        _m2?.TakeZernikeGradient(dSecondary);

        // Chain rule from (α_A, α_B, F_A, F_B, dθ, OPD) to the canonical parameters.
        return ParameterChain.Gradient(p, dAlpha, dFa, dFb, dDTheta, _zernikes.Select(z => TensorPrimitives.Dot(z, dOpd) * 1e-9).ToArray(), dSecondary, _os);
    }

    /// <summary>
    /// Forward mode: the change of the detector image of the last <see cref="Forward"/> along the parameter
    /// direction <paramref name="tangent"/> (same units as the parameters), written to <paramref name="imageTangent"/>.
    /// </summary>
    /// <param name="tangent">The direction δp.</param>
    /// <param name="imageTangent">Receives ∂image/∂p · δp (psf_npix² row-major).</param>
    public void Tangent(SheraParameters tangent, Span<double> imageTangent)
    {
        var p = _last;
        var (fa, fb) = p.RawFluxes;
        var (dAlpha, dFa, dFb, dDTheta) = ParameterChain.Tangent(p, tangent, _os);
        var dOpd = _pupilScratch;
        Array.Clear(dOpd);
        for (int k = 0; k < _zernikes.Length; k++) TensorPrimitives.MultiplyAdd(_zernikes[k], tangent.PrimaryZernikesNm[k] * 1e-9, dOpd, dOpd);

        Array.Clear(_oversampled);
        var dPsf = _psfScratch;
        for (int l = 0; l < _wavelengths.Length; l++)
        {
            for (int s = 0; s < 2; s++)
            {
                var f = _fields[s, l];
                TangentOfField(f, s, l, dOpd, tangent.SecondaryZernikesNm, dAlpha[2 * s], dAlpha[2 * s + 1], dDTheta, dPsf);
                double flux = s == 0 ? fa : fb, dFlux = s == 0 ? dFa : dFb;
                TensorPrimitives.MultiplyAdd(dPsf, flux * _weights[l], _oversampled, _oversampled);
                TensorPrimitives.MultiplyAdd(f.Psf, dFlux * _weights[l], _oversampled, _oversampled);
            }
        }
        Bin(_oversampled, _detectorScratch);
        _detectorScratch.CopyTo(imageTangent);
    }

    // δE = i·δφ·E (then through M2 for three planes); δW = δPupil·Aᵀ + δdθ·Pupil·A'ᵀ;
    // δOut = s·(A·δW + δdθ·A'·W) + δdθ·Out/dθ; δPSF = 2 Re(conj(Out)·δOut).
    private void TangentOfField(Field f, int star, int l, double[] dOpd, double[] dSecondary, double dAlphaX, double dAlphaY, double dDTheta, double[] dPsf)
    {
        double k = 2 * Math.PI / _wavelengths[l];
        var dE = f.TangentE;
        for (int row = 0; row < _n; row++)
        {
            for (int col = 0; col < _n; col++)
            {
                int i = row * _n + col;
                double dPhi = k * (dOpd[i] + dAlphaX * _coords[col] + dAlphaY * _coords[row]);
                dE.Re[i] = -dPhi * f.E.Im[i];
                dE.Im[i] = dPhi * f.E.Re[i];
            }
        }
        var dPupil = dE;
        if (_m2 is not null)
        {
            _m2.Tangent(star, l, dE, dSecondary, f.TangentPupil);
            dPupil = f.TangentPupil;
        }
        _a[l].MultiplyRight(dPupil, f.WorkNq, transpose: true, conjugate: false, _fold);
        if (dDTheta != 0)
        {
            _aPrime[l].MultiplyRight(PupilOf(f), f.GradW, transpose: true, conjugate: false, _fold);
            TensorPrimitives.MultiplyAdd(f.GradW.Re, dDTheta, f.WorkNq.Re, f.WorkNq.Re);
            TensorPrimitives.MultiplyAdd(f.GradW.Im, dDTheta, f.WorkNq.Im, f.WorkNq.Im);
        }
        _a[l].MultiplyLeft(f.WorkNq, f.Work, transpose: false, conjugate: false, _fold);
        double s = Scale(l);
        TensorPrimitives.Multiply(f.Work.Re, s, f.Work.Re);
        TensorPrimitives.Multiply(f.Work.Im, s, f.Work.Im);
        if (dDTheta != 0)
        {
            _aPrime[l].MultiplyLeft(f.W, f.GradOut, transpose: false, conjugate: false, _fold);
            TensorPrimitives.MultiplyAdd(f.GradOut.Re, s * dDTheta, f.Work.Re, f.Work.Re);
            TensorPrimitives.MultiplyAdd(f.GradOut.Im, s * dDTheta, f.Work.Im, f.Work.Im);
            TensorPrimitives.MultiplyAdd(f.Out.Re, dDTheta / _dTheta, f.Work.Re, f.Work.Re);
            TensorPrimitives.MultiplyAdd(f.Out.Im, dDTheta / _dTheta, f.Work.Im, f.Work.Im);
        }
        TensorPrimitives.Multiply(f.Out.Re, f.Work.Re, dPsf);
        TensorPrimitives.MultiplyAdd(f.Out.Im, f.Work.Im, dPsf, dPsf);
        TensorPrimitives.Multiply(dPsf, 2.0, dPsf);
    }

    // A[q,k] = exp(−i2π x_k θ_q/λ) with θ_q = (q − (Q−1)/2)·dθ, and ∂A/∂dθ; x and θ are symmetric about 0 (exactly, in
    // floating point), so cos is even and sin odd in both indices and only the top-left quarter is computed.
    private void BuildTransform(int l)
    {
        double lambda = _wavelengths[l];
        double c = (_q - 1) / 2.0;
        for (int q = 0; q < (_q + 1) / 2; q++)
        {
            double theta = (q - c) * _dTheta;
            for (int k = 0; k < (_n + 1) / 2; k++)
            {
                double phase = -2 * Math.PI * _coords[k] * theta / lambda;
                double re = Math.Cos(phase), im = Math.Sin(phase);
                _a[l].Set(q, k, re, im);
                // ∂A/∂dθ = i·(−2π x_k u_q/λ)·A
                double factor = -2 * Math.PI * _coords[k] * (q - c) / lambda;
                _aPrime[l].Set(q, k, -factor * im, factor * re);
            }
        }
    }

    private double Scale(int l) => _dx * _dTheta / _wavelengths[l];

    private ComplexMatrix PupilOf(Field f) => _m2 is null ? f.E : f.Pupil;

    // E = c·T·exp(iφ), φ = 2π(OPD + αx·x + αy·y)/λ; (three-plane: Pupil = M2stage(E)); W = Pupil·Aᵀ; Out = s·A·W; PSF = |Out|².
    private void Propagate(Field f, int star, int l, double alphaX, double alphaY)
    {
        double k = 2 * Math.PI / _wavelengths[l];
        for (int row = 0; row < _n; row++)
        {
            for (int col = 0; col < _n; col++)
            {
                int i = row * _n + col;
                double t = _transmission[i];
                if (t == 0)
                {
                    f.E.Re[i] = f.E.Im[i] = 0;
                    continue;
                }
                double phi = k * (_opd[i] + alphaX * _coords[col] + alphaY * _coords[row]);
                f.E.Re[i] = _norm * t * Math.Cos(phi);
                f.E.Im[i] = _norm * t * Math.Sin(phi);
            }
        }
        _m2?.Forward(star, l, f.E, f.Pupil);
        _a[l].MultiplyRight(PupilOf(f), f.W, transpose: true, conjugate: false, _fold);
        _a[l].MultiplyLeft(f.W, f.Out, transpose: false, conjugate: false, _fold);
        double s = Scale(l);
        TensorPrimitives.Multiply(f.Out.Re, s, f.Out.Re);
        TensorPrimitives.Multiply(f.Out.Im, s, f.Out.Im);
        TensorPrimitives.Multiply(f.Out.Re, f.Out.Re, f.Psf);
        TensorPrimitives.MultiplyAdd(f.Out.Im, f.Out.Im, f.Psf, f.Psf);
    }

    // Reverse of Propagate. Writes ∂L/∂φ into dPhi and returns ∂L/∂dθ (this field's share).
    // Convention: for a complex z, G_z = ∂L/∂Re z + i ∂L/∂Im z; a complex-linear map z' = M z has G_z = Mᴴ G_z'.
    private double BackPropagate(Field f, int star, int l, double fluxWeight, double[] dPhi)
    {
        // PSF = |Out|² ⇒ G_Out = 2·(∂L/∂PSF)·Out, with ∂L/∂PSF = F·w·G_oversampled.
        for (int i = 0; i < f.Psf.Length; i++)
        {
            double g = 2 * fluxWeight * _oversampled[i];
            f.GradOut.Re[i] = g * f.Out.Re[i];
            f.GradOut.Im[i] = g * f.Out.Im[i];
        }
        double s = Scale(l);
        // Out = s·A·W ⇒ G_W = s·Aᴴ·G_Out; W = Pupil·Aᵀ ⇒ G_Pupil = G_W·conj(A).
        _a[l].MultiplyLeft(f.GradOut, f.GradW, transpose: true, conjugate: true, _fold);
        TensorPrimitives.Multiply(f.GradW.Re, s, f.GradW.Re);
        TensorPrimitives.Multiply(f.GradW.Im, s, f.GradW.Im);
        _a[l].MultiplyRight(f.GradW, f.GradE, transpose: false, conjugate: true, _fold);
        var gradM1 = f.GradE;
        if (_m2 is not null)
        {
            _m2.Backward(star, l, f.GradE, f.M1Gradient);
            gradM1 = f.M1Gradient;
        }
        // E = c·T·exp(iφ) ⇒ ∂L/∂φ = Re(conj(G_E)·iE) = Im(G_E·conj(E)).
        for (int i = 0; i < dPhi.Length; i++)
        {
            dPhi[i] = gradM1.Im[i] * f.E.Re[i] - gradM1.Re[i] * f.E.Im[i];
        }

        // dθ enters through s = dx·dθ/λ and through A on both sides:
        // ∂Out/∂dθ = Out/dθ + s·A'·W + s·A·(Pupil·A'ᵀ), A'[q,k] = (−i2π x_k u_q/λ)·A[q,k], u_q = θ_q/dθ.
        double dTheta = RealInner(f.GradOut, f.Out) / _dTheta;
        _aPrime[l].MultiplyLeft(f.W, f.Work, transpose: false, conjugate: false, _fold);
        dTheta += s * RealInner(f.GradOut, f.Work);
        _aPrime[l].MultiplyRight(PupilOf(f), f.WorkNq, transpose: true, conjugate: false, _fold);
        dTheta += RealInner(f.GradW, f.WorkNq);
        return dTheta;
    }

    // Re⟨G, M⟩ = Σ Re(conj(G)·M).
    private static double RealInner(ComplexMatrix g, ComplexMatrix m) =>
        TensorPrimitives.Dot(g.Re, m.Re) + TensorPrimitives.Dot(g.Im, m.Im);

    private void Bin(double[] oversampled, double[] detector)
    {
        int d = _config.PsfNpix;
        Array.Clear(detector);
        for (int p = 0; p < _q; p++)
        {
            int row = p / _os;
            for (int q = 0; q < _q; q++) detector[row * d + q / _os] += oversampled[p * _q + q];
        }
    }

    private void Unbin(ReadOnlySpan<double> detector, double[] oversampled)
    {
        int d = _config.PsfNpix;
        for (int p = 0; p < _q; p++)
        {
            int row = p / _os;
            for (int q = 0; q < _q; q++) oversampled[p * _q + q] = detector[row * d + q / _os];
        }
    }
}
