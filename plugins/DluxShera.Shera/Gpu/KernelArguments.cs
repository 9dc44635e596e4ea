namespace DluxShera.Shera.Gpu;

/// <summary>
/// Where matrix number <c>f</c> of a batched operation starts in a flat buffer: matrix index
/// (f / Div)·Mul + f mod Mod, times Stride, plus Offset. Fields (point b, star s, wavelength l) are numbered
/// f = (2b + s)·L + l, so a per-field matrix is (1, 1, 1), a per-(point, wavelength) one (2L, L, L), a
/// per-wavelength one (int.MaxValue, 0, L) and a shared one (int.MaxValue, 0, 1).
/// </summary>
public struct MatrixMap
{
    /// <summary>Divisor of f.</summary>
    public int Div;

    /// <summary>Multiplier of f / Div.</summary>
    public int Mul;

    /// <summary>Modulus of f.</summary>
    public int Mod;

    /// <summary>Elements per matrix.</summary>
    public int Stride;

    /// <summary>Offset of element (0, 0) inside a matrix.</summary>
    public int Offset;

    /// <summary>The buffer index of element (0, 0) of matrix <paramref name="f"/>.</summary>
    /// <param name="f">Matrix (field) number.</param>
    public readonly int Start(int f) => ((f / Div) * Mul + f % Mod) * Stride + Offset;

    /// <summary>One matrix per field.</summary>
    /// <param name="stride">Elements per matrix.</param>
    public static MatrixMap PerField(int stride) => new() { Div = 1, Mul = 1, Mod = 1, Stride = stride };

    /// <summary>One matrix per (point, wavelength), shared by the two stars.</summary>
    /// <param name="stride">Elements per matrix.</param>
    /// <param name="wavelengths">L.</param>
    public static MatrixMap PerPointWavelength(int stride, int wavelengths) => new() { Div = 2 * wavelengths, Mul = wavelengths, Mod = wavelengths, Stride = stride };

    /// <summary>One matrix per wavelength.</summary>
    /// <param name="stride">Elements per matrix.</param>
    /// <param name="wavelengths">L.</param>
    /// <param name="offset">Offset of element (0, 0).</param>
    public static MatrixMap PerWavelength(int stride, int wavelengths, int offset = 0) => new() { Div = int.MaxValue, Mul = 0, Mod = wavelengths, Stride = stride, Offset = offset };

    /// <summary>Explicit (f / div)·mul + f mod mod.</summary>
    /// <param name="div">Divisor.</param>
    /// <param name="mul">Multiplier.</param>
    /// <param name="mod">Modulus.</param>
    /// <param name="stride">Elements per matrix.</param>
    public static MatrixMap Of(int div, int mul, int mod, int stride) => new() { Div = div, Mul = mul, Mod = mod, Stride = stride };
}

/// <summary>A matrix operand of the batched GEMM: element (i, j) of matrix f is at Map.Start(f) + i·RowStride + j·ColStride
/// (a transpose swaps the strides, a block sets Map.Offset); ImSign −1 conjugates it.</summary>
public struct GemmOperand
{
    /// <summary>Which matrix each field uses.</summary>
    public MatrixMap Map;

    /// <summary>Distance between rows.</summary>
    public int RowStride;

    /// <summary>Distance between columns.</summary>
    public int ColStride;

    /// <summary>+1, or −1 for the conjugate.</summary>
    public double ImSign;

    /// <summary>A row-major operand.</summary>
    /// <param name="map">Matrices.</param>
    /// <param name="cols">Columns of the stored matrix.</param>
    /// <param name="conjugate">Use the conjugate.</param>
    public static GemmOperand Plain(MatrixMap map, int cols, bool conjugate = false) => new() { Map = map, RowStride = cols, ColStride = 1, ImSign = conjugate ? -1 : 1 };

    /// <summary>The transpose of a row-major operand.</summary>
    /// <param name="map">Matrices.</param>
    /// <param name="cols">Columns of the stored matrix.</param>
    /// <param name="conjugate">Use the conjugate transpose.</param>
    public static GemmOperand Transposed(MatrixMap map, int cols, bool conjugate = false) => new() { Map = map, RowStride = 1, ColStride = cols, ImSign = conjugate ? -1 : 1 };
}

/// <summary>C[f] = α_f·op(X[f])·op(Y[f]) + β·C[f], C[f] dense M×N row-major at f·M·N; α_f from a column of the field
/// table (or 1 when AlphaColumn &lt; 0).</summary>
public struct GemmArguments
{
    /// <summary>Rows of C.</summary>
    public int M;

    /// <summary>Columns of C.</summary>
    public int N;

    /// <summary>Inner dimension.</summary>
    public int K;

    /// <summary>Left factor.</summary>
    public GemmOperand X;

    /// <summary>Right factor.</summary>
    public GemmOperand Y;

    /// <summary>Field-table column of α, or −1.</summary>
    public int AlphaColumn;

    /// <summary>0 (overwrite) or 1 (accumulate).</summary>
    public int Accumulate;

    /// <summary>Columns of the field table.</summary>
    public int TableStride;
}

/// <summary>out[OutOffset + o] = Σᵢ A1[a(o) + i]·B1[b(o) + i] (+ A2[a(o) + i]·B2[b(o) + i] when Pairs = 2), i &lt; Length.</summary>
public struct DotArguments
{
    /// <summary>Where output o's first factors start.</summary>
    public MatrixMap A;

    /// <summary>Where output o's second factors start.</summary>
    public MatrixMap B;

    /// <summary>Terms per output.</summary>
    public int Length;

    /// <summary>First output slot.</summary>
    public int OutOffset;

    /// <summary>1 or 2 products per term.</summary>
    public int Pairs;
}

/// <summary>The batch's sizes, as the element-wise kernels need them.</summary>
public struct ModelDims
{
    /// <summary>Wavelengths L.</summary>
    public int L;

    /// <summary>Pupil side N.</summary>
    public int N;

    /// <summary>Oversampled focal side Q.</summary>
    public int Q;

    /// <summary>Detector side.</summary>
    public int D;

    /// <summary>Oversampling.</summary>
    public int Os;

    /// <summary>Padded M2 grid side (three-plane).</summary>
    public int S;

    /// <summary>Columns of the field table.</summary>
    public int TableStride;

    /// <summary>1/√ΣT², the M1 field normalisation.</summary>
    public double Norm;

    /// <summary>Reduction slot of field 0's ‖F2‖² (three-plane).</summary>
    public int NormOffset;

    /// <summary>Reduction slot of field 0's Re⟨g, ·⟩ projection (three-plane).</summary>
    public int ProjOffset;

    /// <summary>Fields per point, 2L.</summary>
    public readonly int FieldsPerPoint => 2 * L;
}
