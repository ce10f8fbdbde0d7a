using Tessera.Data;

namespace Tessera.Tests.Data;

public sealed class SeededRandomTests
{
    [Fact]
    public void NextUInt64_SameSeedAndStream_SameSequence()
    {
        var a = new SeededRandom(11, 2);
        var b = new SeededRandom(11, 2);
        var c = new SeededRandom(11, 3);

        ulong[] sa = Enumerable.Range(0, 5).Select(_ => a.NextUInt64()).ToArray();
        ulong[] sb = Enumerable.Range(0, 5).Select(_ => b.NextUInt64()).ToArray();
        ulong[] sc = Enumerable.Range(0, 5).Select(_ => c.NextUInt64()).ToArray();

        Assert.Equal(sa, sb);
        Assert.NotEqual(sa, sc);
    }

    [Fact]
    public void NextInt_SmallBound_EveryValueRoughlyEquallyOften()
    {
        var rng = new SeededRandom(1);
        var counts = new int[6];
        for (int i = 0; i < 60_000; i++)
        {
            counts[rng.NextInt(6)]++;
        }

        // Expected 10,000 each, standard deviation about 91.
        Assert.All(counts, c => Assert.InRange(c, 9_600, 10_400));
    }

    [Theory]
    [InlineData(0.05)]
    [InlineData(0.5)]
    [InlineData(1.0)]
    [InlineData(3.7)]
    public void NextGamma_ManySamples_MeanAndVarianceEqualShape(double shape)
    {
        // Gamma(k, 1) has mean k and variance k; with 40,000 samples the sample mean is within ~4 sd of k.
        var rng = new SeededRandom(5);
        double[] x = Enumerable.Range(0, 40_000).Select(_ => rng.NextGamma(shape)).ToArray();
        double mean = x.Average();
        double variance = x.Select(v => (v - mean) * (v - mean)).Average();

        Assert.All(x, v => Assert.True(v >= 0));
        Assert.InRange(mean, shape - 4 * Math.Sqrt(shape / 40_000), shape + 4 * Math.Sqrt(shape / 40_000));
        Assert.InRange(variance, 0.85 * shape, 1.15 * shape);
    }

    [Fact]
    public void NextDirichlet_TinyAlpha_SumsToOneWithoutUnderflow()
    {
        var rng = new SeededRandom(2);

        for (int i = 0; i < 100; i++)
        {
            double[] p = rng.NextDirichlet(0.001, 10);
            Assert.Equal(1.0, p.Sum(), 12);
            Assert.All(p, v => Assert.False(double.IsNaN(v)));
        }
    }
}
