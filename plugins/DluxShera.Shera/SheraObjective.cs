using System.Text.Json.Nodes;
using DluxShera.Contracts;
using DluxShera.Numpy;
using DluxShera.Shera.Gpu;
using DluxShera.Shera.Optics;

namespace DluxShera.Shera;

/// <summary>
/// The SHERA objective (two-plane): θ holds the inferred keys in canonical order; the loss is the Gaussian
/// (fixed variance) or Poisson negative log-likelihood of the detector image plus Gaussian priors; the
/// gradient is exact (reverse mode through the optics). Simulated data are seeded and recorded.
/// </summary>
public sealed class SheraObjective : IResidualObjective, IPerObservationObjective, IExtraLossTerms, ISimulatingObjective, IImageObjective, ITruthProvider, IThetaDecoder,
    IBatchedObjective, IDisposable
{
    private readonly SheraOptions _options;
    private readonly ImageModelBackend _backend;
    private readonly IImageModel _model;
    private readonly object _batchLock = new();
    private IlgpuOpticalModel? _batchModel;
    private System.Collections.Concurrent.ConcurrentBag<(OpticalModel Model, double[] PixelGradient)>? _cpuWorkers;
    private readonly ParameterKey[] _inferred;
    private readonly SheraParameters _nominal;
    private readonly SheraParameters _truth;
    private readonly double[] _data;
    private readonly double[] _variance;
    private readonly double[] _logGammaData;
    private readonly double[] _pixelGradient;
    private readonly (int Start, ParameterKey Key, double[] Mu, double[] Sigma)[] _priors;
    private double[]? _lastTheta;

    /// <summary>Builds the model and the data.</summary>
    /// <param name="options">Options (the host merges a preset in; meta.json records its name).</param>
    /// <param name="log">Receives the line saying <c>backend: auto</c> fell back to the CPU.</param>
    public SheraObjective(SheraOptions options, Action<string>? log = null)
    {
        _options = options;
        var config = options.Optics.ToConfig(options.Planes);
        _backend = ImageModelBackend.Open(config, options.Backend, log ?? (_ => { }));
        _model = _backend.Model;
        _nominal = new SheraParameters
        {
            SeparationAs = 10, PositionAngleDeg = 90, LogFluxTotal = 11.2, Contrast = 3.46,
            PlateScaleAsPerPix = config.NominalPlateScale, PrimaryZernikesNm = new double[config.PrimaryNoll.Length],
            SecondaryZernikesNm = new double[options.Planes == 3 ? config.SecondaryNoll.Length : 0],
        };
        ParameterVocabulary.Apply(_nominal, options.Nominal);
        _truth = _nominal.Clone();
        ParameterVocabulary.Apply(_truth, options.Truth);
        var infer = options.Infer ?? ParameterVocabulary.KeysFor(options.Planes).ToArray();
        _inferred = ParameterVocabulary.All.Where(k => infer.Contains(k.Key)).ToArray();

        var entries = new List<IndexMapEntry>();
        var priors = new List<(int, ParameterKey, double[], double[])>();
        int start = 0;
        foreach (var key in _inferred)
        {
            var nominal = key.Get(_nominal);
            entries.Add(new IndexMapEntry(key.Key, start, start + nominal.Length, [nominal.Length], key.Block, key.Unit.Length > 0 ? $"{key.Key} ({key.Unit})" : key.Key)
            {
                LowerBound = key.Positive ? 0 : null,
            });
            if (options.Priors)
            {
                var sigma = nominal.Select(v => PriorSigma(key, v)).ToArray();
                priors.Add((start, key, nominal, sigma));
            }
            start += nominal.Length;
        }
        IndexMap = new IndexMap(entries);
        _priors = priors.ToArray();

        int pixels = config.PsfNpix * config.PsfNpix;
        (_data, _variance, DataDescription) = LoadOrSimulate(options, config, pixels);
        _logGammaData = options.Likelihood == "poisson" ? _data.Select(d => SeededRandom.LogGamma(Math.Max(d, 0) + 1)).ToArray() : [];
        _pixelGradient = new double[pixels];
    }

    /// <inheritdoc/>
    public string Name => _options.Planes == 3 ? "shera.three_plane" : "shera.two_plane";

    /// <inheritdoc/>
    public IndexMap IndexMap { get; }

    /// <summary>The model.</summary>
    public IImageModel Model => _model;

    /// <summary>The backend the optics run on.</summary>
    public ImageModelBackend Backend => _backend;

    /// <summary>Where the data came from, for meta.json.</summary>
    public JsonObject DataDescription { get; }

    /// <inheritdoc/>
    public double? KnownMinimum => null;

    /// <inheritdoc/>
    public int ImageWidth => _model.Config.PsfNpix;

    /// <inheritdoc/>
    public int ImageHeight => _model.Config.PsfNpix;

    /// <inheritdoc/>
    public void Images(ReadOnlySpan<double> theta, Span<double> data, Span<double> model, Span<double> variance)
    {
        _model.Forward(ToParameters(theta)).CopyTo(model);
        _lastTheta = theta.ToArray();
        _data.CopyTo(data);
        _variance.CopyTo(variance);
    }

    /// <inheritdoc/>
    public bool IsSimulated => _options.Data.Source == "simulate";

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, NdArray> SimulatedData
    {
        get
        {
            int d = _model.Config.PsfNpix;
            return new Dictionary<string, NdArray>
            {
                ["image"] = new((double[])_data.Clone(), d, d),
                ["variance"] = new((double[])_variance.Clone(), d, d),
                ["noise_seed"] = NdArray.Scalar((long)_options.Data.Seed),
            };
        }
    }

    /// <inheritdoc/>
    public JsonObject DescribeTruth() => new()
    {
        ["model"] = Name,
        ["truth"] = ParameterJson(_truth),
        ["nominal"] = ParameterJson(_nominal),
        ["data"] = DataDescription.DeepClone(),
        ["optics"] = System.Text.Json.JsonSerializer.SerializeToNode(_options.Optics,
            new System.Text.Json.JsonSerializerOptions { PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower }),
    };

    private JsonObject ParameterJson(SheraParameters p)
    {
        var o = new JsonObject();
        foreach (var k in ParameterVocabulary.All.Where(k => ParameterVocabulary.KeysFor(_options.Planes).Contains(k.Key)))
        {
            var v = k.Get(p);
            o[k.Key] = k.Vector ? new JsonArray(v.Select(x => (JsonNode)x).ToArray()) : v[0];
        }
        return o;
    }

    private double PriorSigma(ParameterKey key, double nominal)
    {
        if (_options.PriorSigmas[key.Key] is JsonValue v) return v.GetValue<double>();
        return key.PriorSigma ?? key.RelativePriorSigma!.Value * Math.Abs(nominal);
    }

    /// <summary>θ → parameters (fixed keys at their nominal values, or zero for a tangent).</summary>
    /// <param name="theta">θ.</param>
    /// <param name="zeroBase">Start from zeros (θ is a direction, not a point).</param>
    public SheraParameters ToParameters(ReadOnlySpan<double> theta, bool zeroBase = false)
    {
        var p = zeroBase
            ? new SheraParameters { PrimaryZernikesNm = new double[_nominal.PrimaryZernikesNm.Length], SecondaryZernikesNm = new double[_nominal.SecondaryZernikesNm.Length] }
            : _nominal.Clone();
        int offset = 0;
        foreach (var key in _inferred)
        {
            int length = key.Get(p).Length;
            key.Set(p, theta.Slice(offset, length).ToArray());
            offset += length;
        }
        return p;
    }

    /// <summary>Parameters → θ.</summary>
    /// <param name="p">Parameters.</param>
    /// <param name="theta">Receives θ.</param>
    public void ToTheta(SheraParameters p, Span<double> theta)
    {
        int offset = 0;
        foreach (var key in _inferred)
        {
            var v = key.Get(p);
            v.CopyTo(theta[offset..]);
            offset += v.Length;
        }
    }

    /// <inheritdoc/>
    public void GetInitialTheta(Span<double> theta) => ToTheta(_nominal, theta);

    /// <inheritdoc/>
    public bool TryGetTruth(Span<double> theta)
    {
        ToTheta(_truth, theta);
        return _options.Data.Source == "simulate";
    }

    /// <inheritdoc/>
    public double Evaluate(ReadOnlySpan<double> theta, Span<double> gradient)
    {
        var p = ToParameters(theta);
        var model = _model.Forward(p);
        _lastTheta = theta.ToArray();
        double loss = Likelihood(model, _pixelGradient);
        ToTheta(_model.Backward(_pixelGradient), gradient);
        return loss + AddPriors(p, gradient);
    }

    /// <inheritdoc/>
    /// <remarks>On a GPU backend the points go through the kernels <c>batch_capacity</c> at a time (one launch sequence per
    /// chunk); on the CPU, points run in parallel, one managed model per worker.</remarks>
    public void EvaluateBatch(ReadOnlySpan<double> thetas, Span<double> losses, Span<double> gradients)
    {
        int d = IndexMap.Dimension, count = losses.Length;
        if (thetas.Length != count * d || gradients.Length != count * d)
        {
            throw new ArgumentException($"EvaluateBatch: {count} points of dimension {d} need θ and gradients of {count * d} values, not {thetas.Length} and {gradients.Length}.");
        }
        var points = new SheraParameters[count];
        for (int b = 0; b < count; b++) points[b] = ToParameters(thetas.Slice(b * d, d));
        var lossArray = new double[count];
        var gradientArray = new double[count * d];
        lock (_batchLock)
        {
            if (_backend.OnDevice) EvaluateOnDevice(points, lossArray, gradientArray);
            else EvaluateOnCpu(points, lossArray, gradientArray);
        }
        lossArray.CopyTo(losses);
        gradientArray.CopyTo(gradients);
    }

    private void EvaluateOnDevice(SheraParameters[] points, double[] losses, double[] gradients)
    {
        int d = IndexMap.Dimension, capacity = Math.Min(_options.BatchCapacity, points.Length);
        if (_batchModel is null || _batchModel.Capacity < capacity)
        {
            _batchModel?.Dispose();
            _batchModel = _backend.CreateBatchModel(capacity);
        }
        var model = _batchModel;
        var pixelGradients = Enumerable.Range(0, model.Capacity).Select(_ => new double[_data.Length]).ToArray();
        for (int start = 0; start < points.Length; start += model.Capacity)
        {
            int n = Math.Min(model.Capacity, points.Length - start);
            var chunk = points.AsSpan(start, n).ToArray();
            model.ForwardBatch(chunk);
            for (int b = 0; b < n; b++) losses[start + b] = Likelihood(model.Detectors[b], pixelGradients[b]);
            var grads = model.BackwardBatch(pixelGradients.Take(n).ToArray());
            for (int b = 0; b < n; b++)
            {
                var g = gradients.AsSpan((start + b) * d, d);
                ToTheta(grads[b], g);
                losses[start + b] += AddPriors(chunk[b], g);
            }
        }
    }

    private void EvaluateOnCpu(SheraParameters[] points, double[] losses, double[] gradients)
    {
        int d = IndexMap.Dimension;
        _cpuWorkers ??= [];
        int workers = Math.Min(Math.Min(_options.BatchCapacity, Environment.ProcessorCount), points.Length);
        Parallel.For(0, points.Length, new ParallelOptions { MaxDegreeOfParallelism = workers }, b =>
        {
            if (!_cpuWorkers.TryTake(out var worker)) worker = (new OpticalModel(_model.Config), new double[_data.Length]);
            try
            {
                var image = worker.Model.Forward(points[b]);
                double loss = Likelihood(image, worker.PixelGradient);
                var g = gradients.AsSpan(b * d, d);
                ToTheta(worker.Model.Backward(worker.PixelGradient), g);
                losses[b] = loss + AddPriors(points[b], g);
            }
            finally
            {
                _cpuWorkers.Add(worker);
            }
        });
    }

    // The negative log-likelihood of the data given a model image, and ∂/∂image into pixelGradient.
    private double Likelihood(double[] model, double[] pixelGradient)
    {
        double loss = 0;
        if (_options.Likelihood == "gaussian")
        {
            for (int i = 0; i < model.Length; i++)
            {
                double r = model[i] - _data[i];
                loss += 0.5 * (r * r / _variance[i] + Math.Log(2 * Math.PI * _variance[i]));
                pixelGradient[i] = r / _variance[i];
            }
        }
        else
        {
            for (int i = 0; i < model.Length; i++)
            {
                double m = Math.Max(model[i], 1e-300);
                loss += m - _data[i] * Math.Log(m) + _logGammaData[i];
                pixelGradient[i] = 1 - _data[i] / m;
            }
        }
        return loss;
    }

    // The Gaussian priors' loss; their gradient is added to θ's.
    private double AddPriors(SheraParameters p, Span<double> gradient)
    {
        double loss = 0;
        foreach (var (start, key, mu, sigma) in _priors)
        {
            var v = key.Get(p);
            for (int i = 0; i < v.Length; i++)
            {
                double z = (v[i] - mu[i]) / sigma[i];
                loss += 0.5 * z * z;
                gradient[start + i] += z / sigma[i];
            }
        }
        return loss;
    }

    /// <summary>Releases the GPU (or emulator) and its buffers.</summary>
    public void Dispose()
    {
        _batchModel?.Dispose();
        _backend.Dispose();
    }

    /// <inheritdoc/>
    /// <remarks>Gaussian likelihood: the normalising constants ½ Σ log(2πσᵢ²) plus the priors ½ Σ zⱼ²; Poisson: NaN
    /// (the residuals are the Gaussian approximation used by Gauss–Newton, not the loss's own terms).</remarks>
    public double ExtraLoss(ReadOnlySpan<double> theta, Span<double> gradient)
    {
        gradient.Clear();
        if (_options.Likelihood != "gaussian") return double.NaN;
        double constants = 0;
        foreach (double v in _variance) constants += 0.5 * Math.Log(2 * Math.PI * v);
        return constants + AddPriors(ToParameters(theta), gradient);
    }

    /// <inheritdoc/>
    /// <remarks>One residual per pixel, rᵢ = (mᵢ − dᵢ)/σᵢ with unit weights (the Gaussian likelihood; priors are
    /// not residuals, so ½‖r‖² is the loss without priors and constants).</remarks>
    public int ResidualCount => _data.Length;

    /// <inheritdoc/>
    public int ObservationCount => _data.Length;

    /// <inheritdoc/>
    public void Residuals(ReadOnlySpan<double> theta, Span<double> residuals)
    {
        var model = _model.Forward(ToParameters(theta));
        _lastTheta = theta.ToArray();
        for (int i = 0; i < model.Length; i++) residuals[i] = (model[i] - _data[i]) / Math.Sqrt(_variance[i]);
    }

    /// <inheritdoc/>
    public void GetWeights(Span<double> weights) => weights[.._data.Length].Fill(1.0);

    /// <inheritdoc/>
    public void JacobianVectorProduct(ReadOnlySpan<double> theta, ReadOnlySpan<double> v, Span<double> jv)
    {
        EnsureForward(theta);
        _model.Tangent(ToParameters(v, zeroBase: true), jv);
        for (int i = 0; i < _data.Length; i++) jv[i] /= Math.Sqrt(_variance[i]);
    }

    /// <inheritdoc/>
    public void VectorJacobianProduct(ReadOnlySpan<double> theta, ReadOnlySpan<double> u, Span<double> jtu)
    {
        EnsureForward(theta);
        for (int i = 0; i < _data.Length; i++) _pixelGradient[i] = u[i] / Math.Sqrt(_variance[i]);
        ToTheta(_model.Backward(_pixelGradient), jtu);
    }

    /// <inheritdoc/>
    public double EvaluateObservation(int index, ReadOnlySpan<double> theta, Span<double> gradient)
    {
        // One pixel's Gaussian term ½r²: its gradient is r·(∂m/∂θ)/σ, a VJP with a one-hot cotangent.
        EnsureForward(theta);
        double sigma = Math.Sqrt(_variance[index]);
        double r = (_model.Detector[index] - _data[index]) / sigma;
        Array.Clear(_pixelGradient);
        _pixelGradient[index] = r / sigma;
        ToTheta(_model.Backward(_pixelGradient), gradient);
        return 0.5 * r * r;
    }

    // The model caches the last forward pass; products at another θ need a new one.
    private void EnsureForward(ReadOnlySpan<double> theta)
    {
        if (_lastTheta is not null && theta.SequenceEqual(_lastTheta)) return;
        _model.Forward(ToParameters(theta));
        _lastTheta = theta.ToArray();
    }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, double[]> Decode(ReadOnlySpan<double> theta)
    {
        var p = ToParameters(theta);
        var result = ParameterVocabulary.KeysFor(_options.Planes).ToDictionary(k => k, k => ParameterVocabulary.Find(k)!.Get(p));
        var (fa, fb) = p.RawFluxes;
        result["binary.raw_fluxes"] = [fa, fb];
        return result;
    }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, object?> Describe()
    {
        var config = _model.Config;
        return new Dictionary<string, object?>
        {
            ["name"] = Name,
            ["likelihood"] = _options.Likelihood,
            ["priors"] = _options.Priors,
            ["inferred"] = _inferred.Select(k => k.Key).ToArray(),
            ["data"] = DataDescription,
            ["truth"] = ParameterJson(_truth),
            ["nominal"] = ParameterJson(_nominal),
            ["planes"] = _options.Planes,
            ["focal_length_m"] = config.FocalLength,
            ["nominal_plate_scale_as_per_pix"] = config.NominalPlateScale,
            ["wavelengths_m"] = config.Wavelengths,
            ["exposure_s"] = _options.ExposureS,
            ["backend"] = new JsonObject { ["name"] = _backend.Name, ["device"] = _backend.DeviceName, ["requested"] = _options.Backend },
        };
    }

    private (double[] Data, double[] Variance, JsonObject Description) LoadOrSimulate(SheraOptions options, OpticalConfig config, int pixels)
    {
        if (options.Data.Source == "file")
        {
            var arrays = NpzFile.Load(options.Data.Path!);
            double[] Need(string name) => arrays.TryGetValue(name, out var a) && a.Count == pixels ? a.ToDoubles()
                : throw new ArgumentException($"{options.Data.Path}: expected an array '{name}' of {config.PsfNpix}×{config.PsfNpix} pixels.");
            return (Need("image"), Need("variance"), new JsonObject { ["source"] = "file", ["path"] = Path.GetFullPath(options.Data.Path!) });
        }
        var clean = (double[])_model.Forward(_truth).Clone();
        double read2 = config.ReadNoise * config.ReadNoise;
        var variance = clean.Select(m => Math.Max(Math.Max(m, 0) + read2, 1)).ToArray();
        var data = (double[])clean.Clone();
        if (options.Data.Noise == "poisson")
        {
            var rng = new SeededRandom(options.Data.Seed);
            for (int i = 0; i < data.Length; i++) data[i] = rng.NextPoisson(clean[i]) + config.ReadNoise * rng.NextNormal();
        }
        return (data, variance, new JsonObject
        {
            ["source"] = "simulate",
            ["seed"] = options.Data.Seed,
            ["noise"] = options.Data.Noise,
            ["read_noise_e"] = config.ReadNoise,
            ["total_counts"] = clean.Sum(),
        });
    }
}
