using System.Numerics.Tensors;

namespace DluxShera.Shera.Optics;

/// <summary>
/// The three-plane model's M2 step (SHERA_MODEL §2): zero-pad the M1 field to P·N (P = ⌈D2·M/D1⌉, the field at
/// offset ⌊(P−1)N/2⌋, M2 centred on M1's axis), Fresnel-propagate by +z with the angular spectrum (FFT · exp(−iπλz(fx² + fy²)) · IFFT,
/// the constant e^{ikz} dropped), apply M2 (hard-edged disk of diameter D2·M in M1-equivalent metres, OPD from
/// the secondary Zernikes), renormalise to unit power, propagate by −z, crop back to N×N. With its reverse
/// and tangent passes, for exact gradients. M = 1/(1 − d/f1), z = d·M.
/// </summary>
public sealed class SecondaryMirrorStage
{
    private readonly int _n;
    private readonly int _size;
    private readonly int _offset;
    private readonly double[] _transmission;
    private readonly double[][] _zernikes;
    private readonly double[] _opd;
    private readonly double[][] _kernelRe; // per wavelength: exp(−iπλz(fx² + fy²))
    private readonly double[][] _kernelIm;
    private readonly double[] _wavelengths;
    private readonly State[,] _states;
    private readonly double[] _scratch; // ∂L/∂ψ or δOPD on the padded grid

    private sealed class State(int size)
    {
        public readonly ComplexMatrix AtM2 = new(size, size);       // field arriving at M2
        public readonly ComplexMatrix AfterM2 = new(size, size);    // after M2, before renormalisation
        public readonly ComplexMatrix Normalised = new(size, size);
        public double Norm;
        public readonly ComplexMatrix Work = new(size, size);
    }

    /// <summary>Builds the stage.</summary>
    /// <param name="config">Optics.</param>
    /// <param name="wavelengths">Wavelengths (m).</param>
    public SecondaryMirrorStage(OpticalConfig config, double[] wavelengths)
    {
        _n = config.PupilNpix;
        double magnification = 1 / (1 - config.MirrorSeparation / config.M1FocalLength);
        Magnification = magnification;
        Distance = config.MirrorSeparation * magnification;
        int p = (int)Math.Ceiling(config.M2Diameter * magnification / config.M1Diameter);
        Padding = p;
        _size = p * _n;
        _offset = (p - 1) * _n / 2;
        double dx = config.M1Diameter / _n;
        double m2Diameter = config.M2Diameter * magnification;
        _transmission = new double[_size * _size];
        // M2 is coaxial with M1: the axis is M1's grid centre carried onto the padded grid, offset + (N−1)/2. It
        // equals the padded grid's own centre (P·N − 1)/2 only when (P−1)·N is even; centring M2 there otherwise
        // would decentre it by half a pupil pixel (≈0.8 mas per star and ≈6 µas of separation for flight).
        double c = _offset + (_n - 1) / 2.0;
        AxisPixel = c;
        for (int row = 0; row < _size; row++)
        {
            for (int col = 0; col < _size; col++)
            {
                double x = (col - c) * dx, y = (row - c) * dx;
                _transmission[row * _size + col] = x * x + y * y <= m2Diameter * m2Diameter / 4 ? 1 : 0;
            }
        }
        SecondaryNoll = config.SecondaryNoll;
        _zernikes = config.SecondaryNoll.Select(j => Zernike.OnGrid(j, _size, dx, m2Diameter / 2, c)).ToArray();
        _opd = new double[_size * _size];
        _wavelengths = wavelengths;
        _kernelRe = new double[wavelengths.Length][];
        _kernelIm = new double[wavelengths.Length][];
        for (int l = 0; l < wavelengths.Length; l++)
        {
            _kernelRe[l] = new double[_size * _size];
            _kernelIm[l] = new double[_size * _size];
            for (int row = 0; row < _size; row++)
            {
                double fy = Frequency(row, _size, dx);
                for (int col = 0; col < _size; col++)
                {
                    double fx = Frequency(col, _size, dx);
                    double phase = -Math.PI * wavelengths[l] * Distance * (fx * fx + fy * fy);
                    _kernelRe[l][row * _size + col] = Math.Cos(phase);
                    _kernelIm[l][row * _size + col] = Math.Sin(phase);
                }
            }
        }
        _scratch = new double[_size * _size];
        _states = new State[2, wavelengths.Length];
        for (int s = 0; s < 2; s++)
        {
            for (int l = 0; l < wavelengths.Length; l++) _states[s, l] = new State(_size);
        }
    }

