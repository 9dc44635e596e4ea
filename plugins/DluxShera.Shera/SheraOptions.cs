using System.Text.Json.Nodes;
using DluxShera.Contracts;
using DluxShera.Shera.Optics;

namespace DluxShera.Shera;

/// <summary>Structural optics keys (SHERA_MODEL §1), as in the presets.</summary>
public sealed class OpticsOptions
{
    /// <summary>M1 diameter (m).</summary>
    public double M1DiameterM { get; set; } = 0.09;

    /// <summary>M2 diameter and central obscuration (m).</summary>
    public double M2DiameterM { get; set; } = 0.025;

    /// <summary>M1 focal length (m).</summary>
    public double M1FocalLengthM { get; set; } = 0.35796;

    /// <summary>M2 focal length (m).</summary>
    public double M2FocalLengthM { get; set; } = -0.041935;

    /// <summary>M1–M2 separation (m).</summary>
    public double M1M2SeparationM { get; set; } = 0.32;

    /// <summary>Spider vanes.</summary>
    public int NStruts { get; set; } = 4;

    /// <summary>Vane width (m).</summary>
    public double StrutWidthM { get; set; } = 0.002;

    /// <summary>Vane rotation (degrees).</summary>
    public double StrutRotationDeg { get; set; } = 45;

    /// <summary>Detector pixel pitch (m).</summary>
    public double PixelPitchM { get; set; } = 6.5e-6;

    /// <summary>Read noise (e⁻).</summary>
    public double ReadNoiseE { get; set; } = 1.6;

    /// <summary>Band centre (m).</summary>
    public double CenterWavelengthM { get; set; } = 550e-9;

    /// <summary>Band width (m).</summary>
    public double BandwidthM { get; set; } = 110e-9;

    /// <summary>Wavelengths across the band.</summary>
    public int NLambda { get; set; } = 3;

    /// <summary>Pupil pixels per side.</summary>
    public int PupilNpix { get; set; } = 64;

    /// <summary>Detector pixels per side.</summary>
    public int PsfNpix { get; set; } = 64;

    /// <summary>Focal-plane oversampling.</summary>
    public int Oversample { get; set; } = 2;

    /// <summary>Noll indices of the M1 Zernikes (default 4…11).</summary>
    public int[] PrimaryNoll { get; set; } = [4, 5, 6, 7, 8, 9, 10, 11];

    /// <summary>Noll indices of the M2 Zernikes (three-plane model; default 4…11).</summary>
    public int[] SecondaryNoll { get; set; } = [4, 5, 6, 7, 8, 9, 10, 11];

    /// <summary>Diffractive pupil: <c>none</c>, <c>npy</c> or <c>generated</c>.</summary>
    public string DiffractivePupil { get; set; } = "generated";

    /// <summary>The 0/1 map for <c>npy</c>.</summary>
    public string? DiffractivePupilPath { get; set; }

    /// <summary>Seed of the generated map.</summary>
    public ulong DiffractivePupilSeed { get; set; } = 1;

    /// <summary>Feature size of the generated map (fraction of D1).</summary>
    public double DiffractivePupilFeature { get; set; } = 0.04;

    /// <summary>The structural configuration of the optics.</summary>
    /// <param name="planes">2 (two-plane) or 3 (three-plane).</param>
    public OpticalConfig ToConfig(int planes = 2) => new()
    {
        Planes = planes,
        SecondaryNoll = SecondaryNoll,
        M1Diameter = M1DiameterM, M2Diameter = M2DiameterM, M1FocalLength = M1FocalLengthM, M2FocalLength = M2FocalLengthM,
        MirrorSeparation = M1M2SeparationM, Struts = NStruts, StrutWidth = StrutWidthM, StrutRotationDeg = StrutRotationDeg,
        PixelPitch = PixelPitchM, ReadNoise = ReadNoiseE, CenterWavelength = CenterWavelengthM, Bandwidth = BandwidthM, NLambda = NLambda,
        PupilNpix = PupilNpix, PsfNpix = PsfNpix, Oversample = Oversample, PrimaryNoll = PrimaryNoll,
        DiffractivePupil = DiffractivePupil, DiffractivePupilPath = DiffractivePupilPath, DiffractivePupilSeed = DiffractivePupilSeed,
        DiffractivePupilFeature = DiffractivePupilFeature,
    };
}

/// <summary>Where the data come from.</summary>
public sealed class DataOptions
{
    /// <summary><c>simulate</c> (from the truth, seeded) or <c>file</c> (a data.npz with image and variance).</summary>
    public string Source { get; set; } = "simulate";

