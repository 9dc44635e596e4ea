using DluxShera.Contracts;

namespace DluxShera.Tests;

/// <summary>An objective from a closed-form loss and gradient, counting its evaluations.</summary>
internal sealed class FunctionObjective(int dimension, Func<double[], double[], double> evaluate, double[]? start = null) : IObjective
{
    public int Calls { get; private set; }

    /// <summary>Every θ evaluated, in order.</summary>
    public List<double[]> Points { get; } = [];

    public string Name => "function";
    public IndexMap IndexMap { get; } = IndexMap.SingleVector(dimension);
    public void GetInitialTheta(Span<double> theta) => (start ?? new double[dimension]).CopyTo(theta);

    public double Evaluate(ReadOnlySpan<double> theta, Span<double> gradient)
    {
        Calls++;
        Points.Add(theta.ToArray());
        var g = new double[dimension];
        double f = evaluate(theta.ToArray(), g);
        g.CopyTo(gradient);
        return f;
    }

    /// <summary>The gradient at θ without counting a call.</summary>
    public double[] Gradient(double[] theta)
    {
        var g = new double[dimension];
        evaluate(theta, g);
        return g;
    }

    /// <summary>The loss at θ without counting a call.</summary>
    public double Loss(double[] theta) => evaluate(theta, new double[dimension]);

    public IReadOnlyDictionary<string, object?> Describe() => new Dictionary<string, object?>();
}

/// <summary>One-dimensional test functions whose steps and line searches can be worked out by hand.</summary>
internal static class OneDimensional
{
    /// <summary>f(x) = ½x², gradient x; the loss is NaN wherever <paramref name="undefined"/> holds (a wall a line search
    /// must back off from), the gradient stays x.</summary>
    public static FunctionObjective HalfSquare(double[]? start = null, Func<double, bool>? undefined = null) => new(1, (x, g) =>
    {
        g[0] = x[0];
        return undefined is not null && undefined(x[0]) ? double.NaN : 0.5 * x[0] * x[0];
    }, start);
}

/// <summary>
/// loss = ½ Σ wᵢ rᵢ(θ)² from closed-form residuals r and Jacobian J (rows = residuals), counting its loss evaluations.
/// The gradient is Jᵀ W r; JVP and VJP come from the same J.
/// </summary>
internal sealed class ClosedFormResiduals(double[] start, double[] weights, Func<double[], double[]> residuals, Func<double[], double[,]> jacobian,
    Func<double[], double[,]>? productJacobian = null) : IResidualObjective
{
    // The Jacobian behind JVP/VJP; a test may break it while the loss and gradient stay finite.
    private readonly Func<double[], double[,]> _products = productJacobian ?? jacobian;

    public int Calls { get; private set; }

    /// <summary>Jacobian-vector and vector-Jacobian products asked for.</summary>
    public int Products { get; private set; }

    public string Name => "closed_form_residuals";
    public IndexMap IndexMap { get; } = IndexMap.SingleVector(start.Length);
    public int ResidualCount => weights.Length;
    public void GetInitialTheta(Span<double> theta) => start.CopyTo(theta);

    public double Evaluate(ReadOnlySpan<double> theta, Span<double> gradient)
    {
        Calls++;
        var x = theta.ToArray();
        LossAndGradient(x, out var g, out double f);
        g.CopyTo(gradient);
        return f;
    }

    public void LossAndGradient(double[] x, out double[] g, out double f)
    {
        var r = residuals(x);
        var j = jacobian(x);
        g = new double[x.Length];
        f = 0;
        for (int i = 0; i < r.Length; i++)
        {
            f += 0.5 * weights[i] * r[i] * r[i];
            for (int k = 0; k < x.Length; k++) g[k] += j[i, k] * weights[i] * r[i];
        }
    }

    /// <summary>JᵀWJ at θ.</summary>
    public double[,] Normal(double[] x)
    {
        var j = jacobian(x);
        int d = x.Length;
        var a = new double[d, d];
        for (int p = 0; p < d; p++)
        {
            for (int q = 0; q < d; q++)
            {
                for (int i = 0; i < weights.Length; i++) a[p, q] += j[i, p] * weights[i] * j[i, q];
            }
        }
        return a;
    }

    public void Residuals(ReadOnlySpan<double> theta, Span<double> r) => residuals(theta.ToArray()).CopyTo(r);
    public void GetWeights(Span<double> w) => weights.CopyTo(w);

    public void JacobianVectorProduct(ReadOnlySpan<double> theta, ReadOnlySpan<double> v, Span<double> jv)
    {
        Products++;
        var j = _products(theta.ToArray());
        for (int i = 0; i < weights.Length; i++)
        {
            double s = 0;
            for (int k = 0; k < v.Length; k++) s += j[i, k] * v[k];
            jv[i] = s;
        }
    }

    public void VectorJacobianProduct(ReadOnlySpan<double> theta, ReadOnlySpan<double> u, Span<double> jtu)
    {
        Products++;
        var j = _products(theta.ToArray());
        for (int k = 0; k < start.Length; k++)
        {
            double s = 0;
            for (int i = 0; i < weights.Length; i++) s += j[i, k] * u[i];
            jtu[k] = s;
        }
    }

    public IReadOnlyDictionary<string, object?> Describe() => new Dictionary<string, object?>();
}
