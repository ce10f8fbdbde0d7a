using Tessera.Methods.Pruning;
using Tessera.Nn;
using Tessera.Tests.Support.Models;
using static Tessera.Tests.Methods.Pruning.PruningFixtures;

namespace Tessera.Tests.Methods.Pruning;

public sealed class GemMinerTests
{
    [Fact]
    public void FreezeEpochs_CodeSchedule_E150T5_Has29EventsAt5To145()
    {
        IReadOnlyList<int> events = GemMiner.FreezeEpochs(150, 5, FreezeSchedule.Code);

        Assert.Equal(29, events.Count);
        Assert.Equal(5, events[0]);
        Assert.Equal(145, events[^1]);
        // r = 1 − 0.0144^(1/29) ≈ 0.136 (spec §2.4)
        Assert.Equal(0.136, GemMiner.FreezeFraction(0.0144, 150, 5, FreezeSchedule.Code), 3);
    }

    [Fact]
    public void FreezeEpochs_SmokeAndR1_AndThePapersSchedule()
    {
        Assert.Equal([1, 2, 3, 4, 5], GemMiner.FreezeEpochs(6, 1, FreezeSchedule.Code));
        Assert.Equal([2, 4, 6, 8, 10, 12, 14, 16, 18], GemMiner.FreezeEpochs(20, 2, FreezeSchedule.Code));
        Assert.Equal([1, 3, 5, 7, 9, 11, 13, 15, 17, 19], GemMiner.FreezeEpochs(20, 2, FreezeSchedule.Paper));
        Assert.Equal(1 - Math.Pow(0.1, 0.2), GemMiner.FreezeFraction(0.1, 6, 1, FreezeSchedule.Code), 12);
        Assert.Equal(1 - Math.Pow(0.014, 0.1), GemMiner.FreezeFraction(0.014, 20, 2, FreezeSchedule.Paper), 12);
        Assert.Empty(GemMiner.FreezeEpochs(3, 5, FreezeSchedule.Code));
        Assert.Equal(0, GemMiner.FreezeFraction(0.1, 3, 5, FreezeSchedule.Code));
    }

    [Fact]
    public void Freeze_IsGlobal_AndCountsOnlyActiveWeights()
    {
        // Given: two layers, scores 0.1..0.8 in layer 1 and 0.15..0.85 in layer 2, the first two of layer 1 already frozen
        using var scope = torch.NewDisposeScope();
        (GemMiner gm, _) = Miner([[0.1, 0.2, 0.3, 0.4], [0.5, 0.6, 0.7, 0.8]], [[0.15, 0.25], [0.35, 0.45], [0.55, 0.65], [0.75, 0.85]]);
        using (torch.no_grad())
        {
            gm.Flags[0].flatten()[0] = 0;
            gm.Flags[0].flatten()[1] = 0;
        }

        // When: freeze r = 0.3 of the 14 active weights: k = ⌈4.2⌉ = 5
        long frozen = gm.Freeze(0.3);

        // Then: the 5 lowest ACTIVE scores (0.15, 0.25, 0.3, 0.35, 0.4) go, across both layers
        Assert.Equal(5, frozen);
        Assert.Equal([0, 0, 0, 0, 1, 1, 1, 1], Values(gm.Flags[0]).Select(v => (int)v));
        Assert.Equal([0, 0, 0, 1, 1, 1, 1, 1], Values(gm.Flags[1]).Select(v => (int)v));
        Assert.Equal(9.0 / 16, gm.FlagDensity, 12);
    }

    [Fact]
    public void Freeze_TiesAtTau_AreAllFrozen_NothingAboveTauIs()
    {
        // Given: 12 scores, six of them clamped at exactly 0 (pitfall 7)
        using var scope = torch.NewDisposeScope();
        (GemMiner gm, _) = Miner([[0, 0, 0, 0, 0], [0, 0.3, 0.6, 0.9, 1.0]], [[0.9, 0.9]]);

        // When: r = 0.2: k = ⌈2.4⌉ = 3, τ = 0, strict ">" freezes every 0
        long frozen = gm.Freeze(0.2);

        // Then: 6 frozen (twice k), the density undershoots to 50 % instead of 75 %, every score above τ is still active
        Assert.Equal(6, frozen);
        Assert.Equal(0.5, gm.FlagDensity, 12);
        Assert.Equal([0, 0, 0, 0, 0, 0, 1, 1, 1, 1], Values(gm.Flags[0]).Select(v => (int)v));
    }

    [Fact]
    public void Freeze_Top_FreezesTheHighestScores()
    {
        using var scope = torch.NewDisposeScope();
        (GemMiner gm, _) = Miner([[0.1, 0.9, 0.4, 0.7]], [[0.9]]);

        gm.Freeze(0.5, top: true);                            // k = ⌈2.5⌉ = 3: τ = 0.7, keep p < τ

        Assert.Equal([1, 0, 1, 0], Values(gm.Flags[0]).Select(v => (int)v));
    }

