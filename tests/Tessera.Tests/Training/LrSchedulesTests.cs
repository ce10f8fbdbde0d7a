using Tessera.Training;

namespace Tessera.Tests.Training;

public sealed class LrSchedulesTests
{
    [Fact]
    public void WarmupCosine_FollowsNanoGptShape()
    {
        var lr = LrSchedules.WarmupCosine(peak: 1e-3, warmup: 100, maxSteps: 1100, min: 1e-4);

        Assert.Equal(0, lr(0));
        Assert.Equal(5e-4, lr(50), 12);
        Assert.Equal(1e-3, lr(100), 12);
        Assert.Equal(5.5e-4, lr(600), 12);      // halfway through the cosine: (peak + min) / 2
        Assert.Equal(1e-4, lr(1100), 12);       // exactly lr/10 at max_iters
    }

    [Fact]
    public void WarmupCosine_WithoutWarmup_StartsAtPeak()
    {
        var lr = LrSchedules.WarmupCosine(1e-3, 0, 10, 1e-4);
        Assert.Equal(1e-3, lr(0), 12);
    }

    [Fact]
    public void StepSeeds_DependOnEveryPart()
    {
        long a = StepSeeds.For(1, 2, "data");
        Assert.Equal(a, StepSeeds.For(1, 2, "data"));
        Assert.NotEqual(a, StepSeeds.For(2, 2, "data"));
        Assert.NotEqual(a, StepSeeds.For(1, 3, "data"));
        Assert.NotEqual(a, StepSeeds.For(1, 2, "augment"));
        Assert.True(a >= 0);
    }
}
