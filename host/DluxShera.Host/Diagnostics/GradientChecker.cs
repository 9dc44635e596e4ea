using DluxShera.Contracts;

namespace DluxShera.Host.Diagnostics;

/// <summary>
/// Compares an objective's derivatives and structural identities with independent references at one θ:
/// the gradient with 4-point central differences of the loss, Jacobian columns with differences of the
/// residuals, ⟨u, J v⟩ with ⟨Jᵀu, v⟩, ½ Σ wᵢ rᵢ² (+ declared extra terms) and Σ per-observation terms with the
/// loss, and Hessian columns with differences of gradients. Nothing here trusts the objective's own
/// derivatives to check its derivatives.
/// </summary>
public sealed class GradientChecker
{
    // Step of the 4-point stencil: its truncation error is O(h⁴) and its round-off O(ε/h); h = ε^(1/5)·scale balances them.
    private const double MachineEpsilon = 2.220446049250313e-16;
    private static readonly double RelativeStep = Math.Pow(MachineEpsilon, 0.2);

    private readonly IObjective _objective;
    private readonly IExtraLossTerms? _extraTerms;
    private readonly double[] _theta;
    private readonly GradientCheckSettings _settings;
    private readonly string[] _names;
    private readonly Random _random;
    private readonly int _d;

    /// <summary>Creates a checker at <paramref name="theta"/>.</summary>
    /// <param name="objective">The objective.</param>
    /// <param name="theta">θ (length D).</param>
    /// <param name="settings">Tolerances, sizes and the seed.</param>
    public GradientChecker(IObjective objective, ReadOnlySpan<double> theta, GradientCheckSettings settings)
    {
        _objective = objective;
        _extraTerms = objective as IExtraLossTerms;
        _theta = theta.ToArray();
        _settings = settings;
        _d = _theta.Length;
        _names = ParameterNames(objective.IndexMap, _d);
        _random = new Random(unchecked((int)(settings.Seed ^ (settings.Seed >> 32))));
    }

    /// <summary>Every check the objective's capabilities allow, grouped by capability.</summary>
    public IReadOnlyList<CheckResult> RunAll()
    {
        var results = new List<CheckResult>();
        results.AddRange(CheckGradient());
        if (_objective is IResidualObjective residual)
        {
            results.AddRange(CheckJacobianColumns(residual));
            results.AddRange(CheckAdjoint(residual));
            results.AddRange(CheckResidualSplit(residual));
        }
        if (_objective is IPerObservationObjective perObservation) results.AddRange(CheckObservations(perObservation));
        if (_objective is IHessianVectorObjective hessian) results.AddRange(CheckHessianColumns(hessian));
        return results;
    }

    /// <summary>
    /// ∂loss/∂θᵢ against Ridders' extrapolation of central differences of the loss, per parameter. Its error
    /// estimate enters the tolerance: a stiff direction (SHERA's log-flux, whose curvature is ~1e12) makes any
    /// fixed-step difference inaccurate, and that must not read as a wrong gradient.
    /// </summary>
    public IEnumerable<CheckResult> CheckGradient()
    {
        var g = new double[_d];
        double loss = _objective.Evaluate(_theta, g);
        var scratch = new double[_d];
        var x = (double[])_theta.Clone();
        for (int i = 0; i < _d; i++)
        {
            int index = i;
            double F(double offset)
            {
                x[index] = _theta[index] + offset;
                double f = _objective.Evaluate(x, scratch);
                x[index] = _theta[index];
                return f;
            }
            var (fd, estimate, smallest) = Ridders(F, 16 * Step(i));
            // Round-off of differencing a loss of size |loss| at the smallest step used: ~ε·|loss|/h.
            double tol = _settings.Rtol * Math.Max(Math.Abs(g[i]), Math.Abs(fd)) + 2 * estimate + 10 * MachineEpsilon * Math.Max(Math.Abs(loss), 1) / smallest;
            yield return new CheckResult("gradient", _names[i], g[i], fd, Math.Abs(g[i] - fd), tol, "Ridders-extrapolated central differences of the loss");
        }
    }

