using static DluxShera.TestProblems.Dual;

namespace DluxShera.TestProblems;

/// <summary>Residuals of one problem over dual numbers.</summary>
/// <param name="x">Variables.</param>
/// <param name="r">Receives the residuals.</param>
public delegate void ResidualFunction(ReadOnlySpan<Dual> x, Span<Dual> r);

/// <summary>One problem of the Moré–Garbow–Hillstrom set.</summary>
public sealed class MghProblem(int number, string name, int n, int m, double[] start, double[] minima, double[]? minimiser, ResidualFunction residuals)
    : LeastSquaresProblem($"mgh.{number:00}.{name}", n, m)
{
    /// <summary>The problem number in Moré, Garbow &amp; Hillstrom (1981).</summary>
    public int Number => number;

    /// <summary>The short name.</summary>
    public string ShortName => name;

    /// <inheritdoc/>
    public override double[] Start => start;

    /// <inheritdoc/>
    public override double[] KnownMinima => minima;

    /// <inheritdoc/>
    public override double[]? Minimiser => minimiser;

    /// <inheritdoc/>
    protected override void Residuals(ReadOnlySpan<Dual> x, Span<Dual> r) => residuals(x, r);
}

/// <summary>
/// Problems 1–18 of J. J. Moré, B. S. Garbow and K. E. Hillstrom, "Testing unconstrained optimization
/// software", ACM TOMS 7 (1981) 17–41, with their standard starting points and the minimum values reported
/// there (f = Σ rᵢ²; where the paper lists a local minimum that methods commonly reach, both are accepted).
/// </summary>
public static class MoreGarbowHillstrom
{
    /// <summary>Problem numbers available.</summary>
    public static IReadOnlyList<int> Numbers { get; } = Enumerable.Range(1, 18).ToArray();

