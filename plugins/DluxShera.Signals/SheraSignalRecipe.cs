using System.Text.Json.Nodes;
using DluxShera.Contracts;

namespace DluxShera.Signals;

/// <summary>
/// The SHERA standard signals (seed "Signals strategy (v0)"), from the trace and meta.json alone: parameters decoded
/// from the run's θ-space by the host's decoder, fixed parameters and the truth from <c>meta.objective.nominal</c> / <c>.truth</c>.
/// Residuals in µas, arcsec, ppm and nm; NaN-filled when the truth is unknown.
/// </summary>
public sealed class SheraSignalRecipe : ISignalRecipe
{
    /// <inheritdoc/>
    public string Name => "shera";

    /// <inheritdoc/>
    public SignalSet Build(SignalContext context)
    {
        var trace = context.Trace;
        int t = trace.Steps;
        var meta = context.Meta;
        var decoded = SignalMath.PrimitiveSeries(context);
        var nominal = meta["objective"]?["nominal"] as JsonObject;
        var truthObject = meta["objective"]?["data"]?["source"]?.GetValue<string>() == "simulate" ? meta["objective"]?["truth"] as JsonObject : null;

        // Values of a parameter over the trace (θ columns when inferred, else its fixed nominal value).
        double[] Series(string key, out int k)
        {
            if (decoded.TryGetValue(key, out var inferred))
            {
                k = inferred.K;
                return inferred.Values;
            }
            var fixedValue = Vector(nominal?[key]) ?? [double.NaN];
            k = fixedValue.Length;
            var values = new double[t * k];
            for (int row = 0; row < t; row++) fixedValue.CopyTo(values, row * k);
            return values;
        }
        double[]? Truth(string key) => Vector(truthObject?[key]);

        var signals = new List<Signal> { SignalMath.Make("loss", "loss", trace.Loss, t, 1) };
        var panels = new List<PanelSpec> { new("loss", ["loss"], LogY: true) };
        signals.Add(SignalMath.AboveBest(trace.Loss));
        panels.Add(new PanelSpec("loss above its best value", ["loss_above_best"], LogY: true));
        void Residual(string key, string name, string unit, double scale)
        {
            var values = Series(key, out int k);
            signals.Add(SignalMath.Make(name, unit, SignalMath.Error(values, k, Truth(key), scale), t, k));
        }
        Residual("binary.x_position_as", "binary.x_error_uas", "µas", 1e6);
        Residual("binary.y_position_as", "binary.y_error_uas", "µas", 1e6);
        panels.Add(new PanelSpec("x and y position error", ["binary.x_error_uas", "binary.y_error_uas"]));
        Residual("binary.separation_as", "binary.separation_error_uas", "µas", 1e6);
        panels.Add(new PanelSpec("separation error", ["binary.separation_error_uas"]));
        Residual("binary.position_angle_deg", "binary.position_angle_error_as", "arcsec", 3600);
        panels.Add(new PanelSpec("position angle error", ["binary.position_angle_error_as"]));

        var plate = Series("system.plate_scale_as_per_pix", out _);
        var plateTruth = Truth("system.plate_scale_as_per_pix");
        signals.Add(SignalMath.Make("system.plate_scale_error_ppm", "ppm",
            plate.Select(v => plateTruth is null ? double.NaN : 1e6 * (v - plateTruth[0]) / plateTruth[0]).ToArray(), t, 1));
        panels.Add(new PanelSpec("plate scale error", ["system.plate_scale_error_ppm"]));

        // Raw fluxes (A, B) are derived by the objective: the host's decoder carries them (derived.npz after the run) and
        // meta.theta.derived_truth has them at the truth; runs recorded before that fall back to the same formula here.
        var rawFluxes = decoded.TryGetValue(RawFluxesKey, out var derived) && derived.K == 2 ? derived.Values : RawFluxSeries(Series("binary.log_flux_total", out _), Series("binary.contrast", out _));
        var fluxTruth = truthObject is null ? null
            : Vector(meta["theta"]?["derived_truth"]?[RawFluxesKey]) is { Length: 2 } recorded ? recorded
            : Truth("binary.log_flux_total") is { } lt && Truth("binary.contrast") is { } ct ? RawFluxSeries(lt, ct) : null;
        var fluxError = new double[t * 2];
        for (int i = 0; i < 2 * t; i++) fluxError[i] = fluxTruth is null ? double.NaN : 1e6 * (rawFluxes[i] - fluxTruth[i % 2]) / fluxTruth[i % 2];
        signals.Add(SignalMath.Make("binary.raw_flux_error_ppm", "ppm", fluxError, t, 2));
        panels.Add(new PanelSpec("raw flux error (A, B)", ["binary.raw_flux_error_ppm"]));

        foreach (string mirror in new[] { "primary", "secondary" })
        {
            string key = $"{mirror}.zernike_coeffs_nm";
            if (!decoded.ContainsKey(key) && nominal?[key] is null) continue;
            var values = Series(key, out int k);
            if (k == 0) continue;
            var error = SignalMath.Error(values, k, Truth(key));
            signals.Add(SignalMath.Make($"{mirror}.zernike_error_nm", "nm", error, t, k));
            var rms = new double[t];
            for (int row = 0; row < t; row++)
            {
                double s = 0;
                for (int c = 0; c < k; c++) s += error[row * k + c] * error[row * k + c];
                rms[row] = Math.Sqrt(s / k);
            }
            signals.Add(SignalMath.Make($"{mirror}.zernike_rms_nm", "nm", rms, t, 1));
            panels.Add(new PanelSpec($"{mirror} Zernike error", [$"{mirror}.zernike_error_nm"], VectorMode.Hybrid, TopN: 3));
            panels.Add(new PanelSpec($"{mirror} Zernike RMS error", [$"{mirror}.zernike_rms_nm"], LogY: true));
        }
        return new SignalSet(signals, panels);
    }

    /// <summary>The objective's derived entry: fluxes of stars A and B.</summary>
    public const string RawFluxesKey = "binary.raw_fluxes";

    // F_B = 10^L / (1 + c), F_A = c·F_B per row, as (T, 2).
    private static double[] RawFluxSeries(double[] logFlux, double[] contrast)
    {
        var result = new double[2 * logFlux.Length];
        for (int row = 0; row < logFlux.Length; row++)
        {
            double b = Math.Pow(10, logFlux[row]) / (1 + contrast[row]);
            result[2 * row] = contrast[row] * b;
            result[2 * row + 1] = b;
        }
        return result;
    }

    private static double[]? Vector(JsonNode? node) => node switch
    {
        JsonArray a => a.Select(v => v!.GetValue<double>()).ToArray(),
        JsonValue v => [v.GetValue<double>()],
        _ => null,
    };
}