    // Ridders' method (Numerical Recipes §5.7): central differences at steps h, h/1.4, h/1.4², … extrapolated
    // to h → 0 in a Neville tableau; returns the estimate, its error estimate and the smallest step used.
    private static (double Value, double Error, double SmallestStep) Ridders(Func<double, double> f, double h)
    {
        const int table = 10;
        const double shrink = 1.4, shrink2 = shrink * shrink, safe = 2.0;
        var a = new double[table, table];
        double step = h, best = double.NaN, error = double.PositiveInfinity;
        a[0, 0] = (f(step) - f(-step)) / (2 * step);
        for (int i = 1; i < table; i++)
        {
            step /= shrink;
            a[0, i] = (f(step) - f(-step)) / (2 * step);
            double factor = shrink2;
            for (int j = 1; j <= i; j++)
            {
                a[j, i] = (a[j - 1, i] * factor - a[j - 1, i - 1]) / (factor - 1);
                factor *= shrink2;
                double e = Math.Max(Math.Abs(a[j, i] - a[j - 1, i]), Math.Abs(a[j, i] - a[j - 1, i - 1]));
                if (e <= error)
                {
                    error = e;
                    best = a[j, i];
                }
            }
            // Higher order got worse by a significant factor: round-off has taken over.
            if (Math.Abs(a[i, i] - a[i - 1, i - 1]) >= safe * error) break;
        }
        if (double.IsNaN(best)) (best, error) = (a[0, 0], double.NaN);
        return (best, error, step);
    }

    /// <summary>Columns J eᵢ (JVP) against differences of the residuals.</summary>
    /// <param name="objective">The residual objective.</param>
    public IEnumerable<CheckResult> CheckJacobianColumns(IResidualObjective objective)
    {
        int n = objective.ResidualCount;
        var r = new double[n];
        objective.Residuals(_theta, r);
        double rNorm = Norm(r);
        var e = new double[_d];
        var jv = new double[n];
        var fd = new double[n];
        var plus1 = new double[n];
        var minus1 = new double[n];
        var plus2 = new double[n];
        var minus2 = new double[n];
        var x = new double[_d];
        for (int i = 0; i < _d; i++)
        {
            double h = Step(i);
            Residuals(objective, x, i, h, plus1);
            Residuals(objective, x, i, -h, minus1);
            Residuals(objective, x, i, 2 * h, plus2);
            Residuals(objective, x, i, -2 * h, minus2);
            for (int k = 0; k < n; k++) fd[k] = (8 * (plus1[k] - minus1[k]) - (plus2[k] - minus2[k])) / (12 * h);
            Array.Clear(e);
            e[i] = 1;
            objective.JacobianVectorProduct(_theta, e, jv);
            double error = Distance(jv, fd);
            double tol = _settings.Rtol * Math.Max(Norm(jv), Norm(fd)) + 100 * MachineEpsilon * Math.Max(rNorm, 1) / h;
            yield return new CheckResult("jvp", _names[i], Norm(jv), Norm(fd), error, tol, "‖J eᵢ‖ vs ‖differences of r‖");
        }
    }

    /// <summary>⟨u, J v⟩ = ⟨Jᵀu, v⟩ for random u, v: the VJP is the JVP's exact adjoint.</summary>
    /// <param name="objective">The residual objective.</param>
    public IEnumerable<CheckResult> CheckAdjoint(IResidualObjective objective)
    {
        int n = objective.ResidualCount;
        var u = new double[n];
        var v = new double[_d];
        var jv = new double[n];
        var jtu = new double[_d];
        for (int pair = 0; pair < _settings.AdjointPairs; pair++)
        {
            FillNormal(u);
            FillNormal(v);
            objective.JacobianVectorProduct(_theta, v, jv);
            objective.VectorJacobianProduct(_theta, u, jtu);
            double left = Dot(u, jv), right = Dot(jtu, v);
            double scale = Math.Max(Norm(u) * Norm(jv), Norm(jtu) * Norm(v));
            yield return new CheckResult("adjoint", $"random pair {pair + 1}", left, right, Math.Abs(left - right), _settings.IdentityRtol * Math.Max(scale, double.Epsilon),
                "⟨u, J v⟩ vs ⟨Jᵀu, v⟩");
        }
    }

