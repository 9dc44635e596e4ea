using System.Numerics;
using System.Numerics.Tensors;

namespace DluxShera.Shera.Optics;

/// <summary>
/// The three-plane model's M2 step (SHERA_MODEL §2): zero-pad the M1 field to P·N (P = ⌈D2·M/D1⌉, the field at
/// offset ⌊(P−1)N/2⌋, M2 centred on M1's axis), Fresnel-propagate by +z with the angular spectrum (FFT · exp(−iπλz(fx² + fy²)) · IFFT,
/// the constant e^{ikz} dropped), apply M2 (hard-edged disk of diameter D2·M in M1-equivalent metres, OPD from
/// the secondary Zernikes), renormalise to unit power, propagate by −z, crop back to N×N. With its reverse
/// and tangent passes, for exact gradients. M = 1/(1 − d/f1), z = d·M.
/// </summary>
/// <remarks>
/// Cost at production size is the Fresnel steps on the padded grid: they run axis by axis and skip the rows and
/// columns that are zero on entry or cropped away (<see cref="SeparableFresnel"/>); M2's transmission·e^{ikψ} is
/// computed once per wavelength and evaluation, not per star and pass; element-wise passes touch only the rows M2's
/// disk crosses. Per (star, wavelength) the forward pass keeps only the field after M2 and its norm.
/// </remarks>
public sealed unsafe class SecondaryMirrorStage
{
    private readonly int _n;
    private readonly int _size;
    private readonly int _offset;
    private readonly double[] _transmission;
    private readonly double[][] _zernikes;
    private readonly double[] _opd;
    private readonly double[] _tangentOpd;       // δOPD of the current tangent direction (m)
    private double[]? _tangentCoefficients;      // the direction _tangentOpd was computed for
    private readonly Complex[][] _kernel;        // per wavelength, the 1-D kernel exp(−iπλz f_j²)
    private readonly Complex[][] _mirror;        // per wavelength, T·exp(ikψ) for the current aberrations
    private readonly double[] _wavelengths;
    private readonly int _diskStart;             // rows [start, end) are the only ones M2's disk crosses
    private readonly int _diskEnd;
    private readonly SeparableFresnel _fresnel;
    private readonly State[,] _states;
    private readonly double[] _phaseGradient;    // Σ over passes of k·1e-9·∂L/∂ψ, contracted by TakeZernikeGradient
    private readonly double[] _rowSums;

    private sealed class State(int size)
    {
        public readonly NativeComplexBuffer AfterM2 = new(size * size); // field after M2, before renormalisation
        public double Norm;
        public readonly NativeComplexBuffer Work = new(size * size);
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
        _diskStart = _size;
        _diskEnd = 0;
        for (int row = 0; row < _size; row++)
        {
            for (int col = 0; col < _size; col++)
            {
                double x = (col - c) * dx, y = (row - c) * dx;
                bool inside = x * x + y * y <= m2Diameter * m2Diameter / 4;
                _transmission[row * _size + col] = inside ? 1 : 0;
                if (inside)
                {
                    _diskStart = Math.Min(_diskStart, row);
                    _diskEnd = Math.Max(_diskEnd, row + 1);
                }
            }
        }
        if (_diskEnd <= _diskStart) (_diskStart, _diskEnd) = (0, 0);
        SecondaryNoll = config.SecondaryNoll;
        _zernikes = config.SecondaryNoll.Select(j => Zernike.OnGrid(j, _size, dx, m2Diameter / 2, c)).ToArray();
        _opd = new double[_size * _size];
        _tangentOpd = new double[_size * _size];
        _phaseGradient = new double[_size * _size];
        _rowSums = new double[_size];
        _wavelengths = wavelengths;
        _kernel = new Complex[wavelengths.Length][];
        _mirror = new Complex[wavelengths.Length][];
        for (int l = 0; l < wavelengths.Length; l++)
        {
            _kernel[l] = new Complex[_size];
            for (int j = 0; j < _size; j++)
            {
                double f = Frequency(j, _size, dx);
                double phase = -Math.PI * wavelengths[l] * Distance * f * f;
                _kernel[l][j] = new Complex(Math.Cos(phase), Math.Sin(phase));
            }
            _mirror[l] = new Complex[_size * _size];
        }
        _fresnel = new SeparableFresnel(_size, _offset, _n, _kernel);
        _states = new State[2, wavelengths.Length];
        for (int s = 0; s < 2; s++)
        {
            for (int l = 0; l < wavelengths.Length; l++) _states[s, l] = new State(_size);
        }
        SetAberrations(new double[_zernikes.Length]);
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
        var kernelRe = _kernel[l].Select(k => k.Real).ToArray();
        var kernelIm = _kernel[l].Select(k => k.Imaginary).ToArray();
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

