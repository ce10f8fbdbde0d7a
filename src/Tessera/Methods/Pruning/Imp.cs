namespace Tessera.Methods.Pruning;

/// <summary>Iterative magnitude pruning (Frankle &amp; Carbin; spec §3): after each training round, prune a fraction of
/// the weights still kept, globally by magnitude, first and last layers included.</summary>
public static class Imp
{
    /// <summary>Masks that drop ⌈<paramref name="rate"/>·n⌉ of the n kept weights with the smallest |w| (over all layers
    /// together; ties broken by position). New tensors; the current masks are not changed.</summary>
    public static Tensor[] PruneByMagnitude(MaskSet masks, double rate)
    {
        if (!(rate >= 0 && rate < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(rate), rate, "The pruning rate must lie in [0, 1).");
        }
        using var scope = torch.NewDisposeScope();
        long kept = masks.Kept;
        long keep = kept - (long)Math.Ceiling(rate * kept);
        Tensor[] current = masks.Snapshot();
        Tensor[] next = MaskSelection.GlobalTopK(PruningScores.Magnitude(masks), keep, current);
        return next.Select(m => m.MoveToOuterDisposeScope()).ToArray();
    }

    /// <summary>Density after <paramref name="rounds"/> prunings at <paramref name="rate"/>: (1 − rate)^rounds.</summary>
    public static double DensityAfter(int rounds, double rate) => Math.Pow(1 - rate, rounds);

    /// <summary>The number of prunings whose density (1 − rate)^r is closest to <paramref name="density"/> (in log scale).</summary>
    public static int RoundsFor(double density, double rate) =>
        Math.Max(0, (int)Math.Round(Math.Log(density) / Math.Log(1 - rate), MidpointRounding.AwayFromZero));
}
