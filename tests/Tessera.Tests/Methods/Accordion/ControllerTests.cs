using Tessera.Comm;
using Tessera.Methods.Accordion;

namespace Tessera.Tests.Methods.Accordion;

/// <summary>Spec §6 check 4 (detector rules and switch semantics), check 3 (counting) and the LR tables (pitfall 13).</summary>
public sealed class ControllerTests
{
    private static AccordionController Controller(int interval = 2, bool lrOverride = true) =>
        new([true], Level.Low, interval, 0.5, lrOverride, enabled: true);

    [Theory]
    [InlineData(10, 4, Level.Low)]     // ratio 0.6
    [InlineData(10, 6, Level.High)]    // ratio 0.4
    [InlineData(10, 5, Level.Low)]     // exactly 0.5 is critical
    [InlineData(10, 15, Level.Low)]    // growth counts too: 0.5
    [InlineData(0, 3, Level.Low)]      // old = 0 → critical
    public void Decide_NormHistory_FollowsTheThreshold(double oldNorm, double newNorm, Level expected)
    {
        Assert.Equal(expected, AccordionController.Decide(oldNorm, newNorm, 0.5));
    }

    [Fact]
    public void EndEpoch_CheckComparesWithTheEpochOneIntervalBack_NotThePreviousEpoch()
    {
        // Given: interval 2, norms 10 (epoch 0), 1 (epoch 1), 6 (epoch 2). Epoch 1 vs 2 would be critical; 0 vs 2 is 0.4.
        AccordionController c = Controller();
        Assert.Equal(Level.Low, c.EndEpoch(0, [10], 0.1, 0.1)[0]);    // epoch 0: critical by definition
        Assert.Equal(Level.Low, c.EndEpoch(1, [1], 0.1, 0.1)[0]);     // not a check epoch: unchanged

        // When
        Level next = c.EndEpoch(2, [6], 0.1, 0.1)[0];

        // Then
        Assert.Equal(Level.High, next);
        Assert.Equal(0.4, c.LastRatios![0], 12);
    }

    [Fact]
    public void EndEpoch_LrDropAfterAHighCheck_ForcesLowForTheNextEpoch()
    {
        AccordionController c = Controller();
        c.EndEpoch(0, [10], 0.1, 0.1);
        c.EndEpoch(1, [10], 0.1, 0.1);

        Level next = c.EndEpoch(2, [9], 0.1, 0.01)[0];                // check says HIGH (0.1), the LR drops

        Assert.Equal(Level.Low, next);
        Assert.Equal("check+lr-drop", c.LastReason);
    }

    [Fact]
    public void EndEpoch_WarmupIncrease_DoesNotTriggerTheOverride()
    {
        AccordionController c = Controller();
        c.EndEpoch(0, [10], 0.1, 0.1);
        c.EndEpoch(1, [10], 0.1, 0.1);
        c.EndEpoch(2, [9], 0.1, 0.1);                                // HIGH from epoch 3

        Level next = c.EndEpoch(3, [9], 0.025, 0.0625)[0];            // LR rises

        Assert.Equal(Level.High, next);
    }

    [Fact]
    public void EndEpoch_StaticRun_NeverChangesLevel()
    {
        var c = new AccordionController([true, false], Level.High, 2, 0.5, true, enabled: false);

        c.EndEpoch(0, [1, 1], 0.1, 0.01);

        Assert.Equal([Level.High, Level.High], c.Levels);
    }

    [Fact]
    public void SaveLoad_RoundTrip_KeepsLevelsAndTheHistoryTheNextCheckNeeds()
    {
        AccordionController a = Controller();
        a.EndEpoch(0, [10], 0.1, 0.1);
        a.EndEpoch(1, [3], 0.1, 0.1);
        AccordionController b = Controller();

        b.Load(a.Save());

        Assert.Equal(a.EndEpoch(2, [6], 0.1, 0.1), b.EndEpoch(2, [6], 0.1, 0.1));
    }

