namespace Tessera.Methods.Accordion;

/// <summary>The per-epoch learning rate of spec §2.8/§6: linear warm-up from base to base·warmupFactor, then a drop by
/// gamma at every milestone.</summary>
public static class EpochLr
{
    /// <summary>The learning rate used during <paramref name="epoch"/> (0-based).</summary>
    public static double At(LrConfig c, int epoch)
    {
        ArgumentNullException.ThrowIfNull(c);
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        if (!c.CodeOffByOne)
        {
            return c.Base * Warmup(c, epoch) * Math.Pow(c.Gamma, c.Milestones.Count(m => epoch >= m));
        }
        // The released code computes the rate of epoch e+1 at the end of epoch e from get_lr(e), whose decays fire
        // for e > milestone: epoch 0 runs at base, epoch e ≥ 1 at get_lr(e − 1).
        if (epoch == 0)
        {
            return c.Base;
        }
        int e = epoch - 1;
        return c.Base * Warmup(c, e) * Math.Pow(c.Gamma, c.Milestones.Count(m => e > m));
    }

    private static double Warmup(LrConfig c, int e) =>
        1 + ((c.WarmupFactor - 1) * (c.WarmupEpochs == 0 ? 1 : Math.Min((double)e / c.WarmupEpochs, 1)));
}
