namespace DluxShera.TestProblems;

/// <summary>
/// A forward-mode dual number: a value and its partial derivatives with respect to n seeds. Lets the
/// least-squares test problems be written once and give exact Jacobians. <see cref="Grad"/> is null for
/// a constant or when derivatives are not wanted (then no arrays are allocated).
/// </summary>
public readonly struct Dual
{
    /// <summary>Creates a dual.</summary>
    /// <param name="value">Value.</param>
    /// <param name="grad">Partials (owned), or null.</param>
    public Dual(double value, double[]? grad = null)
    {
        Value = value;
        Grad = grad;
    }

    /// <summary>The value.</summary>
    public double Value { get; }

    /// <summary>The partials, or null when zero.</summary>
    public double[]? Grad { get; }

    /// <summary>The i-th of n independent variables at <paramref name="value"/>.</summary>
    /// <param name="value">Value.</param>
    /// <param name="i">Index.</param>
    /// <param name="n">Number of variables.</param>
    public static Dual Variable(double value, int i, int n)
    {
        var g = new double[n];
        g[i] = 1;
        return new Dual(value, g);
    }

    /// <summary>∂/∂x_i (0 when constant).</summary>
    /// <param name="i">Index.</param>
    public double D(int i) => Grad is null ? 0 : Grad[i];

    private static Dual Chain(double value, Dual a, double da)
    {
        if (a.Grad is null) return new Dual(value);
        var g = new double[a.Grad.Length];
        for (int i = 0; i < g.Length; i++) g[i] = da * a.Grad[i];
        return new Dual(value, g);
    }

    private static Dual Chain(double value, Dual a, double da, Dual b, double db)
    {
        if (a.Grad is null) return Chain(value, b, db);
        if (b.Grad is null) return Chain(value, a, da);
        var g = new double[a.Grad.Length];
        for (int i = 0; i < g.Length; i++) g[i] = da * a.Grad[i] + db * b.Grad[i];
        return new Dual(value, g);
    }

    /// <summary>A constant.</summary>
    /// <param name="c">The value.</param>
    public static implicit operator Dual(double c) => new(c);

#pragma warning disable CS1591 // Arithmetic operators are self-describing.
    public static Dual operator +(Dual a, Dual b) => Chain(a.Value + b.Value, a, 1, b, 1);
    public static Dual operator -(Dual a, Dual b) => Chain(a.Value - b.Value, a, 1, b, -1);
    public static Dual operator -(Dual a) => Chain(-a.Value, a, -1);
    public static Dual operator *(Dual a, Dual b) => Chain(a.Value * b.Value, a, b.Value, b, a.Value);
    public static Dual operator /(Dual a, Dual b) => Chain(a.Value / b.Value, a, 1 / b.Value, b, -a.Value / (b.Value * b.Value));
#pragma warning restore CS1591

    /// <summary>eˣ.</summary>
    /// <param name="a">x.</param>
    public static Dual Exp(Dual a)
    {
        double e = Math.Exp(a.Value);
        return Chain(e, a, e);
    }

    /// <summary>ln x.</summary>
    /// <param name="a">x.</param>
    public static Dual Log(Dual a) => Chain(Math.Log(a.Value), a, 1 / a.Value);

    /// <summary>sin x.</summary>
    /// <param name="a">x.</param>
    public static Dual Sin(Dual a) => Chain(Math.Sin(a.Value), a, Math.Cos(a.Value));

    /// <summary>cos x.</summary>
    /// <param name="a">x.</param>
    public static Dual Cos(Dual a) => Chain(Math.Cos(a.Value), a, -Math.Sin(a.Value));

    /// <summary>√x.</summary>
    /// <param name="a">x.</param>
    public static Dual Sqrt(Dual a)
    {
        double s = Math.Sqrt(a.Value);
        return Chain(s, a, 0.5 / s);
    }

    /// <summary>arctan x.</summary>
    /// <param name="a">x.</param>
    public static Dual Atan(Dual a) => Chain(Math.Atan(a.Value), a, 1 / (1 + a.Value * a.Value));

    /// <summary>|x| (derivative sign(x)).</summary>
    /// <param name="a">x.</param>
    public static Dual Abs(Dual a) => Chain(Math.Abs(a.Value), a, Math.Sign(a.Value));

    /// <summary>x².</summary>
    /// <param name="a">x.</param>
    public static Dual Square(Dual a) => a * a;

    /// <summary>xᵖ for a constant p.</summary>
    /// <param name="a">x.</param>
    /// <param name="p">The exponent.</param>
    public static Dual Pow(Dual a, double p) => Chain(Math.Pow(a.Value, p), a, p * Math.Pow(a.Value, p - 1));

    /// <summary>aᵇ = exp(b ln a) for a &gt; 0.</summary>
    /// <param name="a">Base.</param>
    /// <param name="b">Exponent.</param>
    public static Dual Pow(Dual a, Dual b)
    {
        double v = Math.Pow(a.Value, b.Value);
        return Chain(v, a, a.Value == 0 ? 0 : b.Value * v / a.Value, b, v == 0 ? 0 : v * Math.Log(a.Value));
    }
}
