using System.Diagnostics;
using System.Runtime.InteropServices;
using Tessera.Comm;
using Tessera.Training;

namespace Tessera.Methods.Accordion;

/// <summary>One parameter tensor as the reducer sees it.</summary>
/// <param name="Compressible">At least 2 dimensions: compressed at its level; 1-D tensors are always averaged raw.</param>
/// <param name="Rows">Matrix view rows (shape[0]); 1 for 1-D tensors.</param>
/// <param name="Cols">Matrix view columns (numel / rows).</param>
public sealed record GradientTensor(int Index, string Name, long[] Shape, long Numel, bool Compressible, long Rows, long Cols);

/// <summary>What one call of <see cref="GradientReducer.Reduce"/> did.</summary>
/// <param name="Floats">Floats this worker is counted for (spec §2.9): raw numel + PowerSGD (n+m)·r' + TopK 2·K·W.</param>
public readonly record struct ReduceResult(long Floats, double CompressSeconds, double CommSeconds);

/// <summary>
/// Aggregates the workers' gradients in place (each parameter's <c>grad</c> becomes the aggregated gradient, identical
/// on every worker), compressing each compressible tensor at its level with error feedback:
/// <list type="bullet">
/// <item>raw tensors (1-D, compressor <c>none</c>, the first <c>startIter</c> steps, or PowerSGD tensors the
/// min-compression-rate filter rejects) are flattened into buckets, all-reduced and divided by W;</item>
/// <item>PowerSGD (spec §2.5): M = G + e; P = M·Q (all P's of the step in one all-reduce, a sum); P̂ = Gram–Schmidt(P);
/// Q ← Mᵀ·P̂ (one all-reduce, then ÷W; next step's warm start); out = P̂·Qᵀ; e ← M − out;</item>
/// <item>TopK (spec §2.6): a = G + e; the K largest |a| (indices and values of all tensors in one all-gather); out = Σ_w
/// scatter(s_w) / W; e ← a − s (the released variant: no ÷W, no error feedback).</item>
/// </list>
/// Q is drawn from a generator seeded by (seed, tensor, draw count), the same on every worker and never the global one.
/// Gram–Schmidt turns columns of P that are dependent (rank of P below r') into zero columns, so P̂P̂ᵀ stays a projector,
/// and the zero columns they leave in the warm-started Q are re-drawn before the next step. With r ≥ min(n, m) the output
/// is then exactly the workers' mean of M at every step (up to rounding, and to ε/‖p‖ when compression.epsilon &gt; 0).
/// A level change re-draws Q at the new rank and keeps the error feedback; setting the same level is a no-op (§2.4).
/// </summary>
public sealed class GradientReducer : IDisposable
{
    private readonly Tensor[] _params;
    private readonly CompressionConfig _config;
    private readonly ICommunicator _comm;
    private readonly long _seed;
    private readonly int _bucketSize;
    private readonly Level[] _levels;
    private readonly Tensor?[] _ef;
    private readonly Tensor?[] _q;
    private readonly long[] _draws;
    private readonly CompressorKind _kind;

