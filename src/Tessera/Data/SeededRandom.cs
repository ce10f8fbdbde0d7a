namespace Tessera.Data;

/// <summary>
/// A small seeded pseudo-random generator (xoshiro256**, state filled by SplitMix64) for data order and
/// partitions. The same (seed, stream) gives the same sequence on every machine and .NET version, which
/// <see cref="System.Random"/> does not promise. Not thread-safe: one instance per consumer.
/// </summary>
public sealed class SeededRandom
{
    private ulong _s0;
    private ulong _s1;
    private ulong _s2;
    private ulong _s3;

    /// <param name="seed">The seed; any value, including 0.</param>
    /// <param name="stream">An independent sub-sequence of the same seed (e.g. an epoch or a worker rank).</param>
    public SeededRandom(long seed, long stream = 0)
    {
        ulong sm = (ulong)seed ^ Mix((ulong)stream + 0x632BE59BD9B4E019UL);
        _s0 = SplitMix(ref sm);
        _s1 = SplitMix(ref sm);
        _s2 = SplitMix(ref sm);
        _s3 = SplitMix(ref sm);
    }

    /// <summary>64 uniformly random bits.</summary>
    public ulong NextUInt64()
    {
        ulong result = RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1), 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in (0, 1): never 0, so its logarithm is finite.</summary>
    public double NextOpenDouble() => ((NextUInt64() >> 11) + 0.5) * (1.0 / (1UL << 53));

    /// <summary>Uniform integer in [0, bound), without modulo bias (Lemire's multiply-and-reject).</summary>
    public long NextLong(long bound)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bound);
        ulong b = (ulong)bound;
        ulong threshold = (0UL - b) % b;   // 2^64 mod b
        while (true)
        {
            ulong x = NextUInt64();
            ulong high = Math.BigMul(x, b, out ulong low);
            if (low >= threshold)
            {
                return (long)high;
            }
        }
    }

    /// <summary>Uniform integer in [0, bound).</summary>
    public int NextInt(int bound) => (int)NextLong(bound);

    /// <summary>Fisher–Yates shuffle in place.</summary>
    public void Shuffle<T>(Span<T> items)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    /// <summary>Standard normal sample (Box–Muller, one value per call).</summary>
    public double NextGaussian()
    {
        double u1 = NextOpenDouble();
        double u2 = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    /// <summary>Gamma(shape, 1) sample (Marsaglia–Tsang 2000).</summary>
    public double NextGamma(double shape) => Math.Exp(NextLogGamma(shape));

    /// <summary>
    /// The logarithm of a Gamma(shape, 1) sample. Marsaglia–Tsang for shape ≥ 1; for shape &lt; 1 the boost
    /// Gamma(a) = Gamma(a + 1)·U^(1/a), kept in log space because U^(1/a) underflows to 0 for tiny a.
    /// </summary>
    public double NextLogGamma(double shape)
    {
        if (!(shape > 0) || double.IsInfinity(shape))
        {
            throw new ArgumentOutOfRangeException(nameof(shape), shape, "The Gamma shape must be positive and finite.");
        }
        if (shape < 1)
        {
            return NextLogGamma(shape + 1) + Math.Log(NextOpenDouble()) / shape;
        }
        double d = shape - 1.0 / 3.0;
        double c = 1.0 / Math.Sqrt(9.0 * d);
        while (true)
        {
            double x = NextGaussian();
            double v = 1.0 + c * x;
            if (v <= 0)
            {
                continue;
            }
            v = v * v * v;
            double u = NextOpenDouble();
            double x2 = x * x;
            if (u < 1.0 - 0.0331 * x2 * x2 || Math.Log(u) < 0.5 * x2 + d * (1.0 - v + Math.Log(v)))
            {
                return Math.Log(d) + Math.Log(v);
            }
        }
    }

    /// <summary>Dirichlet(alpha, …, alpha) sample of length k, normalised in log space (exact for tiny alpha).</summary>
    public double[] NextDirichlet(double alpha, int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        var logs = new double[k];
        for (int i = 0; i < k; i++)
        {
            logs[i] = NextLogGamma(alpha);
        }
        return NormalizeLogs(logs);
    }

    /// <summary>exp(logs[i]) / Σ exp(logs[j]), computed without overflow or underflow of the largest term.</summary>
    internal static double[] NormalizeLogs(ReadOnlySpan<double> logs)
    {
        double max = double.NegativeInfinity;
        foreach (double l in logs)
        {
            max = Math.Max(max, l);
        }
        var p = new double[logs.Length];
        double sum = 0;
        for (int i = 0; i < logs.Length; i++)
        {
            p[i] = double.IsNegativeInfinity(logs[i]) ? 0 : Math.Exp(logs[i] - max);
            sum += p[i];
        }
        for (int i = 0; i < p.Length; i++)
        {
            p[i] /= sum;
        }
        return p;
    }

    private static ulong SplitMix(ref ulong state)
    {
        state += 0x9E3779B97F4A7C15UL;
        return Mix(state);
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private static ulong RotateLeft(ulong x, int k) => (x << k) | (x >> (64 - k));
}
