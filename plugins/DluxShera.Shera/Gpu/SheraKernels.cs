using ILGPU;

namespace DluxShera.Shera.Gpu;

/// <summary>Columns of the per-field table the host uploads before each pass (one row per field f = (2b + s)·L + l).</summary>
public static class FieldColumn
{
    /// <summary>Star x angle (rad).</summary>
    public const int AlphaX = 0;
    /// <summary>Star y angle (rad).</summary>
    public const int AlphaY = 1;
    /// <summary>Wavenumber 2π/λ.</summary>
    public const int K = 2;
    /// <summary>MFT scale dx·dθ/λ.</summary>
    public const int Scale = 3;
    /// <summary>Flux times spectral weight.</summary>
    public const int FluxWeight = 4;
    /// <summary>Tangent of the star x angle.</summary>
    public const int DAlphaX = 5;
    /// <summary>Tangent of the star y angle.</summary>
    public const int DAlphaY = 6;
    /// <summary>Tangent of flux × weight.</summary>
    public const int DFluxWeight = 7;
    /// <summary>Tangent of the focal sampling dθ.</summary>
    public const int DDTheta = 8;
    /// <summary>Scale × tangent of dθ.</summary>
    public const int ScaleDDTheta = 9;
    /// <summary>Tangent of dθ over dθ.</summary>
    public const int RelativeDDTheta = 10;
    /// <summary>Focal sampling dθ (rad).</summary>
    public const int DTheta = 11;
    /// <summary>Wavelength (m).</summary>
    public const int Lambda = 12;
    /// <summary>Columns.</summary>
    public const int Count = 13;
}

/// <summary>
/// The ILGPU kernels of the SHERA model (each is the device twin of a loop of <see cref="Optics.OpticalModel"/> or
/// <see cref="Optics.SecondaryMirrorStage"/>, same formulas): element-wise kernels over all fields of a batch, a
/// tiled complex GEMM (the matrix Fourier transforms and the Fresnel steps as matrix DFTs) and a group reduction.
/// Every kernel runs on ILGPU's CPU accelerator too, which is how the tests check them.
/// </summary>
public static class SheraKernels
{
    /// <summary>GEMM tile side on a GPU (threads per group: Tile²); the CPU emulator uses smaller tiles (its barriers are costly).</summary>
    public const int Tile = 16;

    /// <summary>Threads per group of the reduction on a GPU (a power of two).</summary>
    public const int ReduceGroup = 256;

    /// <summary>out[b, p] = base[p]·hasBase + Σₖ basis[k, p]·coefficients[b, k] (OPDs from Zernike coefficients).</summary>
    public static void ZernikeSum(Index1D i, ArrayView<double> output, ArrayView<double> baseMap, ArrayView<double> basis, ArrayView<double> coefficients, int terms, int size, int hasBase)
    {
        int b = i / size, p = i % size;
        double v = hasBase != 0 ? baseMap[p] : 0;
        for (int k = 0; k < terms; k++) v += basis[k * size + p] * coefficients[b * terms + k];
        output[i] = v;
    }

    /// <summary>A[q, k] = exp(−i2π x_k θ_q/λ) and ∂A/∂dθ per (point, wavelength), θ_q = (q − (Q−1)/2)·dθ.</summary>
    public static void BuildTransform(Index1D i, ArrayView<double> aRe, ArrayView<double> aIm, ArrayView<double> pRe, ArrayView<double> pIm,
        ArrayView<double> coords, ArrayView<double> table, ModelDims d)
    {
        int k = i % d.N, q = i / d.N % d.Q, bl = i / (d.N * d.Q);
        int l = bl % d.L, b = bl / d.L;
        int row = (2 * b * d.L + l) * d.TableStride; // star 0's row carries the point's dθ and λ
        double lambda = table[row + FieldColumn.Lambda], dTheta = table[row + FieldColumn.DTheta];
        double u = q - (d.Q - 1) / 2.0;
        double phase = -2 * Math.PI * coords[k] * u * dTheta / lambda;
        var sc = DeviceMath.Evaluate(phase);
        aRe[i] = sc.Cos;
        aIm[i] = sc.Sin;
        double factor = -2 * Math.PI * coords[k] * u / lambda;
        pRe[i] = -factor * sc.Sin;
        pIm[i] = factor * sc.Cos;
    }