    /// <summary>loss = ½ Σ wᵢ rᵢ² + extra terms, for the value and the gradient (∇loss = Jᵀ W r + ∇extra).</summary>
    /// <param name="objective">The residual objective.</param>
    public IEnumerable<CheckResult> CheckResidualSplit(IResidualObjective objective)
    {
        int n = objective.ResidualCount;
        var r = new double[n];
        var w = new double[n];
        objective.Residuals(_theta, r);
        objective.GetWeights(w);
        var g = new double[_d];
        double loss = _objective.Evaluate(_theta, g);
        var extraGradient = new double[_d];
        double extra = _extraTerms?.ExtraLoss(_theta, extraGradient) ?? 0.0;
        if (double.IsNaN(extra))
        {
            yield return CheckResult.Skip("residual_split", "½Σwr² + extra = loss", "the objective declares its residuals an approximation of the loss (ExtraLoss is NaN)");
            yield break;
        }
        double half = 0;
        var wr = new double[n];
        for (int k = 0; k < n; k++)
        {
            half += 0.5 * w[k] * r[k] * r[k];
            wr[k] = w[k] * r[k];
        }
        double sumScale = Math.Abs(loss) + Math.Abs(half) + Math.Abs(extra);
        yield return new CheckResult("residual_split", "loss", loss, half + extra, Math.Abs(loss - half - extra), _settings.IdentityRtol * Math.Max(sumScale, 1e-300),
            _extraTerms is not null ? "½Σwr² + declared extra terms" : "½Σwr² (no extra terms declared)");
        var jtwr = new double[_d];
        objective.VectorJacobianProduct(_theta, wr, jtwr);
        for (int i = 0; i < _d; i++) jtwr[i] += extraGradient[i];
        yield return new CheckResult("residual_split", "gradient", Norm(g), Norm(jtwr), Distance(g, jtwr), _settings.Rtol * Math.Max(Norm(g), Norm(jtwr)) + 1e-300,
            "‖∇loss‖ vs ‖Jᵀ W r + ∇extra‖");
    }

    /// <summary>Σ termᵢ + extra = loss (value and gradient), or a sample of terms against ½ wᵢ rᵢ² when there are many.</summary>
    /// <param name="objective">The per-observation objective.</param>
    public IEnumerable<CheckResult> CheckObservations(IPerObservationObjective objective)
    {
        int m = objective.ObservationCount;
        var extraGradient = new double[_d];
        double extra = _extraTerms?.ExtraLoss(_theta, extraGradient) ?? 0.0;
        if (double.IsNaN(extra))
        {
            yield return CheckResult.Skip("observations", "Σ termᵢ + extra = loss", "the objective declares its terms an approximation of the loss (ExtraLoss is NaN)");
            yield break;
        }
        var termGradient = new double[_d];
        if (m <= _settings.MaxObservations)
        {
            var g = new double[_d];
            double loss = _objective.Evaluate(_theta, g);
            double sum = extra, scale = Math.Abs(extra);
            var sumGradient = (double[])extraGradient.Clone();
            for (int k = 0; k < m; k++)
            {
                double term = objective.EvaluateObservation(k, _theta, termGradient);
                sum += term;
                scale += Math.Abs(term);
                for (int i = 0; i < _d; i++) sumGradient[i] += termGradient[i];
            }
            yield return new CheckResult("observations", $"Σ of {m} terms", sum, loss, Math.Abs(sum - loss), _settings.IdentityRtol * Math.Max(scale + Math.Abs(loss), 1e-300), "Σ termᵢ + extra vs loss");
            yield return new CheckResult("observations", "Σ of term gradients", Norm(sumGradient), Norm(g), Distance(sumGradient, g), _settings.Rtol * Math.Max(Norm(g), Norm(sumGradient)) + 1e-300, "‖Σ ∇termᵢ + ∇extra‖ vs ‖∇loss‖");
            yield break;
        }
        if (_objective is not IResidualObjective residual || residual.ResidualCount != m)
        {
            yield return CheckResult.Skip("observations", $"{m} terms", $"more than {_settings.MaxObservations} observations and no residual of each to compare with; pass --max-observations {m} to sum them all");
            yield break;
        }
        // Many observations: a sample, each against its residual term ½ wᵢ rᵢ² and that term's gradient wᵢ rᵢ Jᵀeᵢ.
        var r = new double[m];
        var w = new double[m];
        residual.Residuals(_theta, r);
        residual.GetWeights(w);
        var oneHot = new double[m];
        var reference = new double[_d];
        foreach (int k in Enumerable.Range(0, _settings.SampledObservations).Select(_ => _random.Next(m)).Distinct())
        {
            double term = objective.EvaluateObservation(k, _theta, termGradient);
            double expected = 0.5 * w[k] * r[k] * r[k];
            Array.Clear(oneHot);
            oneHot[k] = w[k] * r[k];
            residual.VectorJacobianProduct(_theta, oneHot, reference);
            double tol = _settings.IdentityRtol * Math.Max(Math.Abs(term) + Math.Abs(expected), 1e-300);
            yield return new CheckResult("observations", $"term[{k}]", term, expected, Math.Abs(term - expected), tol, "termᵢ vs ½ wᵢ rᵢ² (observation i is residual i)");
            yield return new CheckResult("observations", $"∇term[{k}]", Norm(termGradient), Norm(reference), Distance(termGradient, reference),
                _settings.Rtol * Math.Max(Norm(termGradient), Norm(reference)) + 1e-300, "∇termᵢ vs wᵢ rᵢ Jᵀ eᵢ");
        }
    }

