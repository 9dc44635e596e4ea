using System.Text.Json.Nodes;
using DluxShera.Shera;
using DluxShera.Shera.Optics;

namespace DluxShera.Tests;

internal static class SheraTestModels
{
    /// <summary>The options of a shipped preset, with optional changes to its optics.</summary>
    public static SheraOptions Preset(string name, Action<OpticsOptions>? optics = null, Action<SheraOptions>? options = null)
    {
        var json = SheraPlugin.LoadPresets()[name];
        var o = System.Text.Json.JsonSerializer.Deserialize<SheraOptions>(json.ToJsonString(),
            new System.Text.Json.JsonSerializerOptions { PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower })!;
        optics?.Invoke(o.Optics);
        options?.Invoke(o);
        return o;
    }

    public static SheraParameters Nominal(OpticalConfig config, int zernikes = 8) => new()
    {
        SeparationAs = 10, PositionAngleDeg = 90, LogFluxTotal = 11.2, Contrast = 3.46,
        PlateScaleAsPerPix = config.NominalPlateScale, PrimaryZernikesNm = new double[zernikes],
    };
}
