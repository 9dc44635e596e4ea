using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;

namespace DluxShera.Shera.Gpu;

/// <summary>
/// An ILGPU context and one accelerator: the first CUDA GPU, or ILGPU's CPU accelerator (a slow emulator of the same
/// kernels, for tests and checks on machines without a GPU). Disposing it releases the device.
/// </summary>
public sealed class ComputeDevice : IDisposable
{
    private readonly Context _context;

    private ComputeDevice(Context context, Accelerator accelerator, string kind)
    {
        _context = context;
        Accelerator = accelerator;
        Kind = kind;
    }

    /// <summary>The accelerator.</summary>
    public Accelerator Accelerator { get; }

    /// <summary><c>cuda</c> or <c>ilgpu-cpu</c>.</summary>
    public string Kind { get; }

    /// <summary>The device's name (the GPU model, or ILGPU's name for its CPU accelerator).</summary>
    public string Name => Accelerator.Name;

    /// <summary>Opens the first CUDA GPU; null when the machine has none (or no CUDA driver).</summary>
    public static ComputeDevice? TryOpenCuda()
    {
        Context? context = null;
        try
        {
            context = Context.Create(builder => builder.Cuda());
            var devices = context.GetCudaDevices();
            if (devices.Count == 0)
            {
                context.Dispose();
                return null;
            }
            return new ComputeDevice(context, devices[0].CreateCudaAccelerator(context), "cuda");
        }
        catch (Exception e) when (e is CudaException or DllNotFoundException or TypeInitializationException or NotSupportedException or InvalidOperationException)
        {
            context?.Dispose(); // no driver: libcuda could not be loaded
            return null;
        }
    }

    /// <summary>Opens ILGPU's CPU accelerator (groups of up to 16 threads: the model launches 4×4 GEMM tiles there).</summary>
    public static ComputeDevice OpenCpuEmulator()
    {
        var context = Context.Create(builder => builder.CPU(new CPUDevice(4, 4, 1)));
        return new ComputeDevice(context, context.GetCPUDevice(0).CreateCPUAccelerator(context), "ilgpu-cpu");
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        Accelerator.Dispose();
        _context.Dispose();
    }
}
