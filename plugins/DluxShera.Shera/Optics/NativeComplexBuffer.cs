using System.Numerics;
using System.Runtime.InteropServices;

namespace DluxShera.Shera.Optics;

/// <summary>
/// A zeroed, 64-byte-aligned block of interleaved complex numbers outside the GC heap: FFTW's SIMD transforms need
/// aligned data, and a fixed address lets its plans run on the buffer from several threads without pinning.
/// Freed by the finalizer (the owners live as long as their model); the GC is told about the memory it holds.
/// </summary>
internal sealed unsafe class NativeComplexBuffer
{
    private readonly long _bytes;

    /// <summary>Allocates <paramref name="length"/> zeroed complex numbers.</summary>
    /// <param name="length">Number of elements.</param>
    public NativeComplexBuffer(int length)
    {
        Length = length;
        _bytes = (long)length * sizeof(Complex);
        Pointer = (Complex*)NativeMemory.AlignedAlloc((nuint)_bytes, 64);
        NativeMemory.Clear(Pointer, (nuint)_bytes);
        GC.AddMemoryPressure(_bytes);
    }

    ~NativeComplexBuffer()
    {
        NativeMemory.AlignedFree(Pointer);
        GC.RemoveMemoryPressure(_bytes);
    }

    /// <summary>The first element.</summary>
    public Complex* Pointer { get; }

    /// <summary>Number of elements.</summary>
    public int Length { get; }

    /// <summary>Elements [start, start + count).</summary>
    /// <param name="start">First element.</param>
    /// <param name="count">Number of elements.</param>
    public Span<Complex> Slice(long start, int count) => new(Pointer + start, count);
}