    /// <summary>E = c·T·exp(iφ), φ = k·(OPD + αx·x + αy·y), for every field.</summary>
    public static void PupilField(Index1D i, ArrayView<double> eRe, ArrayView<double> eIm, ArrayView<double> transmission, ArrayView<double> opd,
        ArrayView<double> xGrid, ArrayView<double> yGrid, ArrayView<double> table, ModelDims d)
    {
        int n2 = d.N * d.N, p = i % n2, f = i / n2, b = f / d.FieldsPerPoint;
        double t = transmission[p];
        if (t == 0)
        {
            eRe[i] = 0;
            eIm[i] = 0;
            return;
        }
        int row = f * d.TableStride;
        double phi = table[row + FieldColumn.K] * (opd[b * n2 + p] + table[row + FieldColumn.AlphaX] * xGrid[p] + table[row + FieldColumn.AlphaY] * yGrid[p]);
        var sc = DeviceMath.Evaluate(phi);
        eRe[i] = d.Norm * t * sc.Cos;
        eIm[i] = d.Norm * t * sc.Sin;
    }

    /// <summary>Batched complex C = α·op(X)·op(Y) (+ C): T×T threads per output tile (T = the group's side), T-wide slabs of X and Y
    /// staged in dynamic shared memory (4T² doubles); grid (⌈N/T⌉, ⌈M/T⌉, fields).</summary>
    public static void Gemm(ArrayView<double> xRe, ArrayView<double> xIm, ArrayView<double> yRe, ArrayView<double> yIm,
        ArrayView<double> cRe, ArrayView<double> cIm, ArrayView<double> table, GemmArguments a)
    {
        int tile = Group.DimX, tile2 = tile * tile;
        var shared = SharedMemory.GetDynamic<double>();
        var sxr = shared.SubView(0, tile2);
        var sxi = shared.SubView(tile2, tile2);
        var syr = shared.SubView(2 * tile2, tile2);
        var syi = shared.SubView(3 * tile2, tile2);
        int tx = Group.IdxX, ty = Group.IdxY, f = Grid.IdxZ;
        int col = Grid.IdxX * tile + tx, row = Grid.IdxY * tile + ty;
        int xStart = a.X.Map.Start(f), yStart = a.Y.Map.Start(f);
        double accRe = 0, accIm = 0;
        for (int k0 = 0; k0 < a.K; k0 += tile)
        {
            int kx = k0 + tx, ky = k0 + ty, slot = ty * tile + tx;
            if (row < a.M && kx < a.K)
            {
                int idx = xStart + row * a.X.RowStride + kx * a.X.ColStride;
                sxr[slot] = xRe[idx];
                sxi[slot] = a.X.ImSign * xIm[idx];
            }
            else
            {
                sxr[slot] = 0;
                sxi[slot] = 0;
            }
            if (ky < a.K && col < a.N)
            {
                int idx = yStart + ky * a.Y.RowStride + col * a.Y.ColStride;
                syr[slot] = yRe[idx];
                syi[slot] = a.Y.ImSign * yIm[idx];
            }
            else
            {
                syr[slot] = 0;
                syi[slot] = 0;
            }
            Group.Barrier();
            for (int kk = 0; kk < tile; kk++)
            {
                double ar = sxr[ty * tile + kk], ai = sxi[ty * tile + kk], br = syr[kk * tile + tx], bi = syi[kk * tile + tx];
                accRe += ar * br - ai * bi;
                accIm += ar * bi + ai * br;
            }
            Group.Barrier();
        }
        if (row >= a.M || col >= a.N) return;
        double alpha = a.AlphaColumn < 0 ? 1 : table[f * a.TableStride + a.AlphaColumn];
        int c = f * a.M * a.N + row * a.N + col;
        if (a.Accumulate != 0)
        {
            cRe[c] += alpha * accRe;
            cIm[c] += alpha * accIm;
        }
        else
        {
            cRe[c] = alpha * accRe;
            cIm[c] = alpha * accIm;
        }
    }

