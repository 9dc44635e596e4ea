using System.Collections.Concurrent;
using System.Numerics;
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
    private static readonly delegate* unmanaged<int, int*, int, Complex*, int*, int, int, Complex*, int*, int, int, int, uint, IntPtr> PlanMany;
    private static readonly delegate* unmanaged<IntPtr, Complex*, Complex*, void> ExecuteDft;
    private static readonly delegate* unmanaged<double*, int> AlignmentOf;
    private static readonly ConcurrentDictionary<(int N, bool Inverse), Plan> Plans = new();
    private static readonly ConcurrentDictionary<ManyKey, IntPtr> ManyPlans = new();
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
                && NativeLibrary.TryGetExport(lib, "fftw_malloc", out var malloc)
                && NativeLibrary.TryGetExport(lib, "fftw_plan_many_dft", out var planMany)
                && NativeLibrary.TryGetExport(lib, "fftw_execute_dft", out var executeDft)
                && NativeLibrary.TryGetExport(lib, "fftw_alignment_of", out var alignmentOf))
            {
                PlanMany = (delegate* unmanaged<int, int*, int, Complex*, int*, int, int, Complex*, int*, int, int, int, uint, IntPtr>)planMany;
                ExecuteDft = (delegate* unmanaged<IntPtr, Complex*, Complex*, void>)executeDft;
                AlignmentOf = (delegate* unmanaged<double*, int>)alignmentOf;
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

    private readonly record struct ManyKey(int N, int Count, int Stride, int Distance, bool Inverse, int Alignment);

    /// <summary>
    /// In place, <paramref name="count"/> unnormalised 1-D transforms of length <paramref name="n"/> on interleaved
    /// complex data: vector j starts at <c>data + j·distance</c>, its elements <paramref name="stride"/> apart (rows:
    /// stride 1, distance n; columns: stride n, distance 1). Plans are made once per shape and alignment and executed on
    /// new arrays, which FFTW allows from any number of threads at once. Requires <see cref="Available"/>.
    /// </summary>
    /// <param name="data">The first element of the first vector.</param>
    /// <param name="n">Transform length.</param>
    /// <param name="count">Number of vectors.</param>
    /// <param name="stride">Elements between consecutive entries of one vector.</param>
    /// <param name="distance">Elements between the starts of consecutive vectors.</param>
    /// <param name="inverse">e^{+i…} (unnormalised) instead of e^{−i…}.</param>
    public static void TransformMany(Complex* data, int n, int count, int stride, int distance, bool inverse)
    {
        var key = new ManyKey(n, count, stride, distance, inverse, AlignmentOf((double*)data));
        if (!ManyPlans.TryGetValue(key, out var plan))
        {
            lock (PlanningLock) // FFTW's planner is not thread-safe
            {
                if (!ManyPlans.TryGetValue(key, out plan))
                {
                    // FFTW_ESTIMATE neither reads nor writes the arrays, so planning on the caller's data is safe.
                    int length = n;
                    plan = PlanMany(1, &length, count, data, null, stride, distance, data, null, stride, distance, inverse ? Backward : Forward, Estimate);
                    if (plan == IntPtr.Zero) throw new InvalidOperationException($"FFTW could not plan {count} transforms of length {n}.");
                    ManyPlans[key] = plan;
                }
            }
        }
        ExecuteDft(plan, data, data);
    }
}
