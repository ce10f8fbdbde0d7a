using CsCheck;
using Tessera.Methods.Pruning;
using Tessera.Nn;
using Tessera.Tests.Support.Models;
using static Tessera.Tests.Methods.Pruning.PruningFixtures;

namespace Tessera.Tests.Methods.Pruning;

public sealed class ImpAndSanityTests
{
    [Fact]
    public void PruneByMagnitude_DropsTheSmallestFifthOfTheKeptWeights_Globally()
    {
        // Given: |w| = 1..10 spread over two layers, the weight with |w| = 1 already pruned (9 kept)
        using var scope = torch.NewDisposeScope();
        using var net = new TwoLinear(2, 3, 2);
        net.Set([-1, 6, 2, -9, 3, 10], [-4, 5, 8, -7, 0.5, 0.25]);
        MaskSet masks = MaskSet.Attach(net);
        masks.Set([torch.tensor(new float[] { 0, 1, 1, 1, 1, 1 }).reshape(3, 2), torch.tensor(new float[] { 1, 1, 1, 1, 0, 0 }).reshape(2, 3)]);

        // When: rate 0.2 of 9 kept: ⌈1.8⌉ = 2 dropped
        Tensor[] next = Imp.PruneByMagnitude(masks, 0.2);

        // Then: |w| = 2 and 3 go (both in layer 1), the pruned ones stay pruned
        Assert.Equal([0, 1, 0, 1, 0, 1], Values(next[0]).Select(v => (int)v));
        Assert.Equal([1, 1, 1, 1, 0, 0], Values(next[1]).Select(v => (int)v));
    }

    [Fact]
    public void PruneByMagnitude_RoundsCompoundTo08PowerR_WithinAWeightPerRound()
    {
        // Check 7 of spec §6: density after round r is 0.8^r (± one weight per round).
        using var scope = torch.NewDisposeScope();
        torch.random.manual_seed(7);
        using var net = new MlpBn(30, [20], 10, biasFree: true);
        MaskSet masks = MaskSet.Attach(net);
        using (var g = new Generator(3))
        {
            PruningInit.KaimingNormal(masks.Layers, g);
        }
        long n = masks.Total;

        for (int r = 1; r <= 10; r++)
        {
            masks.Set(Imp.PruneByMagnitude(masks, 0.2));

            Assert.InRange(masks.Kept, (Math.Pow(0.8, r) * n) - r, Math.Pow(0.8, r) * n);
        }
        Assert.Equal(19, Imp.RoundsFor(0.0144, 0.2));
        Assert.Equal(0.8 * 0.8, Imp.DensityAfter(2, 0.2), 12);
    }

    [Fact]
    public void ShuffleWithinLayers_KeepsEveryLayersCount_Property()
    {
        Gen.Select(Gen.Int[1, 30], Gen.Int[1, 30], Gen.Double[0, 1], Gen.Long)
            .Sample((rows, cols, density, seed) =>
            {
                using var scope = torch.NewDisposeScope();
                using var g = new Generator((ulong)seed);
                long[][] shapes = [[rows, cols], [cols, 3]];
                Tensor[] masks = MaskSelection.Random(shapes, MaskSelection.LayerCounts(shapes, density, RandomDistribution.Uniform), g);

                Tensor[] shuffled = SanityChecks.ShuffleWithinLayers(masks, g);

                return shuffled.Zip(masks).All(p => p.First.sum().item<float>() == p.Second.sum().item<float>() && p.First.shape.SequenceEqual(p.Second.shape));
            }, threads: 1, iter: 60);
    }

    [Fact]
    public void ShuffleWithinLayers_MovesTheOnes()
    {
        using var scope = torch.NewDisposeScope();
        using var g = new Generator(8);
        Tensor mask = torch.cat([torch.ones(50), torch.zeros(950)]).reshape(10, 100);

        Tensor shuffled = SanityChecks.ShuffleWithinLayers([mask], g)[0];

        Assert.Equal(50, shuffled.sum().item<float>());
        Assert.True(shuffled.ne(mask).sum().item<long>() > 50);
    }

    [Fact]
    public void Reinitialize_DrawsKaimingNormal_AndKeepsTheMask()
    {
        using var scope = torch.NewDisposeScope();
        using var net = new MlpBn(400, [300], 10, biasFree: true);
        MaskSet masks = MaskSet.Attach(net);
        using (var g = new Generator(1))
        {
            masks.Set(MaskSelection.Random(masks.Layers.Select(l => l.Weight.shape).ToArray(), [60_000, 1_500], g));
        }
        Tensor[] before = masks.Snapshot();

        using (var g = new Generator(2))
        {
            SanityChecks.Reinitialize(masks, g);
        }

        Assert.True(masks.Layers[0].Mask.eq(before[0]).all().item<bool>());
        Tensor kept = masks.Layers[0].Weight.detach().masked_select(before[0].ne(0));
        Assert.Equal(Math.Sqrt(2.0 / 400), kept.std().item<float>(), 3);
        Assert.Equal(0, masks.Layers[0].Weight.detach().masked_select(before[0].eq(0)).abs().sum().item<float>());
    }

    [Fact]
    public void SignedConstant_EveryEntryIsPlusOrMinusSqrt2OverFanIn_AboutHalfEach()
    {
        using var scope = torch.NewDisposeScope();
        using var net = new ConvFm(1, 8, 8, 10);
        MaskSet masks = MaskSet.Attach(net);
        using var g = new Generator(3);

        PruningInit.SignedConstant(masks.Layers, g);

        foreach (MaskedLayer l in masks.Layers)
        {
            Tensor w = l.Weight.detach();
            float magnitude = (float)(Math.Sqrt(2.0) / Math.Sqrt(l.FanIn));
            Assert.True(w.abs().eq(magnitude).all().item<bool>(), l.Name);
            Assert.InRange(w.gt(0).to(ScalarType.Float32).mean().item<float>(), 0.4, 0.6);
        }
        Assert.Equal(9, masks.Layers[0].FanIn);          // conv1: 1 channel · 3 · 3
    }

    [Fact]
    public void EdgePopup_KeepsTheTopFractionOfAbsScoresInEveryLayer_AndItsGradientIsStraightThrough()
    {
        using var scope = torch.NewDisposeScope();
        torch.random.manual_seed(9);
        using var net = new MlpBn(20, [10], 5, biasFree: true);
        MaskSet masks = MaskSet.Attach(net);
        using var g = new Generator(4);
        EdgePopup popup = EdgePopup.Attach(masks, 0.3, global: false, g);
        Tensor x = torch.randn(8, 20), y = torch.randint(0, 5, [8]);

        nn.functional.cross_entropy(net.call(x), y).backward();
        Tensor wGrad = masks.Layers[0].Weight.grad!.clone();
        popup.ScoreGradients();

        // floor((1 − 0.3)·200) = 140 masked → 60 kept; floor(0.7·50) = 35 → 15 kept
        Assert.Equal([60L, 15L], masks.Densities().Select(d => d.Kept));
        Tensor s = popup.Scores[0].detach().abs(), m = masks.Layers[0].Mask;
        Assert.True(s.masked_select(m.ne(0)).min().item<float>() >= s.masked_select(m.eq(0)).max().item<float>());
        AssertClose(Values(wGrad * popup.Scored.Orig[0]), Values(popup.Scores[0].grad!), atol: 1e-7);
    }
}