    /// <summary>The same product as <see cref="Gemm"/>, one thread per element of C and no shared memory or barriers: what ILGPU's CPU
    /// emulator runs fast (its barriers cost OS context switches). Index over fields·M·N.</summary>
    public static void GemmDirect(Index1D i, ArrayView<double> xRe, ArrayView<double> xIm, ArrayView<double> yRe, ArrayView<double> yIm,
        ArrayView<double> cRe, ArrayView<double> cIm, ArrayView<double> table, GemmArguments a)
    {
        int mn = a.M * a.N, f = i / mn, row = i % mn / a.N, col = i % a.N;
        int x = a.X.Map.Start(f) + row * a.X.RowStride, y = a.Y.Map.Start(f) + col * a.Y.ColStride;
        double accRe = 0, accIm = 0;
        for (int k = 0; k < a.K; k++)
        {
            double ar = xRe[x + k * a.X.ColStride], ai = a.X.ImSign * xIm[x + k * a.X.ColStride];
            double br = yRe[y + k * a.Y.RowStride], bi = a.Y.ImSign * yIm[y + k * a.Y.RowStride];
            accRe += ar * br - ai * bi;
            accIm += ar * bi + ai * br;
        }
        double alpha = a.AlphaColumn < 0 ? 1 : table[f * a.TableStride + a.AlphaColumn];
        if (a.Accumulate != 0)
        {
            cRe[i] += alpha * accRe;
            cIm[i] += alpha * accIm;
        }
        else
        {
            cRe[i] = alpha * accRe;
            cIm[i] = alpha * accIm;
        }
    }

    /// <summary>The same sums as <see cref="Dot"/>, one thread per output and no barriers (for the CPU emulator).</summary>
    public static void DotDirect(Index1D o, ArrayView<double> a1, ArrayView<double> b1, ArrayView<double> a2, ArrayView<double> b2, ArrayView<double> output, DotArguments a)
    {
        int aStart = a.A.Start(o), bStart = a.B.Start(o);
        double sum = 0;
        for (int i = 0; i < a.Length; i++)
        {
            sum += a1[aStart + i] * b1[bStart + i];
            if (a.Pairs == 2) sum += a2[aStart + i] * b2[bStart + i];
        }
        output[a.OutOffset + o] = sum;
    }

    /// <summary>One group per output (a power-of-two size G, G doubles of dynamic shared memory): strided partial sums, then a tree.</summary>
    public static void Dot(ArrayView<double> a1, ArrayView<double> b1, ArrayView<double> a2, ArrayView<double> b2, ArrayView<double> output, DotArguments a)
    {
        var partial = SharedMemory.GetDynamic<double>();
        int groupSize = Group.DimX;
        int t = Group.IdxX, o = Grid.IdxX;
        int aStart = a.A.Start(o), bStart = a.B.Start(o);
        double sum = 0;
        for (int i = t; i < a.Length; i += groupSize)
        {
            sum += a1[aStart + i] * b1[bStart + i];
            if (a.Pairs == 2) sum += a2[aStart + i] * b2[bStart + i];
        }
        partial[t] = sum;
        Group.Barrier();
        for (int width = groupSize / 2; width > 0; width /= 2)
        {
            if (t < width) partial[t] += partial[t + width];
            Group.Barrier();
        }
        if (t == 0) output[a.OutOffset + o] = partial[0];
    }

    /// <summary>PSF = |Out|² per field.</summary>
    public static void Intensity(Index1D i, ArrayView<double> outRe, ArrayView<double> outIm, ArrayView<double> psf)
    {
        psf[i] = outRe[i] * outRe[i] + outIm[i] * outIm[i];
    }

    /// <summary>oversampled[b, p] = Σ_{s,l} F_s·w_l·PSF[f, p].</summary>
    public static void Oversampled(Index1D i, ArrayView<double> psf, ArrayView<double> oversampled, ArrayView<double> table, ModelDims d)
    {
        int q2 = d.Q * d.Q, p = i % q2, b = i / q2;
        double v = 0;
        for (int j = 0; j < d.FieldsPerPoint; j++)
        {
            int f = b * d.FieldsPerPoint + j;
            v += table[f * d.TableStride + FieldColumn.FluxWeight] * psf[f * q2 + p];
        }
        oversampled[i] = v;
    }

    /// <summary>Sums os×os blocks of the oversampled image into detector pixels.</summary>
    public static void Bin(Index1D i, ArrayView<double> oversampled, ArrayView<double> detector, ModelDims d)
    {
        int d2 = d.D * d.D, pix = i % d2, b = i / d2, r = pix / d.D, c = pix % d.D;
        int start = b * d.Q * d.Q;
        double v = 0;
        for (int y = 0; y < d.Os; y++)
        {
            for (int x = 0; x < d.Os; x++) v += oversampled[start + (r * d.Os + y) * d.Q + c * d.Os + x];
        }
        detector[i] = v;
    }