    [Fact]
    public void Schedule_DistinctScores_DensityAfterEventJ_IsSToTheJOverN()
    {
        // Check 1 of spec §6 on 10,000 distinct random scores, s = 1.4 %, N = 9.
        using var scope = torch.NewDisposeScope();
        using var model = new MlpBn(100, [], 100, biasFree: true);
        MaskSet masks = MaskSet.Attach(model);
        using var g = new Generator(11);
        GemMiner gm = GemMiner.Attach(masks, g);
        double s = 0.014, r = GemMiner.FreezeFraction(s, 20, 2, FreezeSchedule.Code);
        long n = masks.Total;

        for (int j = 1; j <= 9; j++)
        {
            gm.Freeze(r);

            double expected = Math.Pow(s, j / 9.0) * n;
            double kept = gm.FlagDensity * n;
            Assert.True(kept <= expected + 1, $"event {j}: {kept} > {expected} + 1");
            Assert.True(kept >= expected - j, $"event {j}: {kept} < {expected} - {j} (one weight of rounding per event)");
        }
        Assert.Equal(0.014, gm.FlagDensity, 3);
    }

    [Fact]
    public void Refresh_ForwardUsesTheHardMask_BelowAndAboveOneHalf()
    {
        // Pitfall 2: a score moving 0.49 → 0.51 changes the output; 0.7 → 0.9 does not.
        using var scope = torch.NewDisposeScope();
        (GemMiner gm, TwoLinear net) = Miner([[0.49, 0.7], [0.2, 0.8]], [[0.9, 0.9]]);
        Tensor x = torch.tensor(new float[] { 1, 2 }).reshape(1, 2);
        float Out() => net.call(x).sum().item<float>();
        float before = Out();

        SetScore(gm, 0, 1, 0.9);
        gm.Refresh();
        float sameMask = Out();
        SetScore(gm, 0, 0, 0.51);
        gm.Refresh();
        float newMask = Out();

        Assert.Equal(before, sameMask);
        Assert.NotEqual(before, newMask);
    }

    [Fact]
    public void ScoreGradients_IsTheIdentityStraightThrough_MatchingCentralDifferencesOfTheMask()
    {
        // Pitfall 3: ∂L/∂p must equal ∂L/∂M at M = H(p)⊙q, times q, including where H = 0. 1-layer linear model in float64.
        using var scope = torch.NewDisposeScope();
        using var model = nn.Linear(3, 2, hasBias: false, dtype: ScalarType.Float64);
        MaskSet masks = MaskSet.Attach(model);
        using (torch.no_grad())
        {
            model.weight!.copy_(torch.tensor(new double[] { 0.5, -1.0, 2.0, 1.5, 0.25, -0.75 }, ScalarType.Float64).reshape(2, 3));
        }
        using var g = new Generator(1);
        GemMiner gm = GemMiner.Attach(masks, g);
        using (torch.no_grad())
        {
            gm.Scores[0].copy_(torch.tensor(new double[] { 0.9, 0.2, 0.7, 0.4, 0.6, 0.8 }, ScalarType.Float64).reshape(2, 3));
            gm.Flags[0].copy_(torch.tensor(new double[] { 1, 1, 1, 1, 1, 0 }, ScalarType.Float64).reshape(2, 3));
        }
        gm.Refresh();
        Tensor x = torch.tensor(new double[] { 1.0, -2.0, 0.5, 0.3, 0.7, -1.1 }, ScalarType.Float64).reshape(2, 3);
        Tensor y = torch.tensor(new long[] { 1, 0 });
        Tensor w0 = gm.Scored.Orig[0];
        double Loss(Tensor m) => nn.functional.cross_entropy(nn.functional.linear(x, w0 * m), y).item<double>();

        // When: the engine's gradient (backward through the weight, then the straight-through step)
        nn.functional.cross_entropy(model.call(x), y).backward();
        gm.ScoreGradients();

        // Then: equals the central-difference gradient of L(W0 ⊙ m) at m = H(p)⊙q, multiplied by q
        Tensor mask = masks.Layers[0].Mask.clone();
        double[] fd = CentralDifferences(Loss, mask);
        double[] q = Values(gm.Flags[0]);
        AssertClose(fd.Select((v, i) => v * q[i]).ToArray(), Values(gm.Scores[0].grad!));
        Assert.Contains(Values(mask), v => v == 0);                        // the check covers entries with H = 0 too
        Assert.All(Values(model.weight!.grad!), v => Assert.Equal(0, v));  // the weight gradient was consumed
    }

