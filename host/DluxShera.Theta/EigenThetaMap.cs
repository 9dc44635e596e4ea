using System.Globalization;
using System.Text.Json.Nodes;
using DluxShera.Contracts;
using MathNet.Numerics.LinearAlgebra;

namespace DluxShera.Theta;

/// <summary>How an eigen map is cut and scaled (run spec <c>theta_map.options</c>; at most one truncation rule).</summary>
public sealed record EigenSettings
{
    /// <summary>z = √λ ⊙ Vᵀ(θ − θref) (true) or z = Vᵀ(θ − θref) (false).</summary>
    public bool Whiten { get; init; } = true;

    /// <summary>Keep the K stiffest modes.</summary>
    public int? Keep { get; init; }

    /// <summary>Keep the modes with λ ≥ this × λ_max.</summary>
    public double? MinRelativeEigenvalue { get; init; }

    /// <summary>Keep the fewest stiffest modes whose eigenvalues sum to at least this fraction of the spectrum.</summary>
    public double? SpectrumFraction { get; init; }

    /// <summary>
    /// Relative size (× λ_max) below which an eigenvalue counts as zero: negative ones beyond it are refused,
    /// smaller ones (either sign) are clamped to it so that whitening stays finite.
    /// </summary>
    public double Tolerance { get; init; } = 1e-10;
}

/// <summary>
/// Eigenmodes of a dense curvature H at θref: primitive = θref + Vₖ (z ⊘ s), z = s ⊙ Vₖᵀ(θ − θref), with Vₖ the
/// kept eigenvectors (descending eigenvalues) and s = √λₖ (whitened) or 1. In whitened coordinates a quadratic
/// with Hessian H has the identity Hessian, so one learning rate fits every mode; dropped modes stay at θref.
/// </summary>
public sealed class EigenThetaMap : IDifferentiableThetaMap
{
    private readonly double[] _basis;     // D×K row-major: column k is mode k
    private readonly double[] _scale;     // K
    private readonly double[] _thetaRef;  // D
    private readonly double[] _rawEigenvalues;
    private readonly double[] _eigenvalues;
    private readonly int[] _kept;
    private readonly EigenSettings _settings;
    private readonly int _clampedCount;
    private readonly int _negativeCount;
    private readonly int _d;

    private EigenThetaMap(double[] basis, double[] scale, double[] thetaRef, double[] rawEigenvalues, double[] eigenvalues, int[] kept,
        EigenSettings settings, int clamped, int negative)
    {
        _basis = basis; _scale = scale; _thetaRef = thetaRef; _rawEigenvalues = rawEigenvalues; _eigenvalues = eigenvalues;
        _kept = kept; _settings = settings; _clampedCount = clamped; _negativeCount = negative; _d = thetaRef.Length;
        int width = Math.Max(2, (kept.Length - 1).ToString(CultureInfo.InvariantCulture).Length);
        string unit = settings.Whiten ? "whitened" : "Vᵀ(θ − θref)";
        ThetaIndexMap = new IndexMap(kept.Select((_, k) =>
        {
            string name = $"eigen.mode[{k.ToString(CultureInfo.InvariantCulture).PadLeft(width, '0')}]";
            return new IndexMapEntry(name, k, k + 1, [1], "eigen", $"{name} ({unit})");
        }));
    }

