namespace DluxShera.Shera.Optics;

/// <summary>
/// Zernike polynomials in Noll's (1976) ordering, normalised to unit RMS over the full unit disk:
/// √(n+1) R_n^m(ρ) for m = 0 and √(2(n+1)) R_n^{|m|}(ρ)·cos(mθ) (even j) or ·sin(|m|θ) (odd j); zero for ρ &gt; 1.
/// </summary>
public static class Zernike
{
    /// <summary>(n, m) of Noll index j ≥ 1 (m signed: positive → cos, negative → sin).</summary>
    /// <param name="j">Noll index.</param>
    public static (int N, int M) NollToNm(int j)
    {
        if (j < 1) throw new ArgumentOutOfRangeException(nameof(j), "Noll indices start at 1.");
        int n = 0, rest = j - 1;
        while (rest > n)
        {
            n++;
            rest -= n;
        }
        int magnitude = (n % 2) + 2 * ((rest + ((n + 1) % 2)) / 2);
        return (n, j % 2 == 0 ? magnitude : -magnitude);
    }

    /// <summary>The radial polynomial R_n^m(ρ).</summary>
    /// <param name="n">Radial order.</param>
    /// <param name="m">|m|.</param>
    /// <param name="rho">Radius in [0, 1].</param>
    public static double Radial(int n, int m, double rho)
    {
        double sum = 0;
        for (int s = 0; s <= (n - m) / 2; s++)
        {
            double c = (s % 2 == 0 ? 1 : -1) * Factorial(n - s) / (Factorial(s) * Factorial((n + m) / 2 - s) * Factorial((n - m) / 2 - s));
            sum += c * Math.Pow(rho, n - 2 * s);
        }
        return sum;
    }

    /// <summary>Z_j at (ρ, θ); 0 outside the unit disk.</summary>
    /// <param name="j">Noll index.</param>
    /// <param name="rho">Radius (unit disk).</param>
    /// <param name="theta">Azimuth atan2(y, x).</param>
    public static double Value(int j, double rho, double theta)
    {
        if (rho > 1) return 0;
        var (n, m) = NollToNm(j);
        double r = Radial(n, Math.Abs(m), rho);
        if (m == 0) return Math.Sqrt(n + 1) * r;
        double norm = Math.Sqrt(2.0 * (n + 1));
        return m > 0 ? norm * r * Math.Cos(m * theta) : norm * r * Math.Sin(-m * theta);
    }

    /// <summary>
    /// Z_j on an N×N grid of pitch <paramref name="pitch"/> (pixel k at (k − c)·pitch, c = (N−1)/2 unless
    /// <paramref name="centre"/> names the optical axis in pixel units), unit disk radius <paramref name="radius"/>.
    /// </summary>
    /// <param name="j">Noll index.</param>
    /// <param name="n">Grid size.</param>
    /// <param name="pitch">Pixel pitch (m).</param>
    /// <param name="radius">Radius mapped to ρ = 1 (m).</param>
    /// <param name="centre">The optical axis in pixel coordinates (default: the grid centre).</param>
    public static double[] OnGrid(int j, int n, double pitch, double radius, double? centre = null)
    {
        var z = new double[n * n];
        double c = centre ?? (n - 1) / 2.0;
        for (int row = 0; row < n; row++)
        {
            double y = (row - c) * pitch;
            for (int col = 0; col < n; col++)
            {
                double x = (col - c) * pitch;
                z[row * n + col] = Value(j, Math.Sqrt(x * x + y * y) / radius, Math.Atan2(y, x));
            }
        }
        return z;
    }

    private static double Factorial(int k)
    {
        double f = 1;
        for (int i = 2; i <= k; i++) f *= i;
        return f;
    }
}