    /// <summary>
    /// Sets the M2 OPD from the secondary Zernike coefficients (nm) for the next passes, and M2's complex
    /// transmission T·exp(ikψ) per wavelength.
    /// </summary>
    /// <param name="coefficientsNm">Coefficients per configured Noll index.</param>
    public void SetAberrations(double[] coefficientsNm)
    {
        Array.Clear(_opd);
        for (int k = 0; k < _zernikes.Length; k++) TensorPrimitives.MultiplyAdd(_zernikes[k], coefficientsNm[k] * 1e-9, _opd, _opd);
        for (int l = 0; l < _wavelengths.Length; l++)
        {
            double k = 2 * Math.PI / _wavelengths[l];
            var mirror = _mirror[l];
            ForDiskRows((start, end) =>
            {
                for (int i = start; i < end; i++)
                {
                    double t = _transmission[i], psi = k * _opd[i];
                    mirror[i] = t == 0 ? Complex.Zero : new Complex(t * Math.Cos(psi), t * Math.Sin(psi));
                }
            });
        }
    }

    /// <summary>Forward: <paramref name="output"/> (N×N) from the M1 field <paramref name="input"/> for star s, wavelength l.</summary>
    public void Forward(int s, int l, ComplexMatrix input, ComplexMatrix output)
    {
        var st = _states[s, l];
        Complex* w = st.Work.Pointer, after = st.AfterM2.Pointer;
        Pad(input, w);
        _fresnel.FromBlock(w, l, conjugate: false, _diskStart, _diskEnd);
        var mirror = _mirror[l];
        // F2 = F·T·e^{iψ}; g = F2/‖F2‖
        ForDiskRows((start, end) =>
        {
            double sum = 0;
            for (int i = start; i < end; i++)
            {
                var f2 = w[i] * mirror[i];
                after[i] = f2;
                sum += f2.Real * f2.Real + f2.Imaginary * f2.Imaginary;
            }
            _rowSums[start / _size] = sum;
        });
        st.Norm = Math.Sqrt(SumDiskRows());
        double norm = st.Norm;
        ForDiskRows((start, end) =>
        {
            for (int i = start; i < end; i++) w[i] = new Complex(after[i].Real / norm, after[i].Imaginary / norm);
        });
        ClearOutsideDisk(w);
        _fresnel.ToBlock(w, l, conjugate: true, _diskStart, _diskEnd);
        Crop(w, output);
    }

