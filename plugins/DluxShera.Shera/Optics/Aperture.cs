namespace DluxShera.Shera.Optics;

/// <summary>
/// The M1 aperture: a disk of diameter D1 minus the central obscuration (diameter D2) minus n straight vanes
/// from the centre, anti-aliased by evaluating the 0/1 mask on a 2× finer grid and averaging 2×2 blocks
/// (SHERA_MODEL §2.1).
/// </summary>
public static class Aperture
{
    /// <summary>The N×N transmission (rows = y, columns = x), grid pitch D1/N.</summary>
    /// <param name="n">Pupil pixels per side.</param>
    /// <param name="d1">M1 diameter (m).</param>
    /// <param name="d2">Central obscuration diameter (m).</param>
    /// <param name="struts">Number of vanes.</param>
    /// <param name="strutWidth">Vane width (m).</param>
    /// <param name="strutRotationDeg">Angle of vane 0 from +x towards +y (degrees).</param>
    public static double[] Transmission(int n, double d1, double d2, int struts, double strutWidth, double strutRotationDeg)
    {
        double dx = d1 / n, fine = dx / 2;
        var t = new double[n * n];
        var directions = Enumerable.Range(0, struts)
            .Select(k => (k * 360.0 / struts + strutRotationDeg) * Math.PI / 180)
            .Select(phi => (Math.Cos(phi), Math.Sin(phi))).ToArray();
        double c = (2 * n - 1) / 2.0;
        for (int row = 0; row < n; row++)
        {
            for (int col = 0; col < n; col++)
            {
                int open = 0;
                for (int a = 0; a < 2; a++)
                {
                    for (int b = 0; b < 2; b++)
                    {
                        double y = (2 * row + a - c) * fine, x = (2 * col + b - c) * fine;
                        if (Open(x, y, d1, d2, directions, strutWidth)) open++;
                    }
                }
                t[row * n + col] = open / 4.0;
            }
        }
        return t;
    }

    private static bool Open(double x, double y, double d1, double d2, (double Cos, double Sin)[] vanes, double width)
    {
        double r2 = x * x + y * y;
        if (r2 > d1 * d1 / 4 || r2 < d2 * d2 / 4) return false;
        foreach (var (ux, uy) in vanes)
        {
            double along = x * ux + y * uy;
            double across = Math.Abs(-x * uy + y * ux);
            if (along > 0 && across < width / 2) return false;
        }
        return true;
    }
}
