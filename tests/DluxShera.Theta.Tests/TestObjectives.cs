using DluxShera.Contracts;

namespace DluxShera.Theta.Tests;

/// <summary>
/// L(θ) = ½(θ − a)ᵀA(θ − a) + ¼ c Σ θᵢ⁴ with exact gradient and Hessian-vector product (analytic, independent of the maps).
/// </summary>
internal class QuadraticQuartic(double[] a, double[] center, double quartic = 0) : IHessianVectorObjective
{
    public int D => center.Length;
    public string Name => "quadratic_quartic";
    public IndexMap IndexMap { get; init; } = IndexMap.SingleVector(center.Length);
    public void GetInitialTheta(Span<double> theta) => theta.Fill(1.0);
    public IReadOnlyDictionary<string, object?> Describe() => new Dictionary<string, object?>();

    public double Evaluate(ReadOnlySpan<double> theta, Span<double> gradient)
    {
        int d = D;
        double loss = 0;
        for (int i = 0; i < d; i++)
        {
            double g = 0;
            for (int j = 0; j < d; j++) g += a[i * d + j] * (theta[j] - center[j]);
            loss += 0.5 * (theta[i] - center[i]) * g + 0.25 * quartic * Math.Pow(theta[i], 4);
            gradient[i] = g + quartic * Math.Pow(theta[i], 3);
        }
        return loss;
    }

    public void HessianVectorProduct(ReadOnlySpan<double> theta, ReadOnlySpan<double> v, Span<double> hv)
    {
        int d = D;
        for (int i = 0; i < d; i++)
        {
            double s = 0;
            for (int j = 0; j < d; j++) s += a[i * d + j] * v[j];
            hv[i] = s + 3 * quartic * theta[i] * theta[i] * v[i];
        }
    }
}

/// <summary>
/// Exponential decay y = A exp(−k t) + c with positive A and k: residuals rᵢ = (model − yᵢ), weights 1/σ², analytic Jacobian,
/// per-observation terms and truth. θ = [A, k, c].
/// </summary>
internal sealed class ExponentialDecay : IResidualObjective, IPerObservationObjective, ITruthProvider
{
    private static readonly double[] Truth = [2.0, 0.7, 0.3];
    private readonly double[] _t = Enumerable.Range(0, 12).Select(i => 0.5 * i).ToArray();
    private readonly double[] _y;

    public ExponentialDecay()
    {
        // Deterministic "noise" so the minimum is not exactly the truth.
        _y = _t.Select((t, i) => Truth[0] * Math.Exp(-Truth[1] * t) + Truth[2] + 0.01 * Math.Sin(3 * i)).ToArray();
    }

    public string Name => "exponential_decay";
    public IndexMap IndexMap { get; } = new([
        new IndexMapEntry("amplitude", 0, 1, [1]) { LowerBound = 0 },
        new IndexMapEntry("rate", 1, 2, [1]) { LowerBound = 0, UpperBound = 5 },
        new IndexMapEntry("offset", 2, 3, [1]),
    ]);
    public int ResidualCount => _t.Length;
    public int ObservationCount => _t.Length;
    public double? KnownMinimum => null;
    public void GetInitialTheta(Span<double> theta) { theta[0] = 1.5; theta[1] = 1.0; theta[2] = 0.0; }
    public IReadOnlyDictionary<string, object?> Describe() => new Dictionary<string, object?>();
    public bool TryGetTruth(Span<double> theta) { Truth.CopyTo(theta); return true; }
    public void GetWeights(Span<double> weights) => weights.Fill(4.0);

    public void Residuals(ReadOnlySpan<double> theta, Span<double> r)
    {
        for (int i = 0; i < _t.Length; i++) r[i] = theta[0] * Math.Exp(-theta[1] * _t[i]) + theta[2] - _y[i];
    }

    private (double, double, double) Row(ReadOnlySpan<double> theta, int i)
    {
        double e = Math.Exp(-theta[1] * _t[i]);
        return (e, -theta[0] * _t[i] * e, 1);
    }

    public void JacobianVectorProduct(ReadOnlySpan<double> theta, ReadOnlySpan<double> v, Span<double> jv)
    {
        for (int i = 0; i < _t.Length; i++) { var (a, b, c) = Row(theta, i); jv[i] = a * v[0] + b * v[1] + c * v[2]; }
    }

    public void VectorJacobianProduct(ReadOnlySpan<double> theta, ReadOnlySpan<double> u, Span<double> jtu)
    {
        jtu[..3].Clear();
        for (int i = 0; i < _t.Length; i++) { var (a, b, c) = Row(theta, i); jtu[0] += a * u[i]; jtu[1] += b * u[i]; jtu[2] += c * u[i]; }
    }

    public double EvaluateObservation(int index, ReadOnlySpan<double> theta, Span<double> gradient)
    {
        var (a, b, c) = Row(theta, index);
        double r = theta[0] * Math.Exp(-theta[1] * _t[index]) + theta[2] - _y[index];
        gradient[0] = 4 * r * a; gradient[1] = 4 * r * b; gradient[2] = 4 * r * c;
        return 2 * r * r;
    }

    public double Evaluate(ReadOnlySpan<double> theta, Span<double> gradient)
    {
        double loss = 0;
        gradient[..3].Clear();
        Span<double> g = stackalloc double[3];
        for (int i = 0; i < _t.Length; i++)
        {
            loss += EvaluateObservation(i, theta, g);
            for (int k = 0; k < 3; k++) gradient[k] += g[k];
        }
        return loss;
    }
}

internal static class Numerics
{
    /// <summary>Central differences of a scalar function.</summary>
    public static double[] Gradient(Func<double[], double> f, double[] x, double h = 1e-6)
    {
        var g = new double[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            var p = (double[])x.Clone(); p[i] += h;
            var m = (double[])x.Clone(); m[i] -= h;
            g[i] = (f(p) - f(m)) / (2 * h);
        }
        return g;
    }

    public static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }

    /// <summary>A symmetric positive definite matrix with the given eigenvalues in a fixed random rotation.</summary>
    public static double[] SpdWithSpectrum(double[] eigenvalues, int seed)
    {
        int d = eigenvalues.Length;
        var rng = new Random(seed);
        var q = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.Dense(d, d, (_, _) => rng.NextDouble() - 0.5).QR().Q;
        var m = q * MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.DenseOfDiagonalArray(eigenvalues) * q.Transpose();
        return m.ToRowMajorArray();
    }
}