    /// <summary>
    /// Reverse: from ∂L/∂output (N×N) writes ∂L/∂input into <paramref name="inputGradient"/>, and keeps this pass's
    /// ∂L/∂ψ for <see cref="TakeZernikeGradient"/>.
    /// </summary>
    public void Backward(int s, int l, ComplexMatrix outputGradient, ComplexMatrix inputGradient)
    {
        var st = _states[s, l];
        Complex* g = st.Work.Pointer, after = st.AfterM2.Pointer;
        Pad(outputGradient, g);
        _fresnel.FromBlock(g, l, conjugate: false, _diskStart, _diskEnd); // adjoint of the −z step
        double norm = st.Norm;
        // g = f/‖f‖ ⇒ G_f = (G_g − g·Re⟨g, G_g⟩)/‖f‖, with g = F2/‖F2‖
        ForDiskRows((start, end) =>
        {
            double sum = 0;
            for (int i = start; i < end; i++) sum += after[i].Real * g[i].Real + after[i].Imaginary * g[i].Imaginary;
            _rowSums[start / _size] = sum;
        });
        double proj = SumDiskRows() / norm;
        // F2 = F·T·e^{iψ} ⇒ ∂L/∂ψ = Im(G_F2·conj(F2)), G_F = G_F2·T·e^{−iψ}
        double k = 2 * Math.PI / _wavelengths[l];
        var mirror = _mirror[l];
        ForDiskRows((start, end) =>
        {
            for (int i = start; i < end; i++)
            {
                double gr = (g[i].Real - after[i].Real / norm * proj) / norm;
                double gi = (g[i].Imaginary - after[i].Imaginary / norm * proj) / norm;
                _phaseGradient[i] += k * 1e-9 * (gi * after[i].Real - gr * after[i].Imaginary);
                g[i] = new Complex(gr, gi) * Complex.Conjugate(mirror[i]);
            }
        });
        ClearOutsideDisk(g);
        _fresnel.ToBlock(g, l, conjugate: true, _diskStart, _diskEnd); // adjoint of the +z step
        Crop(g, inputGradient);
    }

    /// <summary>
    /// Adds ∂L/∂(secondary Zernike coefficients, per nm) of every <see cref="Backward"/> pass since the last call to
    /// <paramref name="zernikeGradientNm"/>, and starts over.
    /// </summary>
    /// <param name="zernikeGradientNm">Per secondary Zernike.</param>
    public void TakeZernikeGradient(double[] zernikeGradientNm)
    {
        int start = _diskStart * _size, length = (_diskEnd - _diskStart) * _size;
        var dPsi = _phaseGradient.AsSpan(start, length);
        for (int z = 0; z < _zernikes.Length; z++) zernikeGradientNm[z] += TensorPrimitives.Dot(dPsi, _zernikes[z].AsSpan(start, length));
        dPsi.Clear();
    }

    /// <summary>Tangent: δoutput from δinput and a change of the secondary Zernikes (nm).</summary>
    public void Tangent(int s, int l, ComplexMatrix inputTangent, double[] zernikeTangentNm, ComplexMatrix outputTangent)
    {
        var st = _states[s, l];
        Complex* d = st.Work.Pointer, after = st.AfterM2.Pointer;
        Pad(inputTangent, d);
        _fresnel.FromBlock(d, l, conjugate: false, _diskStart, _diskEnd);
        var dOpd = TangentOpd(zernikeTangentNm);
        double k = 2 * Math.PI / _wavelengths[l], norm = st.Norm;
        var mirror = _mirror[l];
        // δF2 = δF·M2 + i·δψ·F2
        ForDiskRows((start, end) =>
        {
            double sum = 0;
            for (int i = start; i < end; i++)
            {
                double dPsi = k * dOpd[i];
                var v = d[i] * mirror[i] + new Complex(-dPsi * after[i].Imaginary, dPsi * after[i].Real);
                d[i] = v;
                sum += after[i].Real * v.Real + after[i].Imaginary * v.Imaginary;
            }
            _rowSums[start / _size] = sum;
        });
        // δg = (δf − g·Re⟨g, δf⟩)/‖f‖
        double proj = SumDiskRows() / norm;
        ForDiskRows((start, end) =>
        {
            for (int i = start; i < end; i++)
            {
                d[i] = new Complex((d[i].Real - after[i].Real / norm * proj) / norm, (d[i].Imaginary - after[i].Imaginary / norm * proj) / norm);
            }
        });
        ClearOutsideDisk(d);
        _fresnel.ToBlock(d, l, conjugate: true, _diskStart, _diskEnd);
        Crop(d, outputTangent);
    }

