namespace DluxShera.Contracts;

/// <summary>
/// An objective whose data are an image (a detector frame): it can return the data, the model and the variance
/// at a θ, for data / model / residual / z-score figures. Added in contract 1.1.
/// </summary>
public interface IImageObjective : IObjective
{
    /// <summary>Image width (columns).</summary>
    int ImageWidth { get; }

    /// <summary>Image height (rows).</summary>
    int ImageHeight { get; }

    /// <summary>Writes the data, the model at <paramref name="theta"/> and the per-pixel variance (row-major).</summary>
    /// <param name="theta">θ.</param>
    /// <param name="data">Receives the data.</param>
    /// <param name="model">Receives the model image.</param>
    /// <param name="variance">Receives the variance.</param>
    void Images(ReadOnlySpan<double> theta, Span<double> data, Span<double> model, Span<double> variance);

    /// <summary>The unit of data and model (and of the residual; variance is its square), e.g. <c>photons</c>, <c>ADU</c>,
    /// <c>e-</c>: figure labels and images.npz's metadata. Added in contract 1.2; the default keeps 1.1's "photons".</summary>
    string ImageUnit => "photons";
}
