using DluxShera.Numpy;

namespace DluxShera.Shera.Optics;

/// <summary>
/// The diffractive pupil: a binary 0/1 map spanning D1 × D1 applied at M1 as OPD = P · λd/2 (λd = 550 nm,
/// a 0/π step at the design wavelength). Sources: none, a user .npy, or a seeded generated map.
/// </summary>
public static class DiffractivePupil
{
    /// <summary>Design wavelength λd (m).</summary>
    public const double DesignWavelength = 550e-9;

    /// <summary>The OPD (m) on the N×N pupil grid.</summary>
    /// <param name="kind"><c>none</c>, <c>npy</c> or <c>generated</c>.</param>
    /// <param name="n">Pupil size.</param>
    /// <param name="path">The .npy for <c>npy</c>.</param>
    /// <param name="seed">The seed for <c>generated</c>.</param>
    /// <param name="featureFraction">Feature size as a fraction of D1 for <c>generated</c>.</param>
    public static double[] Opd(string kind, int n, string? path, ulong seed, double featureFraction)
    {
        var map = kind switch
        {
            "none" => new double[n * n],
            "npy" => Resample(Load(path ?? throw new ArgumentException("diffractive_pupil.path is required for kind 'npy'.")), n),
            "generated" => Generate(n, seed, featureFraction),
            _ => throw new ArgumentException($"diffractive_pupil.kind '{kind}' is unknown; expected none, npy or generated."),
        };
        for (int i = 0; i < map.Length; i++) map[i] *= DesignWavelength / 2;
        return map;
    }

    private static (double[] Values, int Rows, int Cols) Load(string path)
    {
        var a = NpyFile.Load(path);
        if (a.Shape.Length != 2) throw new ArgumentException($"{path}: the diffractive pupil map must be 2-D, got shape {a.ShapeText}.");
        var v = a.ToDoubles();
        if (v.Any(x => x != 0 && x != 1)) throw new ArgumentException($"{path}: the diffractive pupil map must hold only 0 and 1.");
        return (v, a.Shape[0], a.Shape[1]);
    }

    // Nearest-neighbour resampling of a map spanning exactly D1 × D1 onto the N×N pupil grid.
    private static double[] Resample((double[] Values, int Rows, int Cols) map, int n)
    {
        var result = new double[n * n];
        for (int row = 0; row < n; row++)
        {
            int r = Math.Min(map.Rows - 1, (int)Math.Floor((row + 0.5) * map.Rows / n));
            for (int col = 0; col < n; col++)
            {
                int c = Math.Min(map.Cols - 1, (int)Math.Floor((col + 0.5) * map.Cols / n));
                result[row * n + col] = map.Values[r * map.Cols + c];
            }
        }
        return result;
    }

    // Threshold at zero of a Gaussian-smoothed white-noise field (smoothing length = feature size).
    private static double[] Generate(int n, ulong seed, double featureFraction)
    {
        var rng = new Random(unchecked((int)(seed ^ (seed >> 32))));
        var noise = new double[n * n];
        for (int i = 0; i < noise.Length; i++) noise[i] = rng.NextDouble() - 0.5;
        double sigma = Math.Max(featureFraction * n / 2.355, 0.5);
        int radius = (int)Math.Ceiling(3 * sigma);
        var kernel = Enumerable.Range(-radius, 2 * radius + 1).Select(k => Math.Exp(-0.5 * k * k / (sigma * sigma))).ToArray();
        var tmp = new double[n * n];
        var smooth = new double[n * n];
        for (int r = 0; r < n; r++)
        {
            for (int c = 0; c < n; c++)
            {
                double s = 0;
                for (int k = -radius; k <= radius; k++) s += kernel[k + radius] * noise[r * n + ((c + k) % n + n) % n];
                tmp[r * n + c] = s;
            }
        }
        for (int r = 0; r < n; r++)
        {
            for (int c = 0; c < n; c++)
            {
                double s = 0;
                for (int k = -radius; k <= radius; k++) s += kernel[k + radius] * tmp[((r + k) % n + n) % n * n + c];
                smooth[r * n + c] = s > 0 ? 1 : 0;
            }
        }
        return smooth;
    }
}