    // δOPD for the tangent direction, recomputed only when the direction changes (one tangent pass per star and wavelength).
    private double[] TangentOpd(double[] zernikeTangentNm)
    {
        if (_tangentCoefficients is not null && _tangentCoefficients.AsSpan().SequenceEqual(zernikeTangentNm)) return _tangentOpd;
        Array.Clear(_tangentOpd);
        for (int z = 0; z < _zernikes.Length; z++) TensorPrimitives.MultiplyAdd(_zernikes[z], zernikeTangentNm[z] * 1e-9, _tangentOpd, _tangentOpd);
        _tangentCoefficients = (double[])zernikeTangentNm.Clone();
        return _tangentOpd;
    }

    /// <summary>Free-space propagation of a padded (P·N)² field in place: by +z, or by −z when <paramref name="conjugate"/>.</summary>
    /// <remarks>x ← IFFT(FFT(x)·K), K = exp(∓iπλz f²): unitary, and its adjoint is the opposite propagation. The whole
    /// 2-D step, for checks; the passes use the pruned axis-by-axis form.</remarks>
    /// <param name="x">The field on the padded grid.</param>
    /// <param name="l">Wavelength index.</param>
    /// <param name="conjugate">Propagate by −z.</param>
    public void Fresnel(ComplexMatrix x, int l, bool conjugate)
    {
        Fft2D.Transform(x, inverse: false);
        var kernel = _kernel[l];
        double sign = conjugate ? -1 : 1;
        for (int row = 0; row < _size; row++)
        {
            for (int col = 0; col < _size; col++)
            {
                int i = row * _size + col;
                var k = kernel[row] * kernel[col];
                double re = x.Re[i], im = x.Im[i], c = k.Real, sn = sign * k.Imaginary;
                x.Re[i] = re * c - im * sn;
                x.Im[i] = re * sn + im * c;
            }
        }
        Fft2D.Transform(x, inverse: true);
    }

    // Runs body(start, end) over the element ranges of the rows M2's disk crosses, one row per call, in parallel.
    private void ForDiskRows(Action<int, int> body)
    {
        int size = _size;
        Parallel.For(_diskStart, _diskEnd, row => body(row * size, (row + 1) * size));
    }

    // The per-row partial sums in row order: the same total whatever the threads did.
    private double SumDiskRows()
    {
        double total = 0;
        for (int row = _diskStart; row < _diskEnd; row++) total += _rowSums[row];
        return total;
    }

    private void ClearOutsideDisk(Complex* field)
    {
        new Span<Complex>(field, _diskStart * _size).Clear();
        new Span<Complex>(field + (long)_diskEnd * _size, (_size - _diskEnd) * _size).Clear();
    }

    // The N×N field into the block at (offset, offset) of a zeroed padded grid.
    private void Pad(ComplexMatrix small, Complex* large)
    {
        new Span<Complex>(large, _offset * _size).Clear();
        for (int row = 0; row < _n; row++)
        {
            var target = large + (long)(row + _offset) * _size;
            new Span<Complex>(target, _offset).Clear();
            for (int col = 0; col < _n; col++) target[_offset + col] = new Complex(small.Re[row * _n + col], small.Im[row * _n + col]);
            new Span<Complex>(target + _offset + _n, _size - _offset - _n).Clear();
        }
        new Span<Complex>(large + (long)(_offset + _n) * _size, (_size - _offset - _n) * _size).Clear();
    }

    private void Crop(Complex* large, ComplexMatrix small)
    {
        for (int row = 0; row < _n; row++)
        {
            var source = large + (long)(row + _offset) * _size + _offset;
            for (int col = 0; col < _n; col++)
            {
                small.Re[row * _n + col] = source[col].Real;
                small.Im[row * _n + col] = source[col].Imaginary;
            }
        }
    }
}