    [Fact]
    public void Penalty_IsLambdaTimesTheSumOfSquares_NotTheNorm()
    {
        // Pitfall 11: scores [0.5, 1, 0.25, 0] and [2, 0]: Σp² = 0.25 + 1 + 0.0625 + 0 + 4 = 5.3125; Σ|p| = 3.75.
        using var scope = torch.NewDisposeScope();
        (GemMiner gm, _) = Miner([[0.5, 1.0], [0.25, 0.0]], [[2.0, 0.0]]);

        Assert.Equal(0.1 * 5.3125, gm.Penalty(0.1).item<float>(), 6);
        Assert.Equal(0.1 * 3.75, gm.Penalty(0.1, ScoreRegularizer.L1).item<float>(), 6);
    }

    [Fact]
    public void Project_ClampsToTheUnitInterval()
    {
        using var scope = torch.NewDisposeScope();
        (GemMiner gm, _) = Miner([[-0.3, 0.4], [1.7, 1.0]], [[0.5, 0.5]]);

        gm.Project();

        Assert.Equal([0.0, 0.4, 1.0, 1.0], Values(gm.Scores[0]).Select(v => Math.Round(v, 6)));
    }

    [Fact]
    public void FinalMasks_Unflag_IsQ_OtherwiseHOfPTimesQ()
    {
        // Pitfall 13.
        using var scope = torch.NewDisposeScope();
        (GemMiner gm, _) = Miner([[0.9, 0.2, 0.7, 0.1]], [[0.9]]);
        gm.Freeze(0.2);                                       // k = 1: freezes the 0.1 only

        Assert.Equal([1, 1, 1, 0], Values(gm.FinalMasks(unflag: true)[0]).Select(v => (int)v));
        Assert.Equal([1, 0, 1, 0], Values(gm.FinalMasks(unflag: false)[0]).Select(v => (int)v));
        Assert.Equal(0.8, gm.FlagDensity, 12);
        Assert.Equal(0.6, gm.EffectiveDensity, 12);
    }

    [Fact]
    public void Attach_ScoresUniformOnTheUnitInterval_WeightsBecomeWTimesTheMask_OrigKeepsW()
    {
        using var scope = torch.NewDisposeScope();
        using var model = new MlpBn(50, [40], 10, biasFree: true);
        MaskSet masks = MaskSet.Attach(model);
        Tensor[] w = masks.Weights();
        using var g = new Generator(9);

        GemMiner gm = GemMiner.Attach(masks, g);

        Tensor p = gm.Scores[0].detach();
        Assert.InRange(p.min().item<float>(), 0, 0.01);
        Assert.InRange(p.max().item<float>(), 0.99, 1);
        Assert.InRange(gm.EffectiveDensity, 0.45, 0.55);
        Assert.True(gm.Scored.Orig[0].eq(w[0]).all().item<bool>());
        Assert.True(masks.Layers[0].Weight.eq(w[0] * p.gt(0.5)).all().item<bool>());
        Assert.Contains("layers.0.weight_scores", model.state_dict().Keys);
        Assert.Contains("layers.0.weight_flags", model.state_dict().Keys);
        Assert.Contains("layers.0.weight_orig", model.state_dict().Keys);
        Assert.Equal(["layers.0.weight_scores", "layers.0.weight_orig", "layers.0.weight_flags",
            "layers.1.weight_scores", "layers.1.weight_orig", "layers.1.weight_flags"], gm.AddedKeys());
    }

    /// <summary>A bias-free two-layer linear net, W = 1, with the given scores (rows = outputs; the second layer's
    /// rows have as many entries as the first has rows).</summary>
    private static (GemMiner, TwoLinear) Miner(double[][] first, double[][] second)
    {
        int rows1 = first.Length, cols1 = first[0].Length;
        var net = new TwoLinear(cols1, rows1, second.Length);
        MaskSet masks = MaskSet.Attach(net);
        using (torch.no_grad())
        {
            foreach (var l in masks.Layers)
            {
                l.Weight.fill_(1.0);
            }
        }
        using var g = new Generator(0);
        GemMiner gm = GemMiner.Attach(masks, g);
        using (torch.no_grad())
        {
            gm.Scores[0].copy_(torch.tensor(first.SelectMany(r => r).ToArray(), ScalarType.Float32).reshape(rows1, cols1));
            gm.Scores[1].copy_(torch.tensor(second.SelectMany(r => r).ToArray(), ScalarType.Float32).reshape(second.Length, second[0].Length));
        }
        gm.Refresh();
        return (gm, net);
    }

    private static void SetScore(GemMiner gm, int row, int col, double value)
    {
        using var noGrad = torch.no_grad();
        gm.Scores[0][row, col] = torch.tensor((float)value);
    }
}
