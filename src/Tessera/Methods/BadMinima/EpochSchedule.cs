namespace Tessera.Methods.BadMinima;

/// <summary>Step decay by epochs, the schedule of both phases: the base rate, multiplied by <c>factor</c> after
/// each listed epoch. "After epoch 30" means the first step of epoch 31 (1-based) already uses the decayed rate.</summary>
public static class EpochSchedule
{
    /// <summary>The learning rate of optimizer step <c>s</c> (0-based): lr·factor^#{e ∈ decayEpochs : s ≥ e·stepsPerEpoch}.</summary>
    public static Func<long, double> Create(double lr, long stepsPerEpoch, IReadOnlyList<int> decayEpochs, double factor)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(stepsPerEpoch);
        long[] boundaries = decayEpochs.Select(e => e * stepsPerEpoch).ToArray();
        return step =>
        {
            double rate = lr;
            foreach (long b in boundaries)
            {
                if (step >= b)
                {
                    rate *= factor;
                }
            }
            return rate;
        };
    }

    internal static void Validate(int[] decayEpochs, double factor, string section)
    {
        if (decayEpochs.Any(e => e < 1) || decayEpochs.Zip(decayEpochs.Skip(1)).Any(p => p.Second <= p.First))
        {
            throw new InputException($"{section}.decayEpochs must be increasing epoch numbers >= 1 (got [{string.Join(", ", decayEpochs)}]).");
        }
        if (!(factor > 0))
        {
            throw new InputException($"{section}.decayFactor must be positive (got {factor}).");
        }
    }
}
