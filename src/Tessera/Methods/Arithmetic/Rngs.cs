using Tessera.Training;

namespace Tessera.Methods.Arithmetic;

/// <summary>Seeded generators for the arithmetic data: every draw comes from (seed, index, stream), so each data set
/// is a pure function of its seed (System.Random with an int seed is the same algorithm on every .NET version).</summary>
internal static class Rngs
{
    public static Random Create(long seed, long index, string stream) =>
        new(unchecked((int)StepSeeds.For(seed, index, stream)) & int.MaxValue);

    /// <summary>A generator that depends only on (seed, problem): the same problem always gets the same draws.</summary>
    public static Random ForProblem(long seed, Problem p, string stream) =>
        Create(StepSeeds.For(seed, p.A, stream + "/a"), p.B ^ BitConverter.DoubleToInt64Bits(p.X) ^ ((long)p.Op << 56), stream);

    /// <summary>Fisher–Yates shuffle of the first <paramref name="count"/> positions: afterwards items[0..count) is a
    /// uniform random ordered sample of all items (the whole array when count = length).</summary>
    public static void PartialShuffle<T>(Random rng, T[] items, int count)
    {
        for (int i = 0; i < count && i < items.Length - 1; i++)
        {
            int j = rng.Next(i, items.Length);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