    /// <summary>Pupil magnification M.</summary>
    public double Magnification { get; }

    /// <summary>Equivalent propagation distance z = d·M (m).</summary>
    public double Distance { get; }

    /// <summary>Padding factor P.</summary>
    public int Padding { get; }

    /// <summary>The optical axis (M1's and M2's) in pixel coordinates of the padded grid, offset + (N−1)/2.</summary>
    public double AxisPixel { get; }

    /// <summary>Offset of the M1 field in the padded grid, ⌊(P−1)N/2⌋ pixels along each axis.</summary>
    public int Offset => _offset;

    /// <summary>Noll indices of the secondary Zernikes, in the order <see cref="SetAberrations"/> takes them.</summary>
    public int[] SecondaryNoll { get; }

    /// <summary>Side of the padded grid, P·N.</summary>
    public int PaddedSize => _size;

    /// <summary>The M2 transmission on the padded grid (for the device backend).</summary>
    internal double[] Transmission => _transmission;

    /// <summary>The secondary Zernikes on the padded grid (for the device backend).</summary>
    internal double[][] Zernikes => _zernikes;

    /// <summary>
    /// The +z propagation of wavelength <paramref name="l"/> as a matrix: the 2-D kernel is a product of 1-D ones,
    /// exp(−iπλz fy²)·exp(−iπλz fx²), so IFFT(FFT(x)·K) = G·x·Gᵀ with the circulant
    /// G[m, n] = (1/P) Σⱼ exp(−iπλz fⱼ²)·exp(2πi j (m − n)/P) (P the padded side). −z is conj(G).
    /// </summary>
    /// <param name="l">Wavelength index.</param>
    public ComplexMatrix PropagationMatrix(int l)
    {
        int size = _size;
        var kernelRe = new double[size];
        var kernelIm = new double[size];
        for (int j = 0; j < size; j++)
        {
            // the 1-D factor of row j, column 0: exp(−iπλz fj²) = K[j, 0]/exp(−iπλz f0²) with f0 = 0
            kernelRe[j] = _kernelRe[l][j * size];
            kernelIm[j] = _kernelIm[l][j * size];
        }
        var g = new double[2 * size];
        for (int d = 0; d < size; d++)
        {
            double re = 0, im = 0;
            for (int j = 0; j < size; j++)
            {
                double angle = 2 * Math.PI * ((long)j * d % size) / size;
                double c = Math.Cos(angle), s = Math.Sin(angle);
                re += kernelRe[j] * c - kernelIm[j] * s;
                im += kernelRe[j] * s + kernelIm[j] * c;
            }
            g[2 * d] = re / size;
            g[2 * d + 1] = im / size;
        }
        var m = new ComplexMatrix(size, size);
        for (int row = 0; row < size; row++)
        {
            for (int col = 0; col < size; col++)
            {
                int d = ((row - col) % size + size) % size;
                m.Re[row * size + col] = g[2 * d];
                m.Im[row * size + col] = g[2 * d + 1];
            }
        }
        return m;
    }

    private static double Frequency(int k, int n, double dx) => (k < (n + 1) / 2 ? k : k - n) / (n * dx);

