using System.Globalization;

namespace DluxShera.Host.Runs;

/// <summary>
/// What a run will need, estimated before it starts where it can be known: memory for θ-sized working vectors
/// (host and engine) and the dense Hessian of <c>run.uncertainty</c>, against the memory this process may use;
/// a run that cannot fit is refused (exit 2) with the estimate instead of growing until the kernel kills it.
/// The trace streams to disk, so its size is checked against free disk space as a warning only (a run may stop early).
/// </summary>
public static class RunResources
{
    // θ-sized vectors: the host keeps θ₀, the best and last rows; engines keep θ, gradient, moments, history
    // (L-BFGS: 2·m) and line-search points. A generous count, so the check errs on the side of running.
    private const int HostVectors = 3;
    private const int EngineVectorsDefault = 12;

    /// <summary>Bytes the run's θ-sized state needs (and the dense Hessian with uncertainty).</summary>
    /// <param name="dimension">D.</param>
    /// <param name="optimizer">The optimizer's Describe() block (<c>history</c>/<c>memory</c> sizes are read when present).</param>
    /// <param name="uncertainty">Whether run.uncertainty will build the D×D Hessian.</param>
    public static double EstimateBytes(long dimension, IReadOnlyDictionary<string, object?> optimizer, bool uncertainty)
    {
        long history = 0;
        foreach (string key in new[] { "history", "memory", "history_size" })
        {
            if (optimizer.TryGetValue(key, out var v) && v is IConvertible c) history = Math.Max(history, c.ToInt64(CultureInfo.InvariantCulture));
        }
        double vectors = HostVectors + EngineVectorsDefault + 2.0 * history;
        double bytes = vectors * dimension * sizeof(double);
        if (uncertainty) bytes += (double)dimension * dimension * sizeof(double) * 2;
        return bytes;
    }

    /// <summary>Refuses a run whose estimate exceeds the memory this process may use.</summary>
    /// <param name="objectiveKey">The objective (for the message).</param>
    /// <param name="dimension">D.</param>
    /// <param name="optimizer">The optimizer's Describe() block.</param>
    /// <param name="uncertainty">run.uncertainty.</param>
    /// <param name="availableBytes">The memory limit (default: what the GC reports: physical memory or the container's limit).</param>
    /// <exception cref="BadInputException">The run cannot fit.</exception>
    public static void Check(string objectiveKey, long dimension, IReadOnlyDictionary<string, object?> optimizer, bool uncertainty, long? availableBytes = null)
    {
        long available = availableBytes ?? GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        double need = EstimateBytes(dimension, optimizer, uncertainty);
        if (need <= 0.9 * available) return;
        string hint = uncertainty && (double)dimension * dimension * sizeof(double) * 2 > 0.9 * available
            ? " Most of it is the dense D×D Hessian of run.uncertainty; set run.uncertainty to false."
            : " Reduce the dimension or run on a machine with more memory.";
        throw new BadInputException(
            $"{objectiveKey} has D = {dimension.ToString("N0", CultureInfo.InvariantCulture)} parameters; the run needs about {Gib(need)} of memory but {Gib(available)} is available.{hint}");
    }

    /// <summary>A warning when the full trace ((num_steps + 1) × (D + 5) doubles) may not fit on the output disk, else null.</summary>
    /// <param name="dimension">D.</param>
    /// <param name="optimizer">The optimizer's Describe() block (<c>num_steps</c>).</param>
    /// <param name="outputRoot">The directory the run goes to.</param>
    public static string? TraceDiskWarning(long dimension, IReadOnlyDictionary<string, object?> optimizer, string outputRoot)
    {
        if (!optimizer.TryGetValue("num_steps", out var n) || n is not IConvertible c) return null;
        double rows = c.ToDouble(CultureInfo.InvariantCulture) + 1;
        double bytes = rows * (dimension + 5) * sizeof(double) * 2; // streamed channels, then packed into trace.npz
        long free;
        try
        {
            free = new DriveInfo(Path.GetFullPath(outputRoot)).AvailableFreeSpace;
        }
        catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException)
        {
            return null;
        }
        return bytes > free
            ? $"the full trace of {rows.ToString("N0", CultureInfo.InvariantCulture)} rows × D = {dimension.ToString("N0", CultureInfo.InvariantCulture)} needs about {Gib(bytes)} on disk while streaming and packing, but {Gib(free)} is free under {Path.GetFullPath(outputRoot)}; the run will fail when the disk fills unless it stops early"
            : null;
    }

    private static string Gib(double bytes) => bytes >= 1 << 30
        ? $"{(bytes / (1L << 30)).ToString("0.#", CultureInfo.InvariantCulture)} GiB"
        : $"{(bytes / (1 << 20)).ToString("0.#", CultureInfo.InvariantCulture)} MiB";
}