    /// <summary>The adjoint of <see cref="Bin"/>: every oversampled pixel gets its detector pixel's gradient.</summary>
    public static void Unbin(Index1D i, ArrayView<double> detector, ArrayView<double> oversampled, ModelDims d)
    {
        int q2 = d.Q * d.Q, p = i % q2, b = i / q2;
        oversampled[i] = detector[b * d.D * d.D + p / d.Q / d.Os * d.D + p % d.Q / d.Os];
    }

    /// <summary>G_Out = 2·F·w·G_oversampled·Out.</summary>
    public static void OutputGradient(Index1D i, ArrayView<double> outRe, ArrayView<double> outIm, ArrayView<double> gradOversampled,
        ArrayView<double> gRe, ArrayView<double> gIm, ArrayView<double> table, ModelDims d)
    {
        int q2 = d.Q * d.Q, p = i % q2, f = i / q2, b = f / d.FieldsPerPoint;
        double g = 2 * table[f * d.TableStride + FieldColumn.FluxWeight] * gradOversampled[b * q2 + p];
        gRe[i] = g * outRe[i];
        gIm[i] = g * outIm[i];
    }

    /// <summary>∂L/∂φ = Im(G_E·conj(E)).</summary>
    public static void PhaseGradient(Index1D i, ArrayView<double> gRe, ArrayView<double> gIm, ArrayView<double> eRe, ArrayView<double> eIm, ArrayView<double> dPhi)
    {
        dPhi[i] = gIm[i] * eRe[i] - gRe[i] * eIm[i];
    }

    /// <summary>∂L/∂OPD[b, p] = Σ_{s,l} k_l·∂L/∂φ[f, p].</summary>
    public static void OpdGradient(Index1D i, ArrayView<double> dPhi, ArrayView<double> dOpd, ArrayView<double> table, ModelDims d)
    {
        int n2 = d.N * d.N, p = i % n2, b = i / n2;
        double v = 0;
        for (int j = 0; j < d.FieldsPerPoint; j++)
        {
            int f = b * d.FieldsPerPoint + j;
            v += table[f * d.TableStride + FieldColumn.K] * dPhi[f * n2 + p];
        }
        dOpd[i] = v;
    }

    /// <summary>δE = i·δφ·E, δφ = k·(δOPD + δαx·x + δαy·y).</summary>
    public static void TangentField(Index1D i, ArrayView<double> eRe, ArrayView<double> eIm, ArrayView<double> dOpd, ArrayView<double> xGrid, ArrayView<double> yGrid,
        ArrayView<double> dRe, ArrayView<double> dIm, ArrayView<double> table, ModelDims d)
    {
        int n2 = d.N * d.N, p = i % n2, f = i / n2, b = f / d.FieldsPerPoint, row = f * d.TableStride;
        double dPhi = table[row + FieldColumn.K] * (dOpd[b * n2 + p] + table[row + FieldColumn.DAlphaX] * xGrid[p] + table[row + FieldColumn.DAlphaY] * yGrid[p]);
        dRe[i] = -dPhi * eIm[i];
        dIm[i] = dPhi * eRe[i];
    }

    /// <summary>δoversampled[b, p] = Σ_f F·w·2Re(conj(Out)·(Work + (δdθ/dθ)·Out)) + δ(F·w)·|Out|².</summary>
    public static void TangentOversampled(Index1D i, ArrayView<double> outRe, ArrayView<double> outIm, ArrayView<double> workRe, ArrayView<double> workIm,
        ArrayView<double> oversampled, ArrayView<double> table, ModelDims d)
    {
        int q2 = d.Q * d.Q, p = i % q2, b = i / q2;
        double v = 0;
        for (int j = 0; j < d.FieldsPerPoint; j++)
        {
            int f = b * d.FieldsPerPoint + j, at = f * q2 + p, row = f * d.TableStride;
            double or = outRe[at], oi = outIm[at], c = table[row + FieldColumn.RelativeDDTheta];
            double dPsf = 2 * (or * (workRe[at] + c * or) + oi * (workIm[at] + c * oi));
            v += table[row + FieldColumn.FluxWeight] * dPsf + table[row + FieldColumn.DFluxWeight] * (or * or + oi * oi);
        }
        oversampled[i] = v;
    }