    /// <summary>
    /// Decomposes <paramref name="curvature"/> (D×D row-major, symmetrised here) with Math.NET's symmetric
    /// eigensolver and builds the map at <paramref name="thetaRef"/>.
    /// </summary>
    /// <param name="curvature">The dense Fisher or Hessian at θref.</param>
    /// <param name="thetaRef">θref (the map's origin), length D.</param>
    /// <param name="settings">Truncation and whitening.</param>
    /// <exception cref="ThetaMapException">Materially negative eigenvalues, no positive eigenvalue, bad truncation settings.</exception>
    public static EigenThetaMap FromCurvature(ReadOnlySpan<double> curvature, ReadOnlySpan<double> thetaRef, EigenSettings settings)
    {
        int d = thetaRef.Length;
        if (curvature.Length != d * d) throw new ThetaMapException($"eigen: the curvature has {curvature.Length} entries; expected {d}×{d}.");
        int rules = (settings.Keep is null ? 0 : 1) + (settings.MinRelativeEigenvalue is null ? 0 : 1) + (settings.SpectrumFraction is null ? 0 : 1);
        if (rules > 1) throw new ThetaMapException("eigen: give at most one of keep, min_relative_eigenvalue and spectrum_fraction.");
        if (settings.Keep is { } keep && (keep < 1 || keep > d)) throw new ThetaMapException($"eigen: keep = {keep}; expected 1 … {d}.");
        if (settings.SpectrumFraction is { } f && !(f > 0 && f <= 1)) throw new ThetaMapException($"eigen: spectrum_fraction = {f}; expected 0 < f ≤ 1.");
        if (settings.MinRelativeEigenvalue is { } r && !(r > 0 && r <= 1)) throw new ThetaMapException($"eigen: min_relative_eigenvalue = {r}; expected 0 < r ≤ 1.");
        if (!(settings.Tolerance > 0 && settings.Tolerance < 1)) throw new ThetaMapException($"eigen: tolerance = {settings.Tolerance}; expected 0 < tolerance < 1.");
        for (int i = 0; i < curvature.Length; i++)
        {
            if (!double.IsFinite(curvature[i])) throw new ThetaMapException($"eigen: the curvature has a non-finite entry at ({i / d}, {i % d}).");
        }

        var symmetric = Matrix<double>.Build.Dense(d, d);
        for (int i = 0; i < d; i++)
        {
            for (int j = 0; j < d; j++) symmetric[i, j] = 0.5 * (curvature[i * d + j] + curvature[j * d + i]);
        }
        var evd = symmetric.Evd(Symmetricity.Symmetric);
        var order = Enumerable.Range(0, d).OrderByDescending(i => evd.EigenValues[i].Real).ToArray();
        var raw = order.Select(i => evd.EigenValues[i].Real).ToArray();
        double max = raw[0];
        if (!(max > 0)) throw new ThetaMapException($"eigen: the curvature has no positive eigenvalue (largest {max:G4}); it cannot define eigenmodes.");
        double floor = settings.Tolerance * max;
        int materiallyNegative = raw.Count(v => v < -floor);
        if (materiallyNegative > 0)
        {
            throw new ThetaMapException($"eigen: the curvature has {materiallyNegative} materially negative eigenvalue(s) (most negative {raw[^1]:G4}, " +
                $"below −tolerance × λ_max = {-floor:G4}): θref is not a minimum of a convex fit. Use a Fisher (fisher_dense) rather than a Hessian, or move θref.");
        }
        int clamped = raw.Count(v => v < floor);
        int negative = raw.Count(v => v < 0);
        var values = raw.Select(v => Math.Max(v, floor)).ToArray();

        int k = settings.Keep ?? d;
        if (settings.MinRelativeEigenvalue is { } rel) k = Math.Max(1, values.Count(v => v >= rel * max));
        if (settings.SpectrumFraction is { } fraction)
        {
            double total = values.Sum(), sum = 0;
            k = 0;
            while (k < d && sum < fraction * total * (1 - 1e-12)) sum += values[k++];
            k = Math.Max(1, k);
        }

        var basis = new double[d * k];
        for (int c = 0; c < k; c++)
        {
            var column = evd.EigenVectors.Column(order[c]);
            // A fixed sign (largest-magnitude loading positive) makes the basis, its hash and its figures reproducible.
            int dominant = column.AbsoluteMaximumIndex();
            double sign = column[dominant] < 0 ? -1 : 1;
            for (int i = 0; i < d; i++) basis[i * k + c] = sign * column[i];
        }
        var scale = values.Take(k).Select(v => settings.Whiten ? Math.Sqrt(v) : 1.0).ToArray();
        return new EigenThetaMap(basis, scale, thetaRef.ToArray(), raw, values, Enumerable.Range(0, k).ToArray(), settings, clamped, negative);
    }

    /// <summary>Rebuilds a map from theta_map.npz arrays (no decomposition).</summary>
    /// <param name="basis">V (D×K row-major).</param>
    /// <param name="scale">s (K).</param>
    /// <param name="thetaRef">θref (D).</param>
    /// <param name="rawEigenvalues">The eigenvalues as computed (D, descending).</param>
    /// <param name="eigenvalues">After clamping (D).</param>
    /// <param name="kept">Kept indices (K).</param>
    /// <param name="whiten">Whitened.</param>
    public static EigenThetaMap FromArrays(double[] basis, double[] scale, double[] thetaRef, double[] rawEigenvalues, double[] eigenvalues, int[] kept, bool whiten) =>
        new(basis, scale, thetaRef, rawEigenvalues, eigenvalues, kept, new EigenSettings { Whiten = whiten, Keep = kept.Length },
            0, rawEigenvalues.Count(v => v < 0));

    /// <inheritdoc/>
    public string Kind => "eigen";

    /// <inheritdoc/>
    public string ThetaSpace => "eigen";

    /// <inheritdoc/>
    public string Id => $"eigen-{(_settings.Whiten ? "whitened" : "plain")}-k{_kept.Length}of{_d}";

    /// <inheritdoc/>
    public string Hash => "";

    /// <inheritdoc/>
    public int ThetaDimension => _kept.Length;

    /// <inheritdoc/>
    public int PrimitiveDimension => _d;

    /// <inheritdoc/>
    public IndexMap ThetaIndexMap { get; }

