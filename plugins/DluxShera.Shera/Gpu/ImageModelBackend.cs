using DluxShera.Shera.Optics;

namespace DluxShera.Shera.Gpu;

/// <summary>
/// The optical backend an objective runs on (<c>objective.options.backend</c>): <c>cpu</c> (managed code, BLAS/FFTW
/// when installed), <c>cuda</c> (the ILGPU kernels on the first NVIDIA GPU; an error when there is none),
/// <c>auto</c> (CUDA when a GPU is found, else CPU with one log line) or <c>ilgpu-cpu</c> (the same kernels on ILGPU's
/// CPU emulator: slow, for checking a machine without a GPU). Owns the device it opened.
/// </summary>
public sealed class ImageModelBackend : IDisposable
{
    /// <summary>The values <c>backend</c> accepts.</summary>
    public static readonly string[] Names = ["auto", "cpu", "cuda", "ilgpu-cpu"];

    private readonly ComputeDevice? _device;
    private readonly OpticalConfig _config;

    private ImageModelBackend(OpticalConfig config, ComputeDevice? device, string name, string deviceName)
    {
        _config = config;
        _device = device;
        Name = name;
        DeviceName = deviceName;
        Model = device is null ? new OpticalModel(config) : new IlgpuOpticalModel(config, device.Accelerator);
    }

    /// <summary><c>cpu</c>, <c>cuda</c> or <c>ilgpu-cpu</c> (what <c>auto</c> resolved to).</summary>
    public string Name { get; }

    /// <summary>The GPU's name, or a description of the CPU path.</summary>
    public string DeviceName { get; }

    /// <summary>The model for single evaluations.</summary>
    public IImageModel Model { get; }

    /// <summary>Whether the model runs on an ILGPU accelerator.</summary>
    public bool OnDevice => _device is not null;

    /// <summary>Opens the backend <paramref name="requested"/> names.</summary>
    /// <param name="config">The optics.</param>
    /// <param name="requested">auto, cpu, cuda or ilgpu-cpu.</param>
    /// <param name="log">Receives the one line saying auto fell back to the CPU.</param>
    /// <exception cref="NotSupportedException">cuda was requested and no CUDA GPU is usable.</exception>
    public static ImageModelBackend Open(OpticalConfig config, string requested, Action<string> log)
    {
        switch (requested)
        {
            case "cpu":
                return Cpu(config);
            case "ilgpu-cpu":
                var emulator = ComputeDevice.OpenCpuEmulator();
                return new ImageModelBackend(config, emulator, "ilgpu-cpu", emulator.Name);
            case "cuda":
                var gpu = ComputeDevice.TryOpenCuda()
                    ?? throw new NotSupportedException("backend 'cuda' needs an NVIDIA GPU with a CUDA driver, and none was found on this machine; use backend 'auto' (falls back to the CPU) or 'cpu'.");
                return new ImageModelBackend(config, gpu, "cuda", gpu.Name);
            case "auto":
                var found = ComputeDevice.TryOpenCuda();
                if (found is not null) return new ImageModelBackend(config, found, "cuda", found.Name);
                log("objective.options.backend: auto found no CUDA GPU; using the CPU backend.");
                return Cpu(config);
            default:
                throw new ArgumentException($"backend '{requested}' is unknown; expected one of {string.Join(", ", Names)}.");
        }
    }

    /// <summary>A model for batches of up to <paramref name="capacity"/> points on this backend's device (device backends only).</summary>
    /// <param name="capacity">Points per batch.</param>
    public IlgpuOpticalModel CreateBatchModel(int capacity) =>
        new(_config, (_device ?? throw new InvalidOperationException("the CPU backend batches with one managed model per worker")).Accelerator, capacity);

    /// <inheritdoc/>
    public void Dispose()
    {
        (Model as IDisposable)?.Dispose();
        _device?.Dispose();
    }

    private static ImageModelBackend Cpu(OpticalConfig config) =>
        new(config, null, "cpu", $"{Environment.ProcessorCount} CPU threads, BLAS {NativeBlas.Library ?? "managed"}, FFT {(NativeFft.Available ? "FFTW" : "managed")}");
}
