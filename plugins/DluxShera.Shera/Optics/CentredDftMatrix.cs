namespace DluxShera.Shera.Optics;

/// <summary>
/// A complex R×K matrix M = E + i·O whose real part E is even and imaginary part O odd under reversing either index
/// (E[R−1−r, k] = E[r, k] = E[r, K−1−k]; O the same with a change of sign): the matrix Fourier transform between
/// centred grids, A[q, k] = exp(−i2π x_k θ_q/λ) with x and θ symmetric about 0, and its derivative in dθ. Only the
/// top-left quarters of E and O are stored. A product folds the operand along the summed index (v_k + v_{K−1−k} meets
/// E, v_k − v_{K−1−k} meets O), multiplies by the quarters (two real GEMMs on half-sized operands: a quarter of the
/// arithmetic of the four real GEMMs of a dense complex product) and unfolds the result along the free index. The
/// result equals the dense product up to the order of summation.
/// </summary>
internal sealed class CentredDftMatrix
{
    private readonly int _halfRows;
    private readonly int _halfCols;
    private readonly double[] _even;    // E[r, k], r < ⌈R/2⌉, k < ⌈K/2⌉
    private readonly double[] _odd;
    private readonly double[] _evenT;   // the same, transposed
    private readonly double[] _oddT;

    /// <summary>A zero matrix of the given shape.</summary>
    /// <param name="rows">R.</param>
    /// <param name="cols">K.</param>
    public CentredDftMatrix(int rows, int cols)
    {
        Rows = rows;
        Cols = cols;
        _halfRows = (rows + 1) / 2;
        _halfCols = (cols + 1) / 2;
        _even = new double[_halfRows * _halfCols];
        _odd = new double[_halfRows * _halfCols];
        _evenT = new double[_halfRows * _halfCols];
        _oddT = new double[_halfRows * _halfCols];
    }

    /// <summary>R.</summary>
    public int Rows { get; }

    /// <summary>K.</summary>
    public int Cols { get; }

    /// <summary>Sets M[r, k] = even + i·odd for r &lt; ⌈R/2⌉, k &lt; ⌈K/2⌉ (the other three quarters follow by symmetry).</summary>
    /// <param name="r">Row in the top half.</param>
    /// <param name="k">Column in the left half.</param>
    /// <param name="even">Re M[r, k].</param>
    /// <param name="odd">Im M[r, k] (must be 0 on a middle row or column).</param>
    public void Set(int r, int k, double even, double odd)
    {
        _even[r * _halfCols + k] = _evenT[k * _halfRows + r] = even;
        _odd[r * _halfCols + k] = _oddT[k * _halfRows + r] = odd;
    }

    /// <summary>y = op(M)·x, op(M) = M, Mᵀ, conj(M) or Mᴴ.</summary>
    /// <param name="x">The right factor (K×P, or R×P when transposed).</param>
    /// <param name="y">The result (R×P, or K×P when transposed), overwritten.</param>
    /// <param name="transpose">Use Mᵀ.</param>
    /// <param name="conjugate">Use the complex conjugate.</param>
    /// <param name="scratch">Work space.</param>
    public void MultiplyLeft(ComplexMatrix x, ComplexMatrix y, bool transpose, bool conjugate, FoldScratch scratch)
    {
        int summed = transpose ? Rows : Cols, free = transpose ? Cols : Rows;
        int halfSummed = (summed + 1) / 2, halfFree = (free + 1) / 2, p = x.Cols;
        if (x.Rows != summed || y.Rows != free || y.Cols != p)
        {
            throw new ArgumentException($"shapes ({free}×{summed})·({x.Rows}×{x.Cols}) → ({y.Rows}×{y.Cols}) do not match.");
        }
        var (foldEven, foldOdd, outEven, outOdd) = scratch.Get(halfSummed * 2 * p, halfFree * 2 * p);
        // rows k and summed−1−k of x, folded: even part [re | im] and odd part, each halfSummed × 2P
        for (int k = 0; k < halfSummed; k++)
        {
            int mirror = summed - 1 - k;
            var e = foldEven.AsSpan(k * 2 * p, 2 * p);
            var o = foldOdd.AsSpan(k * 2 * p, 2 * p);
            for (int j = 0; j < p; j++)
            {
                double re = x.Re[k * p + j], im = x.Im[k * p + j];
                double mr = mirror == k ? 0 : x.Re[mirror * p + j], mi = mirror == k ? 0 : x.Im[mirror * p + j];
                e[j] = re + mr;
                e[p + j] = im + mi;
                o[j] = re - mr;
                o[p + j] = im - mi;
            }
        }
        RealGemm.Multiply(transpose ? _evenT : _even, foldEven, outEven, halfFree, halfSummed, 2 * p);
        RealGemm.Multiply(transpose ? _oddT : _odd, foldOdd, outOdd, halfFree, halfSummed, 2 * p);
        // y[r] = E·x + γ·O·x, y[free−1−r] = E·x − γ·O·x with γ = ±i
        double sign = conjugate ? -1 : 1;
        for (int r = 0; r < halfFree; r++)
        {
            int mirror = free - 1 - r;
            for (int j = 0; j < p; j++)
            {
                double er = outEven[r * 2 * p + j], ei = outEven[r * 2 * p + p + j];
                double gr = -sign * outOdd[r * 2 * p + p + j], gi = sign * outOdd[r * 2 * p + j];
                y.Re[r * p + j] = er + gr;
                y.Im[r * p + j] = ei + gi;
                if (mirror != r)
                {
                    y.Re[mirror * p + j] = er - gr;
                    y.Im[mirror * p + j] = ei - gi;
                }
            }
        }
    }