    public GradientReducer(IReadOnlyList<(string Name, Tensor Param)> parameters, CompressionConfig config, ICommunicator comm, long seed,
        int bucketSize = 1 << 22)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(comm);
        _params = parameters.Select(p => p.Param).ToArray();
        Tensors = parameters.Select((p, j) =>
        {
            long[] shape = p.Param.shape;
            bool compressible = shape.Length >= 2;
            (long rows, long cols) = compressible ? PowerSgd.MatrixView(shape) : (1, p.Param.numel());
            return new GradientTensor(j, p.Name, shape, p.Param.numel(), compressible, rows, cols);
        }).ToArray();
        (_config, _comm, _seed, _bucketSize) = (config, comm, seed, Math.Max(1, bucketSize));
        _kind = config.Mode == "none" ? CompressorKind.None : config.Kind switch
        {
            "powersgd" => CompressorKind.PowerSgd,
            "topk" => CompressorKind.TopK,
            _ => throw new InputException($"compression.kind must be powersgd or topk (got '{config.Kind}')."),
        };
        Level start = config.Mode == "static-high" ? Level.High : Level.Low;
        _levels = Tensors.Select(_ => start).ToArray();
        _ef = new Tensor?[Tensors.Count];
        _q = new Tensor?[Tensors.Count];
        _draws = new long[Tensors.Count];
    }

    private enum CompressorKind
    {
        None,
        PowerSgd,
        TopK,
    }

    public IReadOnlyList<GradientTensor> Tensors { get; }

    public Level LevelOf(int j) => _levels[j];

    /// <summary>Worker-local error-feedback memory of tensor j (null until first used).</summary>
    public Tensor? ErrorFeedback(int j) => _ef[j];

    /// <summary>PowerSGD's current Q of tensor j (null until drawn).</summary>
    public Tensor? Query(int j) => _q[j];

    /// <summary>Changes tensor j's level. The same level is a no-op; a new level drops Q (re-drawn at the new rank on
    /// the next step) and keeps the error feedback (unless compression.zeroMemoryOnSwitch).</summary>
    public void SetLevel(int j, Level level)
    {
        if (_levels[j] == level)
        {
            return;
        }
        _levels[j] = level;
        _q[j]?.Dispose();
        _q[j] = null;
        if (_config.ZeroMemoryOnSwitch)
        {
            _ef[j]?.zero_();
        }
    }

    /// <summary>PowerSGD rank or TopK fraction of a level.</summary>
    public double Parameter(Level level) => level == Level.Low ? _config.Low : _config.High;

    /// <summary>Floats per worker per step for tensor j at <paramref name="level"/> (spec §2.9 and §6's table).</summary>
    public long Cost(int j, Level level, long step = long.MaxValue)
    {
        GradientTensor t = Tensors[j];
        return RouteOf(t, level, step) switch
        {
            Route.PowerSgd => PowerSgd.Cost(t.Rows, t.Cols, (int)Parameter(level)),
            Route.TopK => TopK.Cost(Parameter(level), t.Numel, _comm.Size),
            _ => t.Numel,
        };
    }

    private enum Route
    {
        Raw,
        PowerSgd,
        TopK,
    }

    private Route RouteOf(GradientTensor t, Level level, long step)
    {
        if (!t.Compressible || _kind == CompressorKind.None || step < _config.StartIter)
        {
            return Route.Raw;
        }
        if (_kind == CompressorKind.TopK)
        {
            return Route.TopK;
        }
        int r = PowerSgd.EffectiveRank(t.Rows, t.Cols, (int)Parameter(level));
        bool worthIt = _config.MinCompressionRate <= 0 || (t.Rows + t.Cols) * r * _config.MinCompressionRate < t.Rows * t.Cols;
        return worthIt ? Route.PowerSgd : Route.Raw;
    }

    /// <summary>Replaces every parameter's local gradient by the aggregated one (the same on every worker).</summary>
    /// <param name="step">The global step (0-based), for startIter.</param>
    public ReduceResult Reduce(long step)
    {
        using var scope = torch.NewDisposeScope();
        var compress = new Stopwatch();
        var comm = new Stopwatch();
        var raw = new List<int>();
        var psgd = new List<int>();
        var topk = new List<int>();
        long floats = 0;
        foreach (GradientTensor t in Tensors)
        {
            if (_params[t.Index].grad is null)
            {
                throw new InvalidOperationException($"Parameter '{t.Name}' has no gradient: every parameter must take part in the loss.");
            }
            Route route = RouteOf(t, _levels[t.Index], step);
            (route == Route.Raw ? raw : route == Route.PowerSgd ? psgd : topk).Add(t.Index);
            floats += Cost(t.Index, _levels[t.Index], step);
        }
        ReduceRaw(raw, comm);
        if (psgd.Count > 0)
        {
            ReducePowerSgd(psgd, compress, comm);
        }
        if (topk.Count > 0)
        {
            ReduceTopK(topk, compress, comm);
        }
        return new ReduceResult(floats, compress.Elapsed.TotalSeconds, comm.Elapsed.TotalSeconds);
    }

    /// <summary>Flattened buckets of raw gradients: all-reduce (sum), ÷W, written back.</summary>
    private void ReduceRaw(List<int> raw, Stopwatch comm)
    {
        using Scalar workers = _comm.Size.ToScalar();                // Scalars held, never implicit temporaries (see DataParallelSgd)
        comm.Start();
        int start = 0;
        while (start < raw.Count)
        {
            int end = start;
            long size = 0;
            while (end < raw.Count && (end == start || size + Tensors[raw[end]].Numel <= _bucketSize))
            {
                size += Tensors[raw[end]].Numel;
                end++;
            }
            Tensor[] grads = raw.Skip(start).Take(end - start).Select(j => _params[j].grad!).ToArray();
            Tensor flat = torch.cat(grads.Select(g => g.reshape(-1)).ToArray());
            AllReduce(flat);
            flat.div_(workers);
            long offset = 0;
            foreach (Tensor g in grads)
            {
                g.copy_(flat.narrow(0, offset, g.numel()).view_as(g));
                offset += g.numel();
            }
            start = end;
        }
        comm.Stop();
    }

    private void ReducePowerSgd(List<int> tensors, Stopwatch compress, Stopwatch comm)
    {
        int w = _comm.Size;
        using Scalar size = w.ToScalar(), one = 1.0.ToScalar();
        var m = new Tensor[tensors.Count];
        var p = new Tensor[tensors.Count];
        compress.Start();
        for (int i = 0; i < tensors.Count; i++)
        {
            int j = tensors[i];
            GradientTensor t = Tensors[j];
            Tensor g = _params[j].grad!;
            m[i] = (_ef[j] is { } e ? g.add(e, one) : g.clone()).view(t.Rows, t.Cols);                          // M = G + e  (n × m)
            int r = PowerSgd.EffectiveRank(t.Rows, t.Cols, (int)Parameter(_levels[j]));
            if (_q[j] is null)
            {
                _q[j] = DrawQuery(j, t.Cols, r, g.dtype).DetachFromDisposeScope();                            // (m × r')
            }
            else
            {
                RedrawZeroColumns(j);
                if (_config.OrthogonalizeQ)
                {
                    Replace(ref _q[j], PowerSgd.GramSchmidt(_q[j]!, _config.Epsilon));
                }
            }
            p[i] = m[i].mm(_q[j]!);                                                                     // (n × r')
        }
        compress.Stop();

        comm.Start();
        Tensor pFlat = torch.cat(p.Select(x => x.reshape(-1)).ToArray());
        AllReduce(pFlat);                                                                               // Σ_w M_w Q
        comm.Stop();

        compress.Start();
        var q = new Tensor[tensors.Count];
        var pHat = new Tensor[tensors.Count];
        long offset = 0;
        for (int i = 0; i < tensors.Count; i++)
        {
            long len = p[i].numel();
            pHat[i] = PowerSgd.GramSchmidt(pFlat.narrow(0, offset, len).view(p[i].shape), _config.Epsilon);
            offset += len;
            q[i] = m[i].t().mm(pHat[i]);                                                                // Mᵀ P̂  (m × r')
        }
        compress.Stop();

        comm.Start();
        Tensor qFlat = torch.cat(q.Select(x => x.reshape(-1)).ToArray());
        AllReduce(qFlat);
        qFlat.div_(size);                                                                                  // (1/W) Σ_w M_wᵀ P̂
        comm.Stop();

        compress.Start();
        offset = 0;
        for (int i = 0; i < tensors.Count; i++)
        {
            int j = tensors[i];
            long len = q[i].numel();
            Replace(ref _q[j], qFlat.narrow(0, offset, len).view(q[i].shape).clone());
            offset += len;
            Tensor output = pHat[i].mm(_q[j]!.t());                                                     // P̂ Qᵀ  (n × m)
            Replace(ref _ef[j], (m[i] - output).view(Tensors[j].Shape));                               // e ← M − out
            _params[j].grad!.copy_(output.view(Tensors[j].Shape));
        }
        compress.Stop();
    }

    /// <summary>A fresh standard-normal Q (m × r') from tensor j's own generator: (seed, draw count), the same on every
    /// worker, never the global generator.</summary>
    private Tensor DrawQuery(int j, long cols, long rank, ScalarType dtype)
    {
        using Generator gen = StepSeeds.Generator(_seed, _draws[j]++, $"powersgd-q-{j}");
        return torch.randn([cols, rank], dtype: dtype, generator: gen);
    }

    /// <summary>
    /// Warm start keeps Q ← Mᵀ·P̂, so a column Gram–Schmidt dropped (P had rank below r': a zero gradient, a dead unit,
    /// a classifier whose gradient rows sum to zero) leaves a zero column in Q, and a zero column of Q gives a zero column
    /// of P at every later step: the lost rank would never come back. Such columns are re-drawn (tensor j's generator,
    /// identical on every worker) before Q is used. Q has no zero column otherwise, and then nothing is drawn.
    /// </summary>
    private void RedrawZeroColumns(int j)
    {
        Tensor q = _q[j]!;
        Tensor zero = q.abs().amax([0]).eq(0);                                                         // (r'): all-zero columns
        if (zero.any().item<bool>())
        {
            Replace(ref _q[j], torch.where(zero, DrawQuery(j, q.shape[0], q.shape[1], q.dtype), q));
        }
    }

    private void ReduceTopK(List<int> tensors, Stopwatch compress, Stopwatch comm)
    {
        int w = _comm.Size;
        using Scalar size = w.ToScalar(), one = 1.0.ToScalar(), zero = 0.ToScalar();
        var a = new Tensor[tensors.Count];
        var idx = new Tensor[tensors.Count];
        var k = new long[tensors.Count];
        compress.Start();
        for (int i = 0; i < tensors.Count; i++)
        {
            int j = tensors[i];
            Tensor g = _params[j].grad!.reshape(-1);
            a[i] = _config.TopkErrorFeedback && _ef[j] is { } e ? g.add(e.reshape(-1), one) : g.clone();               // a = G + e
            k[i] = TopK.Count(Parameter(_levels[j]), Tensors[j].Numel);
            idx[i] = TopK.Select(a[i], k[i]);
        }
        long total = 2 * k.Sum();
        var send = new float[total];
        long pos = 0;
        for (int i = 0; i < tensors.Count; i++)
        {
            int[] indices = idx[i].to(ScalarType.Int32).data<int>().ToArray();
            MemoryMarshal.Cast<int, float>(indices).CopyTo(send.AsSpan((int)pos));                    // indices as bit patterns
            pos += k[i];
            float[] values = a[i].index_select(0, idx[i]).to(ScalarType.Float32).data<float>().ToArray();
            values.CopyTo(send.AsSpan((int)pos));
            pos += k[i];
        }
        compress.Stop();

        comm.Start();
        var all = new float[total * w];
        _comm.AllGather(send, all);
        comm.Stop();

        compress.Start();
        pos = 0;
        for (int i = 0; i < tensors.Count; i++)
        {
            int j = tensors[i];
            Tensor g = _params[j].grad!;
            Tensor output = torch.zeros([Tensors[j].Numel], dtype: g.dtype);
            for (int r = 0; r < w; r++)
            {
                ReadOnlySpan<float> block = all.AsSpan((int)((r * total) + pos), (int)(2 * k[i]));
                int[] indices = MemoryMarshal.Cast<float, int>(block[..(int)k[i]]).ToArray();
                Tensor rIdx = torch.tensor(indices).to(ScalarType.Int64);
                Tensor rVal = torch.tensor(block[(int)k[i]..].ToArray()).to(g.dtype);
                output.index_add_(0, rIdx, rVal, one);                                                      // Σ_w scatter(s_w), in rank order
            }
            pos += 2 * k[i];
            if (_config.TopkAverage)
            {
                output.div_(size);
            }
            if (_config.TopkErrorFeedback)
            {
                Tensor residual = a[i].index_fill(0, idx[i], zero);                                       // e ← a − s
                Replace(ref _ef[j], residual.view(Tensors[j].Shape));
            }
            g.copy_(output.view(Tensors[j].Shape));
        }
        compress.Stop();
    }

    /// <summary>All-reduce (sum) of a contiguous float32 or float64 CPU tensor, in place, without copies.</summary>
    private void AllReduce(Tensor flat)
    {
        Span<byte> bytes = flat.bytes;
        if (flat.dtype == ScalarType.Float64)
        {
            _comm.AllReduceSum(MemoryMarshal.Cast<byte, double>(bytes));
        }
        else if (flat.dtype == ScalarType.Float32)
        {
            _comm.AllReduceSum(MemoryMarshal.Cast<byte, float>(bytes));
        }
        else
        {
            throw new NotSupportedException($"Gradients of type {flat.dtype} cannot be reduced (float32 or float64 only).");
        }
    }

    /// <summary>Keeps <paramref name="value"/> beyond the step (detached from the dispose scope) in place of the old state.</summary>
    private static void Replace(ref Tensor? slot, Tensor value)
    {
        Tensor kept = value.DetachFromDisposeScope();
        slot?.Dispose();
        slot = kept;
    }

    /// <summary>Levels, draw counters, Q and error feedback of every tensor (this worker's state).</summary>
    public void Save(BinaryWriter w)
    {
        ArgumentNullException.ThrowIfNull(w);
        w.Write(Tensors.Count);
        for (int j = 0; j < Tensors.Count; j++)
        {
            w.Write((int)_levels[j]);
            w.Write(_draws[j]);
            TensorIo.Write(w, _q[j]);
            TensorIo.Write(w, _ef[j]);
        }
    }

    public void Load(BinaryReader r)
    {
        ArgumentNullException.ThrowIfNull(r);
        if (r.ReadInt32() != Tensors.Count)
        {
            throw new InputException("A checkpoint's compressor state does not match the model (different number of tensors).");
        }
        for (int j = 0; j < Tensors.Count; j++)
        {
            _levels[j] = (Level)r.ReadInt32();
            _draws[j] = r.ReadInt64();
            _q[j]?.Dispose();
            _q[j] = TensorIo.Read(r)?.DetachFromDisposeScope();
            _ef[j]?.Dispose();
            _ef[j] = TensorIo.Read(r)?.DetachFromDisposeScope();
        }
    }

    public void Dispose()
    {
        foreach (Tensor? t in _q.Concat(_ef))
        {
            t?.Dispose();
        }
    }
}