    /// <inheritdoc/>
    public bool IsAffine => true;

    /// <summary>Kept eigenvectors, D×K row-major (column k is mode k).</summary>
    public ReadOnlySpan<double> Basis => _basis;

    /// <summary>The eigenvalues after clamping, descending (all D).</summary>
    public IReadOnlyList<double> Eigenvalues => _eigenvalues;

    /// <summary>θref.</summary>
    public ReadOnlySpan<double> ThetaRef => _thetaRef;

    /// <summary>Number of eigenvalues clamped up to tolerance × λ_max.</summary>
    public int ClampedCount => _clampedCount;

    /// <summary>Number of (tiny) negative eigenvalues among the clamped ones.</summary>
    public int NegativeCount => _negativeCount;

    /// <inheritdoc/>
    public void ToPrimitive(ReadOnlySpan<double> theta, Span<double> primitive)
    {
        int k = _kept.Length;
        for (int i = 0; i < _d; i++)
        {
            double s = _thetaRef[i];
            var row = _basis.AsSpan(i * k, k);
            for (int c = 0; c < k; c++) s += row[c] * theta[c] / _scale[c];
            primitive[i] = s;
        }
    }

    /// <inheritdoc/>
    public void ToTheta(ReadOnlySpan<double> primitive, Span<double> theta)
    {
        int k = _kept.Length;
        theta[..k].Clear();
        for (int i = 0; i < _d; i++)
        {
            double delta = primitive[i] - _thetaRef[i];
            var row = _basis.AsSpan(i * k, k);
            for (int c = 0; c < k; c++) theta[c] += row[c] * delta;
        }
        for (int c = 0; c < k; c++) theta[c] *= _scale[c];
    }

    /// <inheritdoc/>
    public void PullBackGradient(ReadOnlySpan<double> theta, ReadOnlySpan<double> primitiveGradient, Span<double> thetaGradient)
    {
        int k = _kept.Length;
        thetaGradient[..k].Clear();
        for (int i = 0; i < _d; i++)
        {
            var row = _basis.AsSpan(i * k, k);
            for (int c = 0; c < k; c++) thetaGradient[c] += row[c] * primitiveGradient[i];
        }
        for (int c = 0; c < k; c++) thetaGradient[c] /= _scale[c];
    }

    /// <inheritdoc/>
    public void PushForward(ReadOnlySpan<double> theta, ReadOnlySpan<double> v, Span<double> primitiveTangent)
    {
        int k = _kept.Length;
        for (int i = 0; i < _d; i++)
        {
            double s = 0;
            var row = _basis.AsSpan(i * k, k);
            for (int c = 0; c < k; c++) s += row[c] * v[c] / _scale[c];
            primitiveTangent[i] = s;
        }
    }

    /// <inheritdoc/>
    public void AddSecondOrderTerm(ReadOnlySpan<double> theta, ReadOnlySpan<double> primitiveGradient, ReadOnlySpan<double> v, Span<double> hv)
    {
        // Affine: no curvature of its own.
    }

    /// <inheritdoc/>
    public double LogAbsDetJacobian(ReadOnlySpan<double> theta, Span<double> gradient)
    {
        // J = Vₖ diag(1/s) with orthonormal columns: √det(JᵀJ) = Π 1/sₖ, a constant.
        gradient.Clear();
        return -_scale.Sum(Math.Log);
    }

    /// <inheritdoc/>
    public JsonObject Describe() => new()
    {
        ["kind"] = Kind,
        ["whiten"] = _settings.Whiten,
        ["keep"] = _settings.Keep,
        ["min_relative_eigenvalue"] = _settings.MinRelativeEigenvalue,
        ["spectrum_fraction"] = _settings.SpectrumFraction,
        ["tolerance"] = _settings.Tolerance,
        ["kept_count"] = _kept.Length,
        ["dropped_count"] = _d - _kept.Length,
        ["clamped_count"] = _clampedCount,
        ["negative_count"] = _negativeCount,
        ["condition_number"] = _eigenvalues[0] / _eigenvalues[^1],
        ["condition_number_kept"] = _eigenvalues[0] / _eigenvalues[_kept.Length - 1],
    };

    /// <inheritdoc/>
    public IReadOnlyList<(string Name, NdArray Array)> Arrays() =>
    [
        ("V", new NdArray((double[])_basis.Clone(), _d, _kept.Length)),
        ("eigenvalues", NdArray.Vector((double[])_eigenvalues.Clone())),
        ("eigenvalues_raw", NdArray.Vector((double[])_rawEigenvalues.Clone())),
        ("scale", NdArray.Vector((double[])_scale.Clone())),
        ("theta_ref", NdArray.Vector((double[])_thetaRef.Clone())),
        ("kept", new NdArray(_kept.Select(i => (long)i).ToArray(), _kept.Length)),
    ];
}