    /// <summary>Creates problem <paramref name="number"/> (1–18).</summary>
    /// <param name="number">The problem number.</param>
    public static MghProblem Create(int number) => number switch
    {
        1 => new(1, "rosenbrock", 2, 2, [-1.2, 1], [0], [1, 1], (x, r) =>
        {
            r[0] = 10 * (x[1] - Square(x[0]));
            r[1] = 1 - x[0];
        }),
        2 => new(2, "freudenstein_roth", 2, 2, [0.5, -2], [0, 48.9842536792400], [5, 4], (x, r) =>
        {
            r[0] = -13 + x[0] + ((5 - x[1]) * x[1] - 2) * x[1];
            r[1] = -29 + x[0] + ((x[1] + 1) * x[1] - 14) * x[1];
        }),
        3 => new(3, "powell_badly_scaled", 2, 2, [0, 1], [0], [1.098159e-5, 9.106146], (x, r) =>
        {
            r[0] = 1e4 * x[0] * x[1] - 1;
            r[1] = Exp(-x[0]) + Exp(-x[1]) - 1.0001;
        }),
        4 => new(4, "brown_badly_scaled", 2, 3, [1, 1], [0], [1e6, 2e-6], (x, r) =>
        {
            r[0] = x[0] - 1e6;
            r[1] = x[1] - 2e-6;
            r[2] = x[0] * x[1] - 2;
        }),
        5 => new(5, "beale", 2, 3, [1, 1], [0], [3, 0.5], (x, r) =>
        {
            double[] y = [1.5, 2.25, 2.625];
            for (int i = 0; i < 3; i++) r[i] = y[i] - x[0] * (1 - Pow(x[1], i + 1));
        }),
        6 => new(6, "jennrich_sampson", 2, 10, [0.3, 0.4], [124.362182355862], [0.2578252, 0.2578252], (x, r) =>
        {
            for (int i = 1; i <= 10; i++) r[i - 1] = 2 + 2 * i - (Exp(i * x[0]) + Exp(i * x[1]));
        }),
        7 => new(7, "helical_valley", 3, 3, [-1, 0, 0], [0], [1, 0, 0], (x, r) =>
        {
            Dual theta = Atan(x[1] / x[0]) / (2 * Math.PI) + (x[0].Value < 0 ? 0.5 : 0.0);
            r[0] = 10 * (x[2] - 10 * theta);
            r[1] = 10 * (Sqrt(Square(x[0]) + Square(x[1])) - 1);
            r[2] = x[2];
        }),
        8 => new(8, "bard", 3, 15, [1, 1, 1], [8.21487730657897e-3, 17.4286], null, (x, r) =>
        {
            double[] y = [0.14, 0.18, 0.22, 0.25, 0.29, 0.32, 0.35, 0.39, 0.37, 0.58, 0.73, 0.96, 1.34, 2.10, 4.39];
            for (int i = 1; i <= 15; i++)
            {
                double u = i, v = 16 - i, w = Math.Min(u, v);
                r[i - 1] = y[i - 1] - (x[0] + u / (v * x[1] + w * x[2]));
            }
        }),
        9 => new(9, "gaussian", 3, 15, [0.4, 1, 0], [1.12793276961912e-8], null, (x, r) =>
        {
            double[] y = [0.0009, 0.0044, 0.0175, 0.0540, 0.1295, 0.2420, 0.3521, 0.3989, 0.3521, 0.2420, 0.1295, 0.0540, 0.0175, 0.0044, 0.0009];
            for (int i = 1; i <= 15; i++)
            {
                double t = (8 - i) / 2.0;
                r[i - 1] = x[0] * Exp(-x[1] * Square(t - x[2]) / 2) - y[i - 1];
            }
        }),
        10 => new(10, "meyer", 3, 16, [0.02, 4000, 250], [87.9458551704], null, (x, r) =>
        {
            double[] y = [34780, 28610, 23650, 19630, 16370, 13720, 11540, 9744, 8261, 7030, 6005, 5147, 4427, 3820, 3307, 2872];
            for (int i = 1; i <= 16; i++) r[i - 1] = x[0] * Exp(x[1] / (45 + 5 * i + x[2])) - y[i - 1];
        }),
        11 => new(11, "gulf_research", 3, 99, [5, 2.5, 0.15], [0], [50, 25, 1.5], (x, r) =>
        {
            for (int i = 1; i <= 99; i++)
            {
                double t = i / 100.0;
                double y = 25 + Math.Pow(-50 * Math.Log(t), 2.0 / 3.0);
                r[i - 1] = Exp(-Pow(Abs(y - x[1]), x[2]) / x[0]) - t;
            }
        }),
        12 => new(12, "box_3d", 3, 10, [0, 10, 20], [0], [1, 10, 1], (x, r) =>
        {
            for (int i = 1; i <= 10; i++)
            {
                double t = 0.1 * i;
                r[i - 1] = Exp(-t * x[0]) - Exp(-t * x[1]) - x[2] * (Math.Exp(-t) - Math.Exp(-10 * t));
            }
        }),
        13 => new(13, "powell_singular", 4, 4, [3, -1, 0, 1], [0], [0, 0, 0, 0], (x, r) =>
        {
            r[0] = x[0] + 10 * x[1];
            r[1] = Math.Sqrt(5) * (x[2] - x[3]);
            r[2] = Square(x[1] - 2 * x[2]);
            r[3] = Math.Sqrt(10) * Square(x[0] - x[3]);
        }),
        14 => new(14, "wood", 4, 6, [-3, -1, -3, -1], [0], [1, 1, 1, 1], (x, r) =>
        {
            r[0] = 10 * (x[1] - Square(x[0]));
            r[1] = 1 - x[0];
            r[2] = Math.Sqrt(90) * (x[3] - Square(x[2]));
            r[3] = 1 - x[2];
            r[4] = Math.Sqrt(10) * (x[1] + x[3] - 2);
            r[5] = (x[1] - x[3]) / Math.Sqrt(10);
        }),
        15 => new(15, "kowalik_osborne", 4, 11, [0.25, 0.39, 0.415, 0.39], [3.07505603849e-4, 1.02734e-3], null, (x, r) =>
        {
            double[] y = [0.1957, 0.1947, 0.1735, 0.1600, 0.0844, 0.0627, 0.0456, 0.0342, 0.0323, 0.0235, 0.0246];
            double[] u = [4, 2, 1, 0.5, 0.25, 0.167, 0.125, 0.1, 0.0833, 0.0714, 0.0625];
            for (int i = 0; i < 11; i++) r[i] = y[i] - x[0] * (u[i] * u[i] + u[i] * x[1]) / (u[i] * u[i] + u[i] * x[2] + x[3]);
        }),
        16 => new(16, "brown_dennis", 4, 20, [25, 5, -5, -1], [85822.2016263563], null, (x, r) =>
        {
            for (int i = 1; i <= 20; i++)
            {
                double t = i / 5.0;
                r[i - 1] = Square(x[0] + t * x[1] - Math.Exp(t)) + Square(x[2] + x[3] * Math.Sin(t) - Math.Cos(t));
            }
        }),
        17 => new(17, "osborne1", 5, 33, [0.5, 1.5, -1, 0.01, 0.02], [5.46489469748e-5], null, (x, r) =>
        {
            double[] y = [0.844, 0.908, 0.932, 0.936, 0.925, 0.908, 0.881, 0.850, 0.818, 0.784, 0.751, 0.718, 0.685, 0.658, 0.628, 0.603,
                0.580, 0.558, 0.538, 0.522, 0.506, 0.490, 0.478, 0.467, 0.457, 0.448, 0.438, 0.431, 0.424, 0.420, 0.414, 0.411, 0.406];
            for (int i = 0; i < 33; i++)
            {
                double t = 10.0 * i;
                r[i] = y[i] - (x[0] + x[1] * Exp(-t * x[3]) + x[2] * Exp(-t * x[4]));
            }
        }),
        18 => new(18, "biggs_exp6", 6, 13, [1, 2, 1, 1, 1, 1], [0, 5.65565e-3], [1, 10, 1, 5, 4, 3], (x, r) =>
        {
            for (int i = 1; i <= 13; i++)
            {
                double t = 0.1 * i;
                double y = Math.Exp(-t) - 5 * Math.Exp(-10 * t) + 3 * Math.Exp(-4 * t);
                r[i - 1] = x[2] * Exp(-t * x[0]) - x[3] * Exp(-t * x[1]) + x[5] * Exp(-t * x[4]) - y;
            }
        }),
        _ => throw new ArgumentOutOfRangeException(nameof(number), $"MGH problem {number} is not in the set (1–18)."),
    };
}
