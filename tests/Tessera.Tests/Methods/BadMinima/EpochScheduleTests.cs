using Tessera.Methods.BadMinima;

namespace Tessera.Tests.Methods.BadMinima;

public sealed class EpochScheduleTests
{
    [Fact]
    public void Create_DecayAfterEpochs30And45_Epoch31UsesATenthOfEpoch30()
    {
        // 16 steps per epoch: epoch 30 (1-based) is steps 464..479, epoch 31 starts at step 480 (spec §8 item 8).
        Func<long, double> lr = EpochSchedule.Create(0.01, 16, [30, 45], 0.1);

        Assert.Equal(0.01, lr(0));
        Assert.Equal(0.01, lr(479));
        Assert.Equal(0.001, lr(480), 15);
        Assert.Equal(0.001, lr(719), 15);
        Assert.Equal(0.0001, lr(720), 15);
        Assert.Equal(0.0001, lr(959), 15);
    }

    [Fact]
    public void Create_NoDecay_IsConstant()
    {
        Func<long, double> lr = EpochSchedule.Create(0.1, 157, [], 0.1);

        Assert.Equal(0.1, lr(0));
        Assert.Equal(0.1, lr(1_000_000));
    }

    [Theory]
    [InlineData(new[] { 30, 30 }, 0.1)]
    [InlineData(new[] { 0 }, 0.1)]
    [InlineData(new[] { 45, 30 }, 0.1)]
    [InlineData(new[] { 30 }, 0.0)]
    public void Config_BadDecay_ThrowsInputExceptionNamingTheKey(int[] epochs, double factor)
    {
        var config = new BadMinimaConfig { Phase2 = new Phase2Config { DecayEpochs = epochs, DecayFactor = factor } };

        var e = Assert.Throws<InputException>(config.Validate);

        Assert.Contains("phase2.decay", e.Message, StringComparison.Ordinal);
    }
}