    /// <summary>Three-plane: F2 = F·T₂·exp(iψ), ψ = k·OPD₂[b] (the field arriving at M2 times the mirror).</summary>
    public static void SecondaryMirror(Index1D i, ArrayView<double> re, ArrayView<double> im, ArrayView<double> transmission, ArrayView<double> opd,
        ArrayView<double> outRe, ArrayView<double> outIm, ArrayView<double> table, ModelDims d)
    {
        int s2 = d.S * d.S, p = i % s2, f = i / s2, b = f / d.FieldsPerPoint;
        double t = transmission[p];
        var sc = DeviceMath.Evaluate(table[f * d.TableStride + FieldColumn.K] * opd[b * s2 + p]);
        double c = t * sc.Cos, s = t * sc.Sin, r = re[i], m = im[i];
        outRe[i] = r * c - m * s;
        outIm[i] = r * s + m * c;
    }

    /// <summary>Three-plane: g = F2/‖F2‖ with ‖F2‖² read from the reduction buffer.</summary>
    public static void Normalise(Index1D i, ArrayView<double> re, ArrayView<double> im, ArrayView<double> reductions,
        ArrayView<double> outRe, ArrayView<double> outIm, ModelDims d)
    {
        double norm = Math.Sqrt(reductions[d.NormOffset + i / (d.S * d.S)]);
        outRe[i] = re[i] / norm;
        outIm[i] = im[i] / norm;
    }

    /// <summary>Three-plane reverse through the renormalisation and M2: G_F2 = (G_g − g·Re⟨g, G_g⟩)/‖F2‖;
    /// ∂L/∂ψ = Im(G_F2·conj(F2)); G_F = G_F2·T₂·exp(−iψ) (in place).</summary>
    public static void SecondaryMirrorBackward(Index1D i, ArrayView<double> gRe, ArrayView<double> gIm, ArrayView<double> normRe, ArrayView<double> normIm,
        ArrayView<double> afterRe, ArrayView<double> afterIm, ArrayView<double> transmission, ArrayView<double> opd, ArrayView<double> reductions,
        ArrayView<double> dPsi, ArrayView<double> table, ModelDims d)
    {
        int s2 = d.S * d.S, p = i % s2, f = i / s2, b = f / d.FieldsPerPoint;
        double norm = Math.Sqrt(reductions[d.NormOffset + f]), proj = reductions[d.ProjOffset + f];
        double gr = (gRe[i] - proj * normRe[i]) / norm, gi = (gIm[i] - proj * normIm[i]) / norm;
        dPsi[i] = gi * afterRe[i] - gr * afterIm[i];
        double t = transmission[p];
        var sc = DeviceMath.Evaluate(table[f * d.TableStride + FieldColumn.K] * opd[b * s2 + p]);
        double c = t * sc.Cos, s = t * sc.Sin;
        gRe[i] = gr * c + gi * s;
        gIm[i] = gi * c - gr * s;
    }

    /// <summary>Three-plane tangent through M2: δF2 = δF·T₂·exp(iψ) + i·k·δOPD₂·F2 (in place).</summary>
    public static void SecondaryMirrorTangent(Index1D i, ArrayView<double> re, ArrayView<double> im, ArrayView<double> afterRe, ArrayView<double> afterIm,
        ArrayView<double> transmission, ArrayView<double> opd, ArrayView<double> dOpd, ArrayView<double> table, ModelDims d)
    {
        int s2 = d.S * d.S, p = i % s2, f = i / s2, b = f / d.FieldsPerPoint;
        double t = transmission[p], k = table[f * d.TableStride + FieldColumn.K];
        var sc = DeviceMath.Evaluate(k * opd[b * s2 + p]);
        double c = t * sc.Cos, s = t * sc.Sin, r = re[i], m = im[i], dPsi = k * dOpd[b * s2 + p];
        re[i] = r * c - m * s - dPsi * afterIm[i];
        im[i] = r * s + m * c + dPsi * afterRe[i];
    }

    /// <summary>Three-plane tangent of the renormalisation: δg = (δF2 − g·Re⟨g, δF2⟩)/‖F2‖ (in place).</summary>
    public static void NormaliseTangent(Index1D i, ArrayView<double> re, ArrayView<double> im, ArrayView<double> normRe, ArrayView<double> normIm,
        ArrayView<double> reductions, ModelDims d)
    {
        int f = i / (d.S * d.S);
        double norm = Math.Sqrt(reductions[d.NormOffset + f]), proj = reductions[d.ProjOffset + f];
        re[i] = (re[i] - proj * normRe[i]) / norm;
        im[i] = (im[i] - proj * normIm[i]) / norm;
    }
}
