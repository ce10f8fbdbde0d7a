using CsCheck;
using Tessera.Methods.Pruning;

namespace Tessera.Tests.Methods.Pruning;

public sealed class MaskSelectionTests
{
    [Fact]
    public void GlobalTopK_PoolsLayers_AndBreaksTiesByPosition()
    {
        // Given: scores [3, 1, 2] and [[2, 5], [0, 2]] — three entries tie at 2
        using var scope = torch.NewDisposeScope();
        Tensor a = torch.tensor(new float[] { 3, 1, 2 }), b = torch.tensor(new float[] { 2, 5, 0, 2 }).reshape(2, 2);

        Tensor[] m = MaskSelection.GlobalTopK([a, b], 4);

        // Then: 5 and 3, then the first two 2s in flattened order (a[2], then b[0,0])
        Assert.Equal([1f, 0f, 1f], m[0].data<float>().ToArray());
        Assert.Equal([1f, 1f, 0f, 0f], m[1].flatten().data<float>().ToArray());
        Assert.Equal([2L, 2L], m[1].shape);
    }

    [Fact]
    public void GlobalTopK_Eligible_NeverRevivesAPrunedEntry_Lowest_KeepsTheSmallest()
    {
        using var scope = torch.NewDisposeScope();
        Tensor s = torch.tensor(new float[] { 9, 1, 5, 7 });
        Tensor eligible = torch.tensor(new float[] { 0, 1, 1, 1 });

        Assert.Equal([0f, 0f, 1f, 1f], MaskSelection.GlobalTopK([s], 2, [eligible])[0].data<float>().ToArray());
        Assert.Equal([0f, 1f, 1f, 0f], MaskSelection.GlobalTopK([s], 2, [eligible], largest: false)[0].data<float>().ToArray());
        Assert.Throws<ArgumentException>(() => MaskSelection.GlobalTopK([s], 4, [eligible]));
    }

    [Fact]
    public void KeepCount_RoundsHalfAwayFromZero_AndClamps()
    {
        Assert.Equal(3, MaskSelection.KeepCount(10, 0.25));
        Assert.Equal(1, MaskSelection.KeepCount(10, 0.05));
        Assert.Equal(10, MaskSelection.KeepCount(10, 1.5));
        Assert.Equal(3727, MaskSelection.KeepCount(266_200, 0.014));
    }

    [Fact]
    public void Random_ExactCountsPerLayer_Property()
    {
        Gen.Select(Gen.Int[1, 40], Gen.Int[1, 40], Gen.Double[0.0, 1.0], Gen.Long)
            .Sample((rows, cols, density, seed) =>
            {
                using var scope = torch.NewDisposeScope();
                long[][] shapes = [[rows, cols], [cols]];
                long[] keep = MaskSelection.LayerCounts(shapes, density, RandomDistribution.Uniform);
                using var g = new Generator((ulong)seed);

                Tensor[] masks = MaskSelection.Random(shapes, keep, g);

                return masks[0].count_nonzero().item<long>() == keep[0] && masks[1].count_nonzero().item<long>() == keep[1]
                    && Math.Abs(keep[0] - (density * rows * cols)) <= 0.5 && masks[0].shape.SequenceEqual(shapes[0]);
            }, threads: 1, iter: 100);
    }

    [Fact]
    public void LayerCounts_ErdosRenyi_HitsTheGlobalCount_KeepsSmallLayersDense()
    {
        // Layers 784x300, 300x100, 100x10: ER density ∝ (n_in + n_out) / (n_in · n_out).
        long[][] shapes = [[300, 784], [100, 300], [10, 100]];
        long total = 300 * 784 + 100 * 300 + 10 * 100;

        long[] counts = MaskSelection.LayerCounts(shapes, 0.1, RandomDistribution.ErdosRenyi);

        Assert.InRange(counts.Sum(), MaskSelection.KeepCount(total, 0.1) - 2, MaskSelection.KeepCount(total, 0.1) + 2);
        double[] d = counts.Select((c, i) => (double)c / (shapes[i][0] * shapes[i][1])).ToArray();
        Assert.True(d[0] < d[1] && d[1] < d[2], string.Join(", ", d));
        // ε·(in+out) summed over the layers = 26,620 would give the classifier ε·0.11 = 1.84 > 1: it is kept dense and
        // ε re-solved on the other two: (26,620 − 1,000) / (1,084 + 400) = 17.26.
        Assert.Equal(1.0, d[2]);
        Assert.Equal(25_620.0 / 1_484 * 400 / 30_000, d[1], 3);
        Assert.Equal((1084.0 / 235_200) / (400.0 / 30_000), d[0] / d[1], 2);
    }

    [Fact]
    public void LayerTopK_EveryLayerKeepsTheSameFraction()
    {
        using var scope = torch.NewDisposeScope();
        using var g = new Generator(4);
        Tensor[] scores = [torch.rand([10, 10], generator: g), torch.rand([4, 5], generator: g)];

        Tensor[] m = MaskSelection.LayerTopK(scores, 0.3);

        Assert.Equal(30, m[0].sum().item<float>());
        Assert.Equal(6, m[1].sum().item<float>());
        Assert.True(scores[0].masked_select(m[0].ne(0)).min().item<float>() >= scores[0].masked_select(m[0].eq(0)).max().item<float>());
    }
}