    /// <summary>Sets the M2 OPD from the secondary Zernike coefficients (nm) for the next passes.</summary>
    /// <param name="coefficientsNm">Coefficients per configured Noll index.</param>
    public void SetAberrations(double[] coefficientsNm)
    {
        Array.Clear(_opd);
        for (int k = 0; k < _zernikes.Length; k++) TensorPrimitives.MultiplyAdd(_zernikes[k], coefficientsNm[k] * 1e-9, _opd, _opd);
    }

    /// <summary>Forward: <paramref name="output"/> (N×N) from the M1 field <paramref name="input"/> for star s, wavelength l.</summary>
    public void Forward(int s, int l, ComplexMatrix input, ComplexMatrix output)
    {
        var st = _states[s, l];
        Pad(input, st.AtM2);
        Fresnel(st.AtM2, l, conjugate: false);
        double k = 2 * Math.PI / _wavelengths[l];
        for (int i = 0; i < _transmission.Length; i++)
        {
            double t = _transmission[i];
            double psi = k * _opd[i];
            double c = t * Math.Cos(psi), sn = t * Math.Sin(psi);
            double re = st.AtM2.Re[i], im = st.AtM2.Im[i];
            st.AfterM2.Re[i] = re * c - im * sn;
            st.AfterM2.Im[i] = re * sn + im * c;
        }
        st.Norm = Math.Sqrt(TensorPrimitives.SumOfSquares(st.AfterM2.Re) + TensorPrimitives.SumOfSquares(st.AfterM2.Im));
        TensorPrimitives.Divide(st.AfterM2.Re, st.Norm, st.Normalised.Re);
        TensorPrimitives.Divide(st.AfterM2.Im, st.Norm, st.Normalised.Im);
        st.Normalised.Re.CopyTo(st.Work.Re, 0);
        st.Normalised.Im.CopyTo(st.Work.Im, 0);
        Fresnel(st.Work, l, conjugate: true);
        Crop(st.Work, output);
    }

    /// <summary>
    /// Reverse: from ∂L/∂output (N×N) writes ∂L/∂input into <paramref name="inputGradient"/> and adds ∂L/∂ψ·k·Z
    /// contractions to <paramref name="zernikeGradientNm"/> (per secondary Zernike, per nm).
    /// </summary>
    public void Backward(int s, int l, ComplexMatrix outputGradient, ComplexMatrix inputGradient, double[] zernikeGradientNm)
    {
        var st = _states[s, l];
        var g = st.Work;
        Pad(outputGradient, g);
        Fresnel(g, l, conjugate: false); // adjoint of the −z step
        // g = f/‖f‖ ⇒ G_f = (G_g − g·Re⟨g, G_g⟩)/‖f‖
        double proj = TensorPrimitives.Dot(st.Normalised.Re, g.Re) + TensorPrimitives.Dot(st.Normalised.Im, g.Im);
        TensorPrimitives.MultiplyAdd(st.Normalised.Re, -proj, g.Re, g.Re);
        TensorPrimitives.MultiplyAdd(st.Normalised.Im, -proj, g.Im, g.Im);
        TensorPrimitives.Divide(g.Re, st.Norm, g.Re);
        TensorPrimitives.Divide(g.Im, st.Norm, g.Im);
        // F2 = F·T·e^{iψ} ⇒ ∂L/∂ψ = Im(G_F2·conj(F2)), G_F = G_F2·T·e^{−iψ}
        double k = 2 * Math.PI / _wavelengths[l];
        var dPsi = _scratch;
        for (int i = 0; i < _transmission.Length; i++)
        {
            double gr = g.Re[i], gi = g.Im[i];
            dPsi[i] = gi * st.AfterM2.Re[i] - gr * st.AfterM2.Im[i];
            double t = _transmission[i], psi = k * _opd[i];
            double c = t * Math.Cos(psi), sn = t * Math.Sin(psi);
            g.Re[i] = gr * c + gi * sn;
            g.Im[i] = gi * c - gr * sn;
        }
        for (int z = 0; z < _zernikes.Length; z++) zernikeGradientNm[z] += k * 1e-9 * TensorPrimitives.Dot(dPsi, _zernikes[z]);
        Fresnel(g, l, conjugate: true); // adjoint of the +z step
        Crop(g, inputGradient);
    }

