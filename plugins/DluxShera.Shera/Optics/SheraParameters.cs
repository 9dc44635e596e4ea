namespace DluxShera.Shera.Optics;

/// <summary>The physical parameters of one evaluation (SHERA_MODEL §1), in their canonical units.</summary>
public sealed class SheraParameters
{
    /// <summary>A–B separation (arcsec).</summary>
    public double SeparationAs { get; set; }

    /// <summary>Position angle of A relative to B, from +y towards +x (degrees).</summary>
    public double PositionAngleDeg { get; set; }

    /// <summary>x of the pair's midpoint (arcsec).</summary>
    public double XAs { get; set; }

    /// <summary>y of the pair's midpoint (arcsec).</summary>
    public double YAs { get; set; }

    /// <summary>log10 of the total photons of both stars.</summary>
    public double LogFluxTotal { get; set; }

    /// <summary>Flux ratio A/B.</summary>
    public double Contrast { get; set; }

    /// <summary>Plate scale (arcsec per detector pixel).</summary>
    public double PlateScaleAsPerPix { get; set; }

    /// <summary>M1 Zernike coefficients (nm RMS), one per configured Noll index.</summary>
    public double[] PrimaryZernikesNm { get; set; } = [];

    /// <summary>M2 Zernike coefficients (nm RMS), three-plane model only.</summary>
    public double[] SecondaryZernikesNm { get; set; } = [];

    /// <summary>A deep copy.</summary>
    public SheraParameters Clone() => new()
    {
        SeparationAs = SeparationAs, PositionAngleDeg = PositionAngleDeg, XAs = XAs, YAs = YAs, LogFluxTotal = LogFluxTotal,
        Contrast = Contrast, PlateScaleAsPerPix = PlateScaleAsPerPix, PrimaryZernikesNm = (double[])PrimaryZernikesNm.Clone(),
        SecondaryZernikesNm = (double[])SecondaryZernikesNm.Clone(),
    };

    /// <summary>Raw fluxes (A, B): F_B = 10^L/(1 + c), F_A = c·F_B.</summary>
    public (double A, double B) RawFluxes
    {
        get
        {
            double b = Math.Pow(10, LogFluxTotal) / (1 + Contrast);
            return (Contrast * b, b);
        }
    }

    /// <summary>Star positions (arcsec): A = mid + (s/2)(sin PA, cos PA), B = mid − (s/2)(sin PA, cos PA).</summary>
    public ((double X, double Y) A, (double X, double Y) B) StarPositions
    {
        get
        {
            double pa = PositionAngleDeg * Math.PI / 180, h = SeparationAs / 2;
            return ((XAs + h * Math.Sin(pa), YAs + h * Math.Cos(pa)), (XAs - h * Math.Sin(pa), YAs - h * Math.Cos(pa)));
        }
    }
}
