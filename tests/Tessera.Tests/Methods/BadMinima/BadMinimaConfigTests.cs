using Tessera.Experiments;
using Tessera.Methods.BadMinima;

namespace Tessera.Tests.Methods.BadMinima;

public sealed class BadMinimaConfigTests
{
    private static BadMinimaConfig Preset(string name) =>
        (BadMinimaConfig)new BadMinimaExperiment().LoadConfig([Presets.Load("bad-minima", name)], []);

    [Fact]
    public void Defaults_AreTheSpecF1Run()
    {
        // Spec §6.1: Fashion-MNIST, n = 2000, R = 10, ρ = 0.1, MLP-BN 512-512; phase 1 lr 0.1, batch 128, stop at 99.9 %
        // checked every 5 epochs, ≤ 200 epochs, × 0.1 after 100; phase 2 lr 0.01, 60 epochs, × 0.1 after 30 and 45,
        // momentum 0.9, coupled wd 5e-4, pad 2 + flip 0.5.
        var c = new BadMinimaConfig();

        Assert.Equal(("fashion-mnist", 2000, 0), (c.Data.Dataset, c.Data.TrainSize, c.Data.TestSize));
        Assert.Equal((10, 0.1), (c.Adversarial.Copies, c.Adversarial.ZeroRatio));
        Assert.Equal("mlp-bn", c.Model.Name);
        Assert.Equal([512, 512], c.Model.Hidden);
        Assert.Equal((0.1, 128, 200, 5, 0.999), (c.Phase1.Lr, c.Phase1.BatchSize, c.Phase1.MaxEpochs, c.Phase1.CheckEvery, c.Phase1.StopAccuracy));
        Assert.Equal([100], c.Phase1.DecayEpochs);
        Assert.Equal((0.01, 128, 60, 0.1), (c.Phase2.Lr, c.Phase2.BatchSize, c.Phase2.Epochs, c.Phase2.DecayFactor));
        Assert.Equal([30, 45], c.Phase2.DecayEpochs);
        Assert.Equal((0.9, 5e-4, 2, 0.5), (c.Phase2.Momentum, c.Phase2.WeightDecay, c.Phase2.CropPadding, c.Phase2.FlipProbability));
        Assert.Equal(["vanilla", "l2", "mom", "da", "all"], c.Grid.Settings);
        Assert.Equal(1, c.Threads);
    }

    [Fact]
    public void Presets_AllLoadAndValidate_SmallIsF1WithThreeSeeds()
    {
        string[] presets = Presets.For("bad-minima").ToArray();

        Assert.Equal(["f1b", "f2-r1", "f2-r20", "f3", "f4", "f5", "quickstart", "small", "smoke"], presets);
        foreach (string p in presets)
        {
            Preset(p).Validate();
        }
        BadMinimaConfig small = Preset("small");
        Assert.Equal([0L, 1L, 2L], small.Seeds());
        Assert.Equal(ConfigLoader.ToJson(new BadMinimaConfig().Phase2), ConfigLoader.ToJson(small.Phase2));
        Assert.Equal(ConfigLoader.ToJson(new BadMinimaConfig().Phase1), ConfigLoader.ToJson(small.Phase1));
        Assert.Equal(new BadMinimaConfig().Adversarial, small.Adversarial);
        Assert.Contains("l2=0.05", small.Grid.Settings);
        BadMinimaConfig smoke = Preset("smoke");
        Assert.Equal((300, 4, 2000), (smoke.Data.TrainSize, smoke.Adversarial.Copies, smoke.Data.TestSize));   // spec S0
    }

    [Fact]
    public void Seeds_StartAtTheConfigSeed()
    {
        var c = new BadMinimaConfig { Seed = 5, Grid = new GridConfig { Seeds = 3 } };

        Assert.Equal([5L, 6L, 7L], c.Seeds());
    }

    [Theory]
    [InlineData("adversarial.copies=0", "adversarial.copies")]
    [InlineData("adversarial.zeroRatio=1", "adversarial.zeroRatio")]
    [InlineData("data.trainSize=0", "data.trainSize")]
    [InlineData("phase1.stopAccuracy=1.5", "phase1.stopAccuracy")]
    [InlineData("phase1.checkEvery=0", "phase1.checkEvery")]
    [InlineData("phase2.flipProbability=2", "phase2.flipProbability")]
    [InlineData("grid.seeds=0", "grid.seeds")]
    [InlineData("grid.inits=[\"random\",\"random\"]", "grid.inits")]
    [InlineData("grid.inits=[\"pretrained\"]", "grid.inits")]
    [InlineData("data.mean=[0.5]", "data.mean")]
    public void Validate_BadValue_ThrowsInputExceptionNamingTheKey(string assignment, string key)
    {
        var e = Assert.Throws<InputException>(() => new BadMinimaExperiment().LoadConfig([], [assignment]));

        Assert.Contains(key, e.Message, StringComparison.Ordinal);
    }
}