    /// <summary>Tangent: δoutput from δinput and a change of the secondary Zernikes (nm).</summary>
    public void Tangent(int s, int l, ComplexMatrix inputTangent, double[] zernikeTangentNm, ComplexMatrix outputTangent)
    {
        var st = _states[s, l];
        var d = st.Work;
        Pad(inputTangent, d);
        Fresnel(d, l, conjugate: false);
        double k = 2 * Math.PI / _wavelengths[l];
        var dOpd = _scratch;
        Array.Clear(dOpd);
        for (int z = 0; z < _zernikes.Length; z++) TensorPrimitives.MultiplyAdd(_zernikes[z], zernikeTangentNm[z] * 1e-9, dOpd, dOpd);
        for (int i = 0; i < _transmission.Length; i++)
        {
            double t = _transmission[i], psi = k * _opd[i];
            double c = t * Math.Cos(psi), sn = t * Math.Sin(psi);
            double re = d.Re[i], im = d.Im[i];
            double dPsi = k * dOpd[i];
            // δF2 = δF·M2 + i·δψ·F2
            d.Re[i] = re * c - im * sn - dPsi * st.AfterM2.Im[i];
            d.Im[i] = re * sn + im * c + dPsi * st.AfterM2.Re[i];
        }
        // δg = (δf − g·Re⟨g, δf⟩)/‖f‖
        double proj = TensorPrimitives.Dot(st.Normalised.Re, d.Re) + TensorPrimitives.Dot(st.Normalised.Im, d.Im);
        TensorPrimitives.MultiplyAdd(st.Normalised.Re, -proj, d.Re, d.Re);
        TensorPrimitives.MultiplyAdd(st.Normalised.Im, -proj, d.Im, d.Im);
        TensorPrimitives.Divide(d.Re, st.Norm, d.Re);
        TensorPrimitives.Divide(d.Im, st.Norm, d.Im);
        Fresnel(d, l, conjugate: true);
        Crop(d, outputTangent);
    }

    /// <summary>Free-space propagation of a padded (P·N)² field in place: by +z, or by −z when <paramref name="conjugate"/>.</summary>
    /// <remarks>x ← IFFT(FFT(x)·K), K = exp(∓iπλz f²): unitary, and its adjoint is the opposite propagation.</remarks>
    /// <param name="x">The field on the padded grid.</param>
    /// <param name="l">Wavelength index.</param>
    /// <param name="conjugate">Propagate by −z.</param>
    public void Fresnel(ComplexMatrix x, int l, bool conjugate)
    {
        Fft2D.Transform(x, inverse: false);
        var kr = _kernelRe[l];
        var ki = _kernelIm[l];
        double sign = conjugate ? -1 : 1;
        for (int i = 0; i < kr.Length; i++)
        {
            double re = x.Re[i], im = x.Im[i], c = kr[i], sn = sign * ki[i];
            x.Re[i] = re * c - im * sn;
            x.Im[i] = re * sn + im * c;
        }
        Fft2D.Transform(x, inverse: true);
    }

    private void Pad(ComplexMatrix small, ComplexMatrix large)
    {
        Array.Clear(large.Re);
        Array.Clear(large.Im);
        for (int row = 0; row < _n; row++)
        {
            Array.Copy(small.Re, row * _n, large.Re, (row + _offset) * _size + _offset, _n);
            Array.Copy(small.Im, row * _n, large.Im, (row + _offset) * _size + _offset, _n);
        }
    }

    private void Crop(ComplexMatrix large, ComplexMatrix small)
    {
        for (int row = 0; row < _n; row++)
        {
            Array.Copy(large.Re, (row + _offset) * _size + _offset, small.Re, row * _n, _n);
            Array.Copy(large.Im, (row + _offset) * _size + _offset, small.Im, row * _n, _n);
        }
    }
}
