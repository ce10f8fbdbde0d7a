using Tessera.Nn;

namespace Tessera.Tests.Nn;

public sealed class ConvFmTests
{
    [Fact]
    public void StateDict_Keys_WeightsThenNormStatistics()
    {
        using var model = new ConvFm(1, 28, 28, 10);

        string[] stats(string n) => [$"{n}.running_mean", $"{n}.running_var", $"{n}.num_batches_tracked"];
        Assert.Equal(
            ["conv1.weight", "conv2.weight", "conv3.weight", "conv4.weight", "fc1.weight", "fc2.weight",
             .. stats("bn1"), .. stats("bn2"), .. stats("bn3"), .. stats("bn4"), .. stats("bn5")],
            ModelChecks.Keys(model));
        Assert.Equal([128L, 1568L], model.state_dict()["fc1.weight"].shape);
        BnModelChecks.AssertOnlyPrunableWeights(model);
    }

    [Fact]
    public void ConvFm_HasTheSpecsWeightCount()
    {
        // Spec §6: 144 + 2,304 + 4,608 + 9,216 + 1568·128 + 128·10 = 218,256.
        using var model = new ConvFm(1, 28, 28, 10);

        Assert.Equal(218_256, BnModelChecks.PrunableWeights(model));
    }

    [Fact]
    public void Forward_28x28_GivesLogits_AndGradients()
    {
        using var scope = torch.NewDisposeScope();
        using var model = new ConvFm(1, 28, 28, 10);

        BnModelChecks.AssertForwardBackward(model, torch.randn(4, 1, 28, 28), 10);
    }

    [Fact]
    public void SaveLoad_RoundTrip_KeepsRunningStatistics()
    {
        using var scope = torch.NewDisposeScope();
        ModelChecks.AssertSaveLoadRoundTrip(() => new ConvFm(1, 12, 12, 10), torch.randn(4, 1, 12, 12));
    }

    [Fact]
    public void Constructor_TinyImages_ThrowsInputException()
    {
        Assert.Throws<InputException>(() => new ConvFm(1, 3, 28, 10));
    }
}
