using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace DluxShera.Shera.Optics;

/// <summary>
/// FFTW (libfftw3) through P/Invoke when it is installed: fast 2-D transforms for any size, which the
/// three-plane model's 2ᵃ3ᵇ padded grids need (Math.NET falls back to Bluestein there, ~13× slower at 192²).
/// Plans are made once per size (FFTW_ESTIMATE) and used under a lock. Set <c>DLUXSHERA_FFT=managed</c> to
/// force the managed path.
/// </summary>
public static unsafe class NativeFft
{
    private const int Forward = -1, Backward = 1;
    private const uint Estimate = 1U << 6;
    private static readonly delegate* unmanaged<int, int, double*, double*, int, uint, IntPtr> PlanDft2D;
    private static readonly delegate* unmanaged<IntPtr, void> Execute;
    private static readonly delegate* unmanaged<nuint, double*> Malloc;
    private static readonly ConcurrentDictionary<(int N, bool Inverse), Plan> Plans = new();
    private static readonly object PlanningLock = new();

    private sealed class Plan(IntPtr handle, double* buffer)
    {
        public readonly IntPtr Handle = handle;
        public readonly double* Buffer = buffer;
        public readonly object Gate = new();
    }

    static NativeFft()
    {
        if (Environment.GetEnvironmentVariable("DLUXSHERA_FFT") == "managed") return;
        foreach (string name in new[] { "libfftw3.so.3", "libfftw3.so", "libfftw3.3.dylib", "libfftw3-3.dll" })
        {
            if (NativeLibrary.TryLoad(name, out var lib)
                && NativeLibrary.TryGetExport(lib, "fftw_plan_dft_2d", out var plan)
                && NativeLibrary.TryGetExport(lib, "fftw_execute", out var execute)
                && NativeLibrary.TryGetExport(lib, "fftw_malloc", out var malloc))
            {
                PlanDft2D = (delegate* unmanaged<int, int, double*, double*, int, uint, IntPtr>)plan;
                Execute = (delegate* unmanaged<IntPtr, void>)execute;
                Malloc = (delegate* unmanaged<nuint, double*>)malloc;
                Library = name;
                return;
            }
        }
    }

    /// <summary>The library in use, or null.</summary>
    public static string? Library { get; }

    /// <summary>Whether FFTW is in use.</summary>
    public static bool Available => PlanDft2D != null;

    /// <summary>In-place 2-D transform of a square split matrix: forward unnormalised, inverse scaled by 1/n².</summary>
    /// <param name="m">The matrix.</param>
    /// <param name="inverse">Inverse transform.</param>
    public static void Transform(ComplexMatrix m, bool inverse)
    {
        int n = m.Rows;
        var plan = Plans.GetOrAdd((n, inverse), key =>
        {
            lock (PlanningLock) // FFTW's planner is not thread-safe
            {
                double* buffer = Malloc((nuint)(2 * key.N * key.N * sizeof(double)));
                return new Plan(PlanDft2D(key.N, key.N, buffer, buffer, key.Inverse ? Backward : Forward, Estimate), buffer);
            }
        });
        lock (plan.Gate)
        {
            double* b = plan.Buffer;
            int count = n * n;
            for (int i = 0; i < count; i++)
            {
                b[2 * i] = m.Re[i];
                b[2 * i + 1] = m.Im[i];
            }
            Execute(plan.Handle);
            double scale = inverse ? 1.0 / ((double)n * n) : 1.0;
            for (int i = 0; i < count; i++)
            {
                m.Re[i] = b[2 * i] * scale;
                m.Im[i] = b[2 * i + 1] * scale;
            }
        }
    }
}
