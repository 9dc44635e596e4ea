namespace DluxShera.Shera.Gpu;

/// <summary>A sine and cosine of one angle.</summary>
/// <param name="Sin">sin x.</param>
/// <param name="Cos">cos x.</param>
public readonly record struct SinCos(double Sin, double Cos);

/// <summary>
/// Float64 sine/cosine written out (Cody–Waite reduction by π/2, fdlibm's minimax polynomials on [−π/4, π/4]) so
/// that the kernels compute the same values on every ILGPU backend: CUDA has no float64 trigonometry of its own
/// without libdevice, which the GPU machines need not have. Accurate to ~1 ulp for |x| &lt; 1e5 (the model's
/// phases are below 1e4 rad).
/// </summary>
public static class DeviceMath
{
    private const double TwoOverPi = 6.36619772367581382433e-01;
    private const double PiO2Hi = 1.57079632673412561417e+00;   // first 33 bits of π/2
    private const double PiO2Mid = 6.07710050630396597660e-11;  // next 33 bits
    private const double PiO2Lo = 2.02226624871116645580e-21;   // the rest

    /// <summary>sin x and cos x.</summary>
    /// <param name="x">An angle (rad), |x| &lt; 1e5 for full accuracy.</param>
    public static SinCos Evaluate(double x)
    {
        double t = x * TwoOverPi;
        long n = (long)(t >= 0 ? t + 0.5 : t - 0.5);
        double r = x - n * PiO2Hi;
        r -= n * PiO2Mid;
        r -= n * PiO2Lo;
        double z = r * r;
        double s = r + r * z * (-1.66666666666666324348e-01 + z * (8.33333333332248946124e-03 + z * (-1.98412698298579493134e-04
            + z * (2.75573137070700676789e-06 + z * (-2.50507602534068634195e-08 + z * 1.58969099521155010221e-10)))));
        double c = 1 - 0.5 * z + z * z * (4.16666666666666019037e-02 + z * (-1.38888888888741095749e-03 + z * (2.48015872894767294178e-05
            + z * (-2.75573143513906633035e-07 + z * (2.08757232129817482790e-09 + z * -1.13596475577881948265e-11)))));
        return (n & 3) switch
        {
            0 => new SinCos(s, c),
            1 => new SinCos(c, -s),
            2 => new SinCos(-s, -c),
            _ => new SinCos(-c, s),
        };
    }
}