    /// <summary>y = x·op(M), op(M) = M, Mᵀ, conj(M) or Mᴴ.</summary>
    /// <param name="x">The left factor (m×R, or m×K when transposed).</param>
    /// <param name="y">The result (m×K, or m×R when transposed), overwritten.</param>
    /// <param name="transpose">Use Mᵀ.</param>
    /// <param name="conjugate">Use the complex conjugate.</param>
    /// <param name="scratch">Work space.</param>
    public void MultiplyRight(ComplexMatrix x, ComplexMatrix y, bool transpose, bool conjugate, FoldScratch scratch)
    {
        int summed = transpose ? Cols : Rows, free = transpose ? Rows : Cols;
        int halfSummed = (summed + 1) / 2, halfFree = (free + 1) / 2, m = x.Rows;
        if (x.Cols != summed || y.Cols != free || y.Rows != m)
        {
            throw new ArgumentException($"shapes ({x.Rows}×{x.Cols})·({summed}×{free}) → ({y.Rows}×{y.Cols}) do not match.");
        }
        var (foldEven, foldOdd, outEven, outOdd) = scratch.Get(2 * m * halfSummed, 2 * m * halfFree);
        // columns k and summed−1−k of x, folded: rows 0…m−1 real parts, m…2m−1 imaginary parts
        for (int i = 0; i < m; i++)
        {
            var re = x.Re.AsSpan(i * summed, summed);
            var im = x.Im.AsSpan(i * summed, summed);
            var er = foldEven.AsSpan(i * halfSummed, halfSummed);
            var ei = foldEven.AsSpan((m + i) * halfSummed, halfSummed);
            var or = foldOdd.AsSpan(i * halfSummed, halfSummed);
            var oi = foldOdd.AsSpan((m + i) * halfSummed, halfSummed);
            for (int k = 0; k < halfSummed; k++)
            {
                int mirror = summed - 1 - k;
                double mr = mirror == k ? 0 : re[mirror], mi = mirror == k ? 0 : im[mirror];
                er[k] = re[k] + mr;
                ei[k] = im[k] + mi;
                or[k] = re[k] - mr;
                oi[k] = im[k] - mi;
            }
        }
        // x·E: the summed index is M's row (or column when transposed), so the stored quarter is used the other way round
        RealGemm.Multiply(foldEven, transpose ? _evenT : _even, outEven, 2 * m, halfSummed, halfFree);
        RealGemm.Multiply(foldOdd, transpose ? _oddT : _odd, outOdd, 2 * m, halfSummed, halfFree);
        double sign = conjugate ? -1 : 1;
        for (int i = 0; i < m; i++)
        {
            var yr = y.Re.AsSpan(i * free, free);
            var yi = y.Im.AsSpan(i * free, free);
            for (int c = 0; c < halfFree; c++)
            {
                int mirror = free - 1 - c;
                double er = outEven[i * halfFree + c], ei = outEven[(m + i) * halfFree + c];
                double gr = -sign * outOdd[(m + i) * halfFree + c], gi = sign * outOdd[i * halfFree + c];
                yr[c] = er + gr;
                yi[c] = ei + gi;
                if (mirror != c)
                {
                    yr[mirror] = er - gr;
                    yi[mirror] = ei - gi;
                }
            }
        }
    }
}

/// <summary>Work space of <see cref="CentredDftMatrix"/> products, grown on demand (one per model; not shared between threads).</summary>
internal sealed class FoldScratch
{
    private double[] _foldEven = [], _foldOdd = [], _outEven = [], _outOdd = [];

    /// <summary>Buffers of at least the given lengths.</summary>
    public (double[] FoldEven, double[] FoldOdd, double[] OutEven, double[] OutOdd) Get(int fold, int output)
    {
        if (_foldEven.Length < fold) (_foldEven, _foldOdd) = (new double[fold], new double[fold]);
        if (_outEven.Length < output) (_outEven, _outOdd) = (new double[output], new double[output]);
        return (_foldEven, _foldOdd, _outEven, _outOdd);
    }
}
