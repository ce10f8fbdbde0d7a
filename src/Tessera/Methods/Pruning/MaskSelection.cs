namespace Tessera.Methods.Pruning;

/// <summary>How the random pruner spreads a density over the layers.</summary>
public enum RandomDistribution
{
    /// <summary>Every layer keeps the same fraction (the spec's "uniform random" mask).</summary>
    Uniform,

    /// <summary>Erdős–Rényi(-Kernel): layer density ∝ (sum of the weight's dimensions) / (number of weights),
    /// scaled to the global density, layers that would exceed 1 kept dense.</summary>
    ErdosRenyi,
}

/// <summary>Turning scores into 0/1 masks: global or per-layer top-k, random masks, exact counts.</summary>
public static class MaskSelection
{
    /// <summary>Weights kept for a density: round(density · total), clamped to [0, total].</summary>
    public static long KeepCount(long total, double density) =>
        Math.Clamp((long)Math.Round(density * total, MidpointRounding.AwayFromZero), 0, total);

    /// <summary>Masks with exactly <paramref name="keep"/> ones over all tensors together: the highest scores
    /// (or the lowest when <paramref name="largest"/> is false). Only entries where <paramref name="eligible"/> is
    /// non-zero can be kept (so pruned weights stay pruned). Ties are broken by position, deterministically.</summary>
    public static Tensor[] GlobalTopK(IReadOnlyList<Tensor> scores, long keep, IReadOnlyList<Tensor>? eligible = null, bool largest = true)
    {
        ArgumentNullException.ThrowIfNull(scores);
        if (eligible is not null && eligible.Count != scores.Count)
        {
            throw new ArgumentException("One eligibility mask per score tensor is needed.", nameof(eligible));
        }
        using var scope = torch.NewDisposeScope();
        Tensor flat = torch.cat(scores.Select(s => s.detach().flatten().to(ScalarType.Float64)).ToArray());     // (N)
        if (eligible is not null)
        {
            Tensor allowed = torch.cat(eligible.Select(e => e.flatten().ne(0)).ToArray());
            long count = allowed.sum().item<long>();
            if (keep > count)
            {
                throw new ArgumentException($"Cannot keep {keep} weights: only {count} are eligible.", nameof(keep));
            }
            flat = flat.masked_fill(allowed.logical_not(), largest ? double.NegativeInfinity : double.PositiveInfinity);
        }
        long n = flat.shape[0];
        ArgumentOutOfRangeException.ThrowIfNegative(keep);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(keep, n);
        Tensor mask = torch.zeros(n, dtype: ScalarType.Float64);
        if (keep > 0)
        {
            // A stable sort breaks ties by position; topk would not promise that.
            Tensor order = flat.sort(descending: largest, stable: true).Indices;
            mask.index_fill_(0, order.narrow(0, 0, keep), 1.0);
        }
        return Split(mask, scores).Select(m => m.MoveToOuterDisposeScope()).ToArray();
    }

    /// <summary>Per-layer top-k: every layer keeps round(density · its size) of its highest scores.</summary>
    public static Tensor[] LayerTopK(IReadOnlyList<Tensor> scores, double density, bool largest = true) =>
        scores.Select(s => GlobalTopK([s], KeepCount(s.numel(), density), largest: largest)[0]).ToArray();

    /// <summary>A random mask per layer with exactly the given number of ones at uniformly random positions.</summary>
    public static Tensor[] Random(IReadOnlyList<long[]> shapes, IReadOnlyList<long> keep, Generator generator, ScalarType dtype = ScalarType.Float32)
    {
        var masks = new Tensor[shapes.Count];
        for (int i = 0; i < shapes.Count; i++)
        {
            using var scope = torch.NewDisposeScope();
            long n = shapes[i].Aggregate(1L, (a, b) => a * b);
            Tensor flat = torch.zeros(n, dtype: dtype);
            Tensor chosen = torch.randperm(n, generator: generator).narrow(0, 0, keep[i]);
            flat.index_fill_(0, chosen, 1.0);
            masks[i] = flat.reshape(shapes[i]).MoveToOuterDisposeScope();
        }
        return masks;
    }

    /// <summary>How many weights each layer keeps for a global <paramref name="density"/> under a distribution.
    /// Uniform: round(density · size) per layer. Erdős–Rényi: p_l = ε·Σdims/Π dims, with ε solved so that the
    /// counts add up to round(density · total); layers where p_l ≥ 1 are kept dense and ε is solved again.</summary>
    public static long[] LayerCounts(IReadOnlyList<long[]> shapes, double density, RandomDistribution distribution)
    {
        long[] sizes = shapes.Select(s => s.Aggregate(1L, (a, b) => a * b)).ToArray();
        if (distribution == RandomDistribution.Uniform)
        {
            return sizes.Select(n => KeepCount(n, density)).ToArray();
        }
        double target = KeepCount(sizes.Sum(), density);
        double[] raw = shapes.Select(s => (double)s.Sum() / s.Aggregate(1L, (a, b) => a * b)).ToArray();
        var dense = new bool[shapes.Count];
        while (true)
        {
            double budget = target - sizes.Where((_, i) => dense[i]).Sum();
            double weighted = raw.Select((r, i) => dense[i] ? 0 : r * sizes[i]).Sum();
            double eps = weighted > 0 ? budget / weighted : 0;
            bool changed = false;
            for (int i = 0; i < raw.Length; i++)
            {
                if (!dense[i] && eps * raw[i] >= 1)
                {
                    dense[i] = true;
                    changed = true;
                }
            }
            if (!changed)
            {
                long[] counts = sizes.Select((n, i) => dense[i] ? n : Math.Clamp((long)Math.Round(eps * raw[i] * n), 0, n)).ToArray();
                return counts;
            }
        }
    }

    /// <summary>Splits a flat vector into tensors shaped like <paramref name="like"/> (and with their dtype).</summary>
    internal static Tensor[] Split(Tensor flat, IReadOnlyList<Tensor> like)
    {
        var parts = new Tensor[like.Count];
        long offset = 0;
        for (int i = 0; i < like.Count; i++)
        {
            long n = like[i].numel();
            parts[i] = flat.narrow(0, offset, n).reshape(like[i].shape).to(like[i].dtype);
            offset += n;
        }
        return parts;
    }
}
