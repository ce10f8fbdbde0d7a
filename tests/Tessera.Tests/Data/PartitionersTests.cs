using CsCheck;
using Tessera.Data;

namespace Tessera.Tests.Data;

public sealed class PartitionersTests
{
    private static void AssertExactPartition(int[][] parts, int n)
    {
        Assert.All(parts, p => Assert.Equal(p.Order(), p));                     // each sorted
        Assert.Equal(Enumerable.Range(0, n), parts.SelectMany(p => p).Order());  // every index exactly once
    }

    private static long[] BalancedLabels(int classes, int perClass) =>
        Enumerable.Range(0, classes * perClass).Select(i => (long)(i % classes)).ToArray();

    [Fact]
    public void Iid_AnyInput_ExactPartitionWithSizesDifferingByAtMostOne()
    {
        Gen.Select(Gen.Int[0, 400], Gen.Int[1, 25], Gen.Long).Sample((n, clients, seed) =>
        {
            int[][] parts = Partitioners.Iid(n, clients, seed);

            Assert.Equal(clients, parts.Length);
            AssertExactPartition(parts, n);
            Assert.True(parts.Max(p => p.Length) - parts.Min(p => p.Length) <= 1);
        }, iter: 200, threads: 1);
    }

    [Fact]
    public void Iid_SameSeed_SameSplitOtherSeedOther()
    {
        Assert.Equal(Partitioners.Iid(50, 3, 1), Partitioners.Iid(50, 3, 1));
        Assert.NotEqual(Partitioners.Iid(50, 3, 1), Partitioners.Iid(50, 3, 2));
    }

    [Fact]
    public void Dirichlet_AnyInput_ExactPartitionAndMinimumPerClient()
    {
        var labels = Gen.Int[2, 6].SelectMany(k => Gen.Long[0, k - 1].Array[60, 300].Select(l => (k, l)));
        // Ranges where a draw meeting the minimum is likely (measured: no give-up in 300 seeds at the corner
        // 2 classes, 60 samples, 6 clients, alpha 0.1, minimum 2); tighter settings may legitimately give up.
        Gen.Select(labels, Gen.Int[1, 6], Gen.Double[0.3, 20], Gen.Long, Gen.Int[1, 3])
            .Sample((kl, clients, alpha, seed, min) =>
            {
                (int k, long[] l) = kl;

                int[][] parts = Partitioners.Dirichlet(l, k, clients, alpha, seed, min);

                Assert.Equal(clients, parts.Length);
                AssertExactPartition(parts, l.Length);
                Assert.All(parts, p => Assert.True(p.Length >= min));
            }, iter: 100, threads: 1);
    }

    [Fact]
    public void Dirichlet_TinyAlpha_EachClientDominatedByFewClasses()
    {
        long[] labels = BalancedLabels(10, 100);

        int[][] parts = Partitioners.Dirichlet(labels, 10, 10, alpha: 0.01, seed: 3);

        // With alpha 0.01 a class goes (almost) whole to one client: the top class of a client holds most of it.
        double meanTopShare = parts.Average(p => TopClassShare(p, labels));
        Assert.True(meanTopShare > 0.8, $"mean top-class share {meanTopShare:F3}");
    }

    [Fact]
    public void Dirichlet_LargeAlpha_NearUniformLabelHistograms()
    {
        long[] labels = BalancedLabels(10, 100);

        int[][] parts = Partitioners.Dirichlet(labels, 10, 10, alpha: 1000, seed: 3);

        // Uniform would give each class a share of 0.1 per client.
        Assert.All(parts, p => Assert.InRange(TopClassShare(p, labels), 0.1, 0.15));
        Assert.All(parts, p => Assert.InRange(p.Length, 90, 110));
    }

    [Fact]
    public void Dirichlet_SameSeed_SameSplit()
    {
        long[] labels = BalancedLabels(4, 30);

        Assert.Equal(Partitioners.Dirichlet(labels, 4, 5, 0.5, 9), Partitioners.Dirichlet(labels, 4, 5, 0.5, 9));
        Assert.NotEqual(Partitioners.Dirichlet(labels, 4, 5, 0.5, 9), Partitioners.Dirichlet(labels, 4, 5, 0.5, 10));
    }

    [Fact]
    public void Dirichlet_MinimumImpossible_ThrowsInputException()
    {
        long[] labels = BalancedLabels(2, 5);

        Assert.Throws<InputException>(() => Partitioners.Dirichlet(labels, 2, 4, 1.0, 0, minPerClient: 3));
        Assert.Throws<InputException>(() => Partitioners.Dirichlet(labels, 2, 2, 0.0, 0));
    }

    [Fact]
    public void Shards_AnyInput_ExactPartitionWithShardSizedClients()
    {
        var labels = Gen.Int[1, 10].SelectMany(k => Gen.Long[0, k - 1].Array[20, 300]);
        Gen.Select(labels, Gen.Int[1, 8], Gen.Int[1, 3], Gen.Long).Sample((l, clients, spc, seed) =>
        {
            if (clients * spc > l.Length)
            {
                return;
            }

            int[][] parts = Partitioners.Shards(l, clients, spc, seed);

            int shards = clients * spc;
            AssertExactPartition(parts, l.Length);
            Assert.All(parts, p => Assert.InRange(p.Length, spc * (l.Length / shards), spc * ((l.Length + shards - 1) / shards)));
            // A shard is a contiguous run of the label-sorted order, so a client's indices form at most spc runs of it.
            int[] sorted = Enumerable.Range(0, l.Length).OrderBy(i => l[i]).ThenBy(i => i).ToArray();
            var rank = new int[l.Length];
            for (int r = 0; r < sorted.Length; r++)
            {
                rank[sorted[r]] = r;
            }
            Assert.All(parts, p =>
            {
                int[] ranks = p.Select(i => rank[i]).Order().ToArray();
                int runs = 1 + ranks.Zip(ranks.Skip(1)).Count(t => t.Second != t.First + 1);
                Assert.True(runs <= spc, $"{runs} runs for {spc} shards");
            });
        }, iter: 150, threads: 1);
    }

    [Fact]
    public void Shards_BalancedLabelsAndWholeShards_AtMostShardsPerClientLabels()
    {
        // 10 classes of 60 and 20 shards of 30: every shard holds one label, so a client sees at most 2 labels.
        long[] labels = BalancedLabels(10, 60);

        int[][] parts = Partitioners.Shards(labels, clients: 10, shardsPerClient: 2, seed: 4);

        Assert.All(parts, p => Assert.Equal(60, p.Length));
        Assert.All(parts, p => Assert.InRange(p.Select(i => labels[i]).Distinct().Count(), 1, 2));
        Assert.Contains(parts, p => p.Select(i => labels[i]).Distinct().Count() == 2);
    }

    [Fact]
    public void Shards_MoreShardsThanSamples_ThrowsInputException()
    {
        Assert.Throws<InputException>(() => Partitioners.Shards(BalancedLabels(2, 3), 4, 2, 0));
    }

    private static double TopClassShare(int[] part, long[] labels) =>
        part.Length == 0 ? 0 : part.GroupBy(i => labels[i]).Max(g => g.Count()) / (double)part.Length;
}