    [Fact]
    public void SetLevel_RankSwitchRedrawsQueryAndKeepsErrorFeedback_SameLevelKeepsQuery()
    {
        // Check 4 (§2.4): a rank change re-draws Q at the new shape and keeps e; the same level is a no-op.
        var config = new CompressionConfig { Kind = "powersgd", Mode = "accordion", Low = 4, High = 1 };
        InProcessCommunicator.Run(1, comm =>
        {
            using var scope = torch.NewDisposeScope();
            var p = torch.zeros([10, 8], requires_grad: true);
            using var reducer = new GradientReducer([("w", p)], config, comm, 1);
            using var g = new Generator(3);
            p.grad = torch.randn([10, 8], generator: g);
            reducer.Reduce(0);
            Tensor q = reducer.Query(0)!;
            float[] ef = reducer.ErrorFeedback(0)!.data<float>().ToArray();
            Assert.Equal([8L, 4L], q.shape);

            reducer.SetLevel(0, Level.Low);
            Assert.Same(q, reducer.Query(0));

            reducer.SetLevel(0, Level.High);
            Assert.Null(reducer.Query(0));
            Assert.Equal(ef, reducer.ErrorFeedback(0)!.data<float>().ToArray());
            p.grad = torch.randn([10, 8], generator: g);
            reducer.Reduce(1);
            Assert.Equal([8L, 1L], reducer.Query(0)!.shape);
        });
    }

    [Fact]
    public void Cost_FmnistCnn_MatchesTheSpecTable()
    {
        // Check 3: per-step floats of FMNIST-CNN (§6): full 94,186; rank 1 1,693; rank 2 2,928; rank 4 5,398;
        // TopK (W = 4, code counting) 99 % 742,770; 10 % 75,426; 2 % 15,434.
        using var model = new Tessera.Nn.FmnistCnn();
        (string, Tensor)[] named = model.named_parameters().Select(p => (p.name, (Tensor)p.parameter)).ToArray();
        long Total(CompressionConfig c, int workers) => InProcessCommunicator.Run(workers, comm =>
        {
            using var reducer = new GradientReducer(named, c, comm, 0);
            return reducer.Tensors.Sum(t => reducer.Cost(t.Index, Level.Low));
        })[0];

        Assert.Equal(94_186, Total(new CompressionConfig { Mode = "none" }, 1));
        Assert.Equal(1_693, Total(new CompressionConfig { Kind = "powersgd", Mode = "static-low", Low = 1 }, 1));
        Assert.Equal(2_928, Total(new CompressionConfig { Kind = "powersgd", Mode = "static-low", Low = 2 }, 1));
        Assert.Equal(5_398, Total(new CompressionConfig { Kind = "powersgd", Mode = "static-low", Low = 4 }, 1));
        Assert.Equal(742_770, Total(new CompressionConfig { Kind = "topk", Mode = "static-low", Low = 0.99 }, 4));
        Assert.Equal(75_426, Total(new CompressionConfig { Kind = "topk", Mode = "static-low", Low = 0.10 }, 4));
        Assert.Equal(15_434, Total(new CompressionConfig { Kind = "topk", Mode = "static-low", Low = 0.02 }, 4));
    }

    [Fact]
    public void Cost_PowerSgdRankAboveMatrixSize_UsesEffectiveRank()
    {
        // Pitfall 7: the 32×9 first conv at rank 16 uses r' = 9: (32 + 9)·9.
        Assert.Equal(369, PowerSgd.Cost(32, 9, 16));
        Assert.Equal((32L, 9L), PowerSgd.MatrixView([32, 1, 3, 3]));
    }

    [Fact]
    public void EpochLr_Spec6Schedule_MatchesTheTable()
    {
        var lr = new LrConfig();   // 0.025·(1 + 3·min(e/2, 1)), ×0.1 from 15, ×0.01 from 25
        double[] expected = [0.025, 0.0625, 0.1, 0.1];
        for (int e = 0; e < 4; e++)
        {
            Assert.Equal(expected[e], EpochLr.At(lr, e), 12);
        }
        Assert.Equal(0.1, EpochLr.At(lr, 14), 12);
        Assert.Equal(0.01, EpochLr.At(lr, 15), 12);
        Assert.Equal(0.001, EpochLr.At(lr, 25), 12);
    }

    [Fact]
    public void EpochLr_CodeFidelity_FiresOneEpochLate()
    {
        // Pitfall 13: the released CIFAR schedule (base 0.1, W = 4, 5 warm-up epochs, decays for e > 150 and e > 250).
        var lr = new LrConfig { Base = 0.1, WarmupEpochs = 5, WarmupFactor = 4, Milestones = [150, 250], CodeOffByOne = true };
        double[] first = [0.1, 0.1, 0.16, 0.22, 0.28, 0.34, 0.4, 0.4];
        for (int e = 0; e < first.Length; e++)
        {
            Assert.Equal(first[e], EpochLr.At(lr, e), 12);
        }
        double[] around = [0.4, 0.4, 0.4, 0.04, 0.04];          // epochs 149..153: the lower rate first runs in 152
        for (int i = 0; i < around.Length; i++)
        {
            Assert.Equal(around[i], EpochLr.At(lr, 149 + i), 12);
        }
    }
}