    /// <summary>Noise seed for <c>simulate</c>.</summary>
    public ulong Seed { get; set; } = 1;

    /// <summary><c>poisson</c> (photon noise + Gaussian read noise), or <c>none</c> (noiseless).</summary>
    public string Noise { get; set; } = "poisson";

    /// <summary>The data.npz for <c>file</c>.</summary>
    public string? Path { get; set; }
}

/// <summary>Options of <c>objective:shera</c>.</summary>
public sealed class SheraOptions : IValidatableOptions
{
    /// <summary>Optical model: <c>two_plane</c> or <c>three_plane</c>.</summary>
    public string Model { get; set; } = "two_plane";

    /// <summary>Structural keys.</summary>
    public OpticsOptions Optics { get; set; } = new();

    /// <summary>Nominal parameter values (the fit starts here); keys from the canonical vocabulary.</summary>
    public JsonObject Nominal { get; set; } = new();

    /// <summary>Truth overrides of the nominal values, for simulated data.</summary>
    public JsonObject Truth { get; set; } = new();

    /// <summary>Keys to infer (θ); the rest stay fixed at their nominal values. Default: all.</summary>
    public string[]? Infer { get; set; }

    /// <summary>Add the Gaussian priors of SHERA_MODEL §1 (centred on the nominal values) to the loss.</summary>
    public bool Priors { get; set; } = true;

    /// <summary>Prior σ overrides by key.</summary>
    public JsonObject PriorSigmas { get; set; } = new();

    /// <summary><c>gaussian</c> (fixed variance) or <c>poisson</c>.</summary>
    public string Likelihood { get; set; } = "gaussian";

    /// <summary>Exposure time (s), recorded.</summary>
    public double ExposureS { get; set; } = 1800;

    /// <summary>The data.</summary>
    public DataOptions Data { get; set; } = new();

    /// <summary>Where the optics run: <c>cpu</c> (default), <c>cuda</c>, <c>auto</c> (CUDA when a GPU is found, else CPU)
    /// or <c>ilgpu-cpu</c> (the GPU kernels on ILGPU's slow CPU emulator, for checks).</summary>
    public string Backend { get; set; } = "cpu";

    /// <summary>Most points evaluated together by a batched evaluation: one launch sequence on a GPU, parallel workers on the CPU.</summary>
    public int BatchCapacity { get; set; } = 64;

    /// <inheritdoc/>
    public IEnumerable<(string Key, string Message)> Validate()
    {
        if (Model is not "two_plane" and not "three_plane") yield return ("model", $"'{Model}' is unknown; expected two_plane or three_plane");
        if (Likelihood is not "gaussian" and not "poisson") yield return ("likelihood", "must be gaussian or poisson");
        if (Data.Source is not "simulate" and not "file") yield return ("data.source", "must be simulate or file");
        if (Data.Noise is not "poisson" and not "none") yield return ("data.noise", "must be poisson or none");
        if (Data.Source == "file" && string.IsNullOrEmpty(Data.Path)) yield return ("data.path", "is required when data.source is file");
        if (!Gpu.ImageModelBackend.Names.Contains(Backend)) yield return ("backend", $"'{Backend}' is unknown; expected one of {string.Join(", ", Gpu.ImageModelBackend.Names)}");
        if (BatchCapacity < 1) yield return ("batch_capacity", "must be ≥ 1");
        if (Optics.PupilNpix < 8 || Optics.PsfNpix < 8 || Optics.Oversample < 1) yield return ("optics", "pupil_npix and psf_npix must be ≥ 8 and oversample ≥ 1");
        var allowed = ParameterVocabulary.KeysFor(Planes).ToArray();
        foreach (var problem in ParameterVocabulary.CheckKeys(Nominal, "nominal", allowed, VectorLength)) yield return problem;
        foreach (var problem in ParameterVocabulary.CheckKeys(Truth, "truth", allowed, VectorLength)) yield return problem;
        foreach (var key in Infer ?? [])
        {
            if (!allowed.Contains(key)) yield return ("infer", $"'{key}' is not a parameter of the {Model} model; allowed: {string.Join(", ", allowed)}");
        }
    }

    /// <summary>2 or 3.</summary>
    public int Planes => Model == "three_plane" ? 3 : 2;

    /// <summary>The length of a vector parameter under these options.</summary>
    /// <param name="key">A vector key.</param>
    public int VectorLength(string key) => key == "secondary.zernike_coeffs_nm" ? Optics.SecondaryNoll.Length : Optics.PrimaryNoll.Length;
}