    /// <summary>Columns H eᵢ (HVP) against 4-point differences of the gradient.</summary>
    /// <param name="objective">The objective with HVPs.</param>
    public IEnumerable<CheckResult> CheckHessianColumns(IHessianVectorObjective objective)
    {
        var g0 = new double[_d];
        _objective.Evaluate(_theta, g0);
        double gScale = Math.Max(Norm(g0), 1);
        var e = new double[_d];
        var hv = new double[_d];
        var fd = new double[_d];
        var x = new double[_d];
        var gp1 = new double[_d];
        var gm1 = new double[_d];
        var gp2 = new double[_d];
        var gm2 = new double[_d];
        for (int i = 0; i < _d; i++)
        {
            double h = Step(i);
            Gradient(x, i, h, gp1);
            Gradient(x, i, -h, gm1);
            Gradient(x, i, 2 * h, gp2);
            Gradient(x, i, -2 * h, gm2);
            for (int k = 0; k < _d; k++) fd[k] = (8 * (gp1[k] - gm1[k]) - (gp2[k] - gm2[k])) / (12 * h);
            Array.Clear(e);
            e[i] = 1;
            objective.HessianVectorProduct(_theta, e, hv);
            double tol = _settings.Rtol * Math.Max(Norm(hv), Norm(fd)) + 100 * MachineEpsilon * gScale / h;
            yield return new CheckResult("hvp", _names[i], Norm(hv), Norm(fd), Distance(hv, fd), tol, "‖H eᵢ‖ vs ‖differences of ∇loss‖");
        }
    }

    private double Step(int i) => RelativeStep * Math.Max(Math.Abs(_theta[i]), 1e-3);

    private void Residuals(IResidualObjective objective, double[] x, int i, double offset, double[] into)
    {
        _theta.CopyTo(x, 0);
        x[i] += offset;
        objective.Residuals(x, into);
    }

    private void Gradient(double[] x, int i, double offset, double[] into)
    {
        _theta.CopyTo(x, 0);
        x[i] += offset;
        _objective.Evaluate(x, into);
    }

    private void FillNormal(double[] v)
    {
        for (int k = 0; k < v.Length; k++)
        {
            // Box–Muller: a standard normal from two uniforms.
            double u1 = 1.0 - _random.NextDouble(), u2 = _random.NextDouble();
            v[k] = Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
        }
    }

    /// <summary>One name per θ entry: the IndexMap entry's name, with [k] for vector entries.</summary>
    /// <param name="map">The IndexMap.</param>
    /// <param name="dimension">D.</param>
    public static string[] ParameterNames(IndexMap map, int dimension)
    {
        var names = Enumerable.Range(0, dimension).Select(i => $"θ[{i}]").ToArray();
        foreach (var entry in map.Entries)
        {
            for (int i = entry.Start; i < entry.Stop && i < dimension; i++)
            {
                names[i] = entry.Length == 1 ? entry.Name : $"{entry.Name}[{i - entry.Start}]";
            }
        }
        return names;
    }

    private static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b) => System.Numerics.Tensors.TensorPrimitives.Dot(a, b);

    private static double Norm(ReadOnlySpan<double> a) => System.Numerics.Tensors.TensorPrimitives.Norm(a);

    private static double Distance(ReadOnlySpan<double> a, ReadOnlySpan<double> b) => System.Numerics.Tensors.TensorPrimitives.Distance(a, b);
}
