namespace DluxShera.Samplers;

/// <summary>
/// A Euclidean metric for HMC: kinetic energy K(p) = ½ pᵀ M⁻¹ p with a diagonal or dense inverse mass matrix M⁻¹.
/// Momenta are drawn from N(0, M); for a dense metric through the Cholesky factor L of M⁻¹ (p = L⁻ᵀ z), as Stan does.
/// </summary>
public sealed class EuclideanMetric
{
    private readonly double[]? _diagonal;
    private readonly double[]? _dense;
    private readonly double[]? _cholesky;

    private EuclideanMetric(int dimension, double[]? diagonal, double[]? dense)
    {
        Dimension = dimension;
        _diagonal = diagonal;
        _dense = dense;
        if (dense is not null) _cholesky = Cholesky(dense, dimension);
    }

    /// <summary>θ dimension.</summary>
    public int Dimension { get; }

    /// <summary>Whether M⁻¹ is dense.</summary>
    public bool IsDense => _dense is not null;

    /// <summary>A diagonal metric.</summary>
    /// <param name="inverseMassDiagonal">diag(M⁻¹), positive and finite (copied).</param>
    public static EuclideanMetric Diagonal(double[] inverseMassDiagonal)
    {
        foreach (double v in inverseMassDiagonal)
        {
            if (!(v > 0) || !double.IsFinite(v)) throw new ArgumentException($"inverse mass diagonal entries must be positive and finite, got {v}");
        }
        return new EuclideanMetric(inverseMassDiagonal.Length, (double[])inverseMassDiagonal.Clone(), null);
    }

    /// <summary>A dense metric.</summary>
    /// <param name="inverseMass">M⁻¹, D×D row-major, symmetric positive definite (copied).</param>
    /// <param name="dimension">D.</param>
    public static EuclideanMetric Dense(double[] inverseMass, int dimension) => new(dimension, null, (double[])inverseMass.Clone());

    /// <summary>The identity metric.</summary>
    /// <param name="dimension">D.</param>
    public static EuclideanMetric Identity(int dimension) => Diagonal(Enumerable.Repeat(1.0, dimension).ToArray());

    /// <summary>diag(M⁻¹).</summary>
    public double[] InverseMassDiagonal()
    {
        if (_diagonal is not null) return (double[])_diagonal.Clone();
        var d = new double[Dimension];
        for (int i = 0; i < Dimension; i++) d[i] = _dense![i * Dimension + i];
        return d;
    }

    /// <summary>M⁻¹ (D×D row-major) when dense, else null.</summary>
    public double[]? InverseMassDense() => (double[]?)_dense?.Clone();

    /// <summary>Draws p ~ N(0, M).</summary>
    /// <param name="rng">The chain's stream.</param>
    /// <param name="p">Receives the momentum.</param>
    public void SampleMomentum(RandomStream rng, Span<double> p)
    {
        int d = Dimension;
        if (_diagonal is not null)
        {
            for (int i = 0; i < d; i++) p[i] = rng.NextNormal() / Math.Sqrt(_diagonal[i]);
            return;
        }
        // Solve Lᵀ p = z by back substitution (L lower triangular, M⁻¹ = L Lᵀ): Cov(p) = (L Lᵀ)⁻¹ = M.
        for (int i = 0; i < d; i++) p[i] = rng.NextNormal();
        var l = _cholesky!;
        for (int i = d - 1; i >= 0; i--)
        {
            double s = p[i];
            for (int k = i + 1; k < d; k++) s -= l[k * d + i] * p[k];
            p[i] = s / l[i * d + i];
        }
    }

    /// <summary>Writes the velocity M⁻¹ p (Stan's dτ/dp, the "sharp" momentum).</summary>
    /// <param name="p">The momentum.</param>
    /// <param name="velocity">Receives M⁻¹ p.</param>
    public void Velocity(ReadOnlySpan<double> p, Span<double> velocity)
    {
        int d = Dimension;
        if (_diagonal is not null)
        {
            for (int i = 0; i < d; i++) velocity[i] = _diagonal[i] * p[i];
            return;
        }
        var m = _dense!;
        for (int i = 0; i < d; i++)
        {
            double s = 0;
            for (int k = 0; k < d; k++) s += m[i * d + k] * p[k];
            velocity[i] = s;
        }
    }

    /// <summary>K(p) = ½ pᵀ M⁻¹ p.</summary>
    /// <param name="p">The momentum.</param>
    public double Kinetic(ReadOnlySpan<double> p)
    {
        int d = Dimension;
        double k = 0;
        if (_diagonal is not null)
        {
            for (int i = 0; i < d; i++) k += _diagonal[i] * p[i] * p[i];
            return 0.5 * k;
        }
        var m = _dense!;
        for (int i = 0; i < d; i++)
        {
            double s = 0;
            for (int j = 0; j < d; j++) s += m[i * d + j] * p[j];
            k += p[i] * s;
        }
        return 0.5 * k;
    }

    /// <summary>The lower Cholesky factor of a symmetric positive-definite matrix (row-major).</summary>
    /// <param name="a">The matrix.</param>
    /// <param name="n">Its order.</param>
    /// <exception cref="ArgumentException">Not positive definite.</exception>
    public static double[] Cholesky(double[] a, int n)
    {
        var l = new double[n * n];
        for (int j = 0; j < n; j++)
        {
            double diag = a[j * n + j];
            for (int k = 0; k < j; k++) diag -= l[j * n + k] * l[j * n + k];
            if (!(diag > 0) || !double.IsFinite(diag)) throw new ArgumentException($"the inverse mass matrix is not positive definite (pivot {j} is {diag:G3})");
            double ljj = Math.Sqrt(diag);
            l[j * n + j] = ljj;
            for (int i = j + 1; i < n; i++)
            {
                double s = a[i * n + j];
                for (int k = 0; k < j; k++) s -= l[i * n + k] * l[j * n + k];
                l[i * n + j] = s / ljj;
            }
        }
        return l;
    }
}
