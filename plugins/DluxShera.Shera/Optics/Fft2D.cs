using System.Numerics;
using MathNet.Numerics.IntegralTransforms;

namespace DluxShera.Shera.Optics;

/// <summary>
/// Square 2-D FFTs on split complex matrices: FFTW when installed (<see cref="NativeFft"/>), otherwise Math.NET's
/// 1-D transforms (any size; rows then columns, in parallel). Forward is unnormalised; inverse divides by n².
/// </summary>
public static class Fft2D
{
    /// <summary>In place: forward (e^{−i…}) or inverse (e^{+i…}, scaled by 1/n²).</summary>
    /// <param name="m">A square matrix.</param>
    /// <param name="inverse">Inverse transform.</param>
    public static void Transform(ComplexMatrix m, bool inverse)
    {
        if (NativeFft.Available)
        {
            NativeFft.Transform(m, inverse);
            return;
        }
        TransformManaged(m, inverse);
    }

    /// <summary>The Math.NET path of <see cref="Transform"/> (used without FFTW, and by tests to compare).</summary>
    /// <param name="m">A square matrix.</param>
    /// <param name="inverse">Inverse transform.</param>
    public static void TransformManaged(ComplexMatrix m, bool inverse)
    {
        int n = m.Rows;
        Parallel.For(0, n, () => new Complex[n], (row, _, buffer) =>
        {
            for (int k = 0; k < n; k++) buffer[k] = new Complex(m.Re[row * n + k], m.Im[row * n + k]);
            Run(buffer, inverse);
            for (int k = 0; k < n; k++)
            {
                m.Re[row * n + k] = buffer[k].Real;
                m.Im[row * n + k] = buffer[k].Imaginary;
            }
            return buffer;
        }, _ => { });
        Parallel.For(0, n, () => new Complex[n], (col, _, buffer) =>
        {
            for (int k = 0; k < n; k++) buffer[k] = new Complex(m.Re[k * n + col], m.Im[k * n + col]);
            Run(buffer, inverse);
            double scale = inverse ? 1.0 / ((double)n * n) : 1.0;
            for (int k = 0; k < n; k++)
            {
                m.Re[k * n + col] = buffer[k].Real * scale;
                m.Im[k * n + col] = buffer[k].Imaginary * scale;
            }
            return buffer;
        }, _ => { });
    }

    private static void Run(Complex[] buffer, bool inverse)
    {
        if (inverse) Fourier.Inverse(buffer, FourierOptions.NoScaling);
        else Fourier.Forward(buffer, FourierOptions.NoScaling);
    }
}
