namespace DluxShera.Shera.Optics;

/// <summary>
/// What the objective needs from an optical model: the detector image and its exact reverse- and forward-mode
/// derivatives at the last forward point. <see cref="OpticalModel"/> (managed CPU) and
/// <see cref="Gpu.IlgpuOpticalModel"/> (ILGPU kernels) implement it with the same formulas.
/// </summary>
public interface IImageModel
{
    /// <summary>The configuration.</summary>
    OpticalConfig Config { get; }

    /// <summary>The last detector image (photons), psf_npix² row-major.</summary>
    double[] Detector { get; }

    /// <summary>Computes the detector image for <paramref name="p"/> into <see cref="Detector"/>.</summary>
    /// <param name="p">Parameters.</param>
    double[] Forward(SheraParameters p);

    /// <summary>∂loss/∂parameters from ∂loss/∂image at the last forward point.</summary>
    /// <param name="detectorGradient">∂loss/∂image.</param>
    SheraParameters Backward(ReadOnlySpan<double> detectorGradient);

    /// <summary>∂image/∂p·δp at the last forward point.</summary>
    /// <param name="tangent">δp.</param>
    /// <param name="imageTangent">Receives the image tangent.</param>
    void Tangent(SheraParameters tangent, Span<double> imageTangent);
}
