namespace Tessera.Training;

/// <summary>
/// Counter-based seeding: every random draw of training step <c>s</c> comes from a seed derived from
/// (run seed, step, stream). Data order, augmentation and dropout are then pure functions of the step, which
/// makes a resumed run bit-identical to an uninterrupted one without saving any RNG state.
/// </summary>
public static class StepSeeds
{
    /// <summary>A well-mixed 63-bit seed for (seed, step, stream) (SplitMix64 finalizer over the combined input).</summary>
    public static long For(long seed, long step, string stream)
    {
        ulong h = Mix((ulong)seed ^ 0x9E3779B97F4A7C15UL);
        h = Mix(h ^ (ulong)step);
        foreach (char c in stream)
        {
            h = Mix(h ^ c);
        }
        return (long)(h >> 1);
    }

    /// <summary>A fresh torch generator for this step and stream (dispose it, or create it inside a step scope).</summary>
    public static Generator Generator(long seed, long step, string stream) => new((ulong)For(seed, step, stream));

    /// <summary>Seeds torch's global generator (dropout, init) for this step.</summary>
    public static void SeedGlobal(long seed, long step) => torch.random.manual_seed(For(seed, step, "global"));

    private static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
