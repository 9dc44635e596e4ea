namespace DluxShera.Shera.Optics;

/// <summary>
/// The chain rule between the canonical parameters and what the optics see — star angles α_A, α_B (rad), raw fluxes
/// F_A, F_B, the focal sampling dθ and the Zernike OPDs — in both directions; shared by every optical backend.
/// </summary>
public static class ParameterChain
{
    /// <summary>Reverse: ∂L/∂parameters from ∂L/∂(αAx, αAy, αBx, αBy), ∂L/∂F_A, ∂L/∂F_B, ∂L/∂dθ and the Zernike contractions.</summary>
    /// <param name="p">The point.</param>
    /// <param name="dAlpha">∂L/∂α (rad), A then B, x then y.</param>
    /// <param name="dFa">∂L/∂F_A.</param>
    /// <param name="dFb">∂L/∂F_B.</param>
    /// <param name="dDTheta">∂L/∂dθ.</param>
    /// <param name="primaryNm">∂L/∂(M1 Zernike, nm).</param>
    /// <param name="secondaryNm">∂L/∂(M2 Zernike, nm).</param>
    /// <param name="oversample">Focal-plane oversampling (dθ = plate scale/oversample).</param>
    public static SheraParameters Gradient(SheraParameters p, ReadOnlySpan<double> dAlpha, double dFa, double dFb, double dDTheta,
        double[] primaryNm, double[] secondaryNm, int oversample)
    {
        var (fa, fb) = p.RawFluxes;
        double toRad = 1 / OpticalConfig.ArcsecPerRadian;
        double gAx = dAlpha[0] * toRad, gAy = dAlpha[1] * toRad, gBx = dAlpha[2] * toRad, gBy = dAlpha[3] * toRad;
        double pa = p.PositionAngleDeg * Math.PI / 180, h = p.SeparationAs / 2;
        double sinPa = Math.Sin(pa), cosPa = Math.Cos(pa);
        return new SheraParameters
        {
            XAs = gAx + gBx,
            YAs = gAy + gBy,
            SeparationAs = 0.5 * (sinPa * (gAx - gBx) + cosPa * (gAy - gBy)),
            PositionAngleDeg = h * (cosPa * (gAx - gBx) - sinPa * (gAy - gBy)) * Math.PI / 180,
            LogFluxTotal = (dFa * fa + dFb * fb) * Math.Log(10),
            Contrast = (dFa - dFb) * fb / (1 + p.Contrast),
            PlateScaleAsPerPix = dDTheta * toRad / oversample,
            PrimaryZernikesNm = primaryNm,
            SecondaryZernikesNm = secondaryNm,
        };
    }

    /// <summary>Forward: the tangents of α (rad, A then B, x then y), F_A, F_B and dθ along the direction δp at p.</summary>
    /// <param name="p">The point.</param>
    /// <param name="tangent">δp.</param>
    /// <param name="oversample">Focal-plane oversampling.</param>
    public static (double[] DAlpha, double DFa, double DFb, double DDTheta) Tangent(SheraParameters p, SheraParameters tangent, int oversample)
    {
        var (fa, fb) = p.RawFluxes;
        double pa = p.PositionAngleDeg * Math.PI / 180, h = p.SeparationAs / 2, sinPa = Math.Sin(pa), cosPa = Math.Cos(pa);
        double toRad = 1 / OpticalConfig.ArcsecPerRadian;
        // δ(star offset from the midpoint) = δs/2·(sin, cos) + h·δPA·(cos, −sin)
        double dPa = tangent.PositionAngleDeg * Math.PI / 180;
        double offX = 0.5 * tangent.SeparationAs * sinPa + h * dPa * cosPa;
        double offY = 0.5 * tangent.SeparationAs * cosPa - h * dPa * sinPa;
        double[] dAlpha = [(tangent.XAs + offX) * toRad, (tangent.YAs + offY) * toRad, (tangent.XAs - offX) * toRad, (tangent.YAs - offY) * toRad];
        double ln10 = Math.Log(10);
        double dFa = fa * ln10 * tangent.LogFluxTotal + fb / (1 + p.Contrast) * tangent.Contrast;
        double dFb = fb * ln10 * tangent.LogFluxTotal - fb / (1 + p.Contrast) * tangent.Contrast;
        return (dAlpha, dFa, dFb, tangent.PlateScaleAsPerPix * toRad / oversample);
    }
}
