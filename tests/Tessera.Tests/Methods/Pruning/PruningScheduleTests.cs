using Tessera.Methods.Pruning;

namespace Tessera.Tests.Methods.Pruning;

public sealed class PruningScheduleTests
{
    [Fact]
    public void FinetuneMilestones_E150_LrSequenceIs001Then0001At80Then00001At120()
    {
        // Pitfall 12: MultiStep stepped per epoch, milestones by the reference rule.
        var t = new WeightTrainConfig { Epochs = 150, Lr = 0.01 };
        var phase = new Phase("ft", 1000, 1000 + (150 * 10));
        Func<long, double> lr = PruningRun.MultiStep(phase, 10, t.Lr, t.EffectiveMilestones());

        Assert.Equal([80, 120], t.EffectiveMilestones());
        Assert.Equal(0.01, lr(1000), 12);
        Assert.Equal(0.01, lr(1000 + (79 * 10) + 9), 12);
        Assert.Equal(0.001, lr(1000 + (80 * 10)), 12);
        Assert.Equal(0.0001, lr(1000 + (120 * 10)), 12);
    }

    [Theory]
    [InlineData(160, new[] { 80, 120 })]
    [InlineData(200, new[] { 100, 150 })]
    [InlineData(300, new[] { 150, 250 })]
    [InlineData(100, new[] { 50, 80 })]
    [InlineData(20, new[] { 10, 13 })]
    public void EffectiveMilestones_FollowTheReferenceRule(int epochs, int[] expected)
    {
        Assert.Equal(expected, new WeightTrainConfig { Epochs = epochs }.EffectiveMilestones());
    }

    [Fact]
    public void Cosine_IsSteppedOncePerEpoch_AndEndsAboveZero()
    {
        var phase = new Phase("mine", 0, 5 * 100);
        Func<long, double> lr = PruningRun.Cosine(phase, 100, 5, 0.1);

        Assert.Equal(0.1, lr(0), 12);
        Assert.Equal(0.1, lr(99), 12);
        Assert.Equal(0.05 * (1 + Math.Cos(Math.PI / 5)), lr(100), 12);
        Assert.Equal(0.05 * (1 + Math.Cos(Math.PI * 4 / 5)), lr(499), 12);
    }
}
