namespace DluxShera.Shera.Optics;

/// <summary>Structural keys of the instrument (a change rebuilds the model; never inferred).</summary>
public sealed record OpticalConfig
{
    /// <summary>M1 diameter D1 (m).</summary>
    public required double M1Diameter { get; init; }

    /// <summary>M2 diameter D2, also the central obscuration (m).</summary>
    public required double M2Diameter { get; init; }

    /// <summary>M1 focal length f1 (m).</summary>
    public required double M1FocalLength { get; init; }

    /// <summary>M2 focal length f2 (m).</summary>
    public required double M2FocalLength { get; init; }

    /// <summary>M1–M2 separation d (m).</summary>
    public required double MirrorSeparation { get; init; }

    /// <summary>Number of spider vanes.</summary>
    public required int Struts { get; init; }

    /// <summary>Vane width (m).</summary>
    public required double StrutWidth { get; init; }

    /// <summary>Angle of vane 0 (degrees from +x towards +y).</summary>
    public required double StrutRotationDeg { get; init; }

    /// <summary>Detector pixel pitch (m).</summary>
    public required double PixelPitch { get; init; }

    /// <summary>Read noise (e⁻).</summary>
    public required double ReadNoise { get; init; }

    /// <summary>Band centre λc (m).</summary>
    public required double CenterWavelength { get; init; }

    /// <summary>Band width (m).</summary>
    public required double Bandwidth { get; init; }

    /// <summary>Number of wavelengths.</summary>
    public required int NLambda { get; init; }

    /// <summary>Pupil pixels per side N.</summary>
    public required int PupilNpix { get; init; }

    /// <summary>Detector pixels per side.</summary>
    public required int PsfNpix { get; init; }

    /// <summary>Focal-plane oversampling.</summary>
    public required int Oversample { get; init; }

    /// <summary>Noll indices of the M1 Zernikes.</summary>
    public required int[] PrimaryNoll { get; init; }

    /// <summary>Noll indices of the M2 Zernikes (three-plane model).</summary>
    public int[] SecondaryNoll { get; init; } = [4, 5, 6, 7, 8, 9, 10, 11];

    /// <summary>2: M1 straight to focus; 3: with the Fresnel-propagated secondary mirror.</summary>
    public int Planes { get; init; } = 2;

    /// <summary>Diffractive pupil: none, npy or generated.</summary>
    public string DiffractivePupil { get; init; } = "none";

    /// <summary>The .npy map for <c>npy</c>.</summary>
    public string? DiffractivePupilPath { get; init; }

    /// <summary>Seed of a generated map.</summary>
    public ulong DiffractivePupilSeed { get; init; }

    /// <summary>Feature size of a generated map (fraction of D1).</summary>
    public double DiffractivePupilFeature { get; init; } = 0.04;

    /// <summary>System focal length 1/(1/f1 + 1/f2 − d/(f1 f2)) (m).</summary>
    public double FocalLength => 1 / (1 / M1FocalLength + 1 / M2FocalLength - MirrorSeparation / (M1FocalLength * M2FocalLength));

    /// <summary>Nominal plate scale pixel_pitch / focal_length in arcsec per pixel.</summary>
    public double NominalPlateScale => PixelPitch / FocalLength * ArcsecPerRadian;

    /// <summary>Arcseconds per radian (648000/π).</summary>
    public const double ArcsecPerRadian = 648000 / Math.PI;

    /// <summary>Wavelengths: linspace(λc − bw/2, λc + bw/2, n), or λc alone when n = 1.</summary>
    public double[] Wavelengths => NLambda == 1 ? [CenterWavelength]
        : Enumerable.Range(0, NLambda).Select(i => CenterWavelength - Bandwidth / 2 + Bandwidth * i / (NLambda - 1)).ToArray();

    /// <summary>Equal spectral weights 1/n.</summary>
    public double[] Weights => Enumerable.Repeat(1.0 / NLambda, NLambda).ToArray();
}
