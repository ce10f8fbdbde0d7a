using Tessera.Nn;

namespace Tessera.Tests.Nn;

public sealed class Conv4Tests
{
    [Fact]
    public void StateDict_Keys_AreSevenBiasFreeWeights()
    {
        using var model = new Conv4(3, 32, 32, 10);

        Assert.Equal(
            ["conv1.weight", "conv2.weight", "conv3.weight", "conv4.weight", "fc1.weight", "fc2.weight", "fc3.weight"],
            ModelChecks.Keys(model));
        Assert.Equal([256L, 8192L], model.state_dict()["fc1.weight"].shape);
    }

    [Fact]
    public void Cifar_HasTheSpecsWeightCount()
    {
        // Spec §4: 1,728 + 36,864 + 73,728 + 147,456 + 2,097,152 + 65,536 + 2,560 = 2,425,024.
        using var model = new Conv4(3, 32, 32, 10);

        Assert.Equal(2_425_024, BnModelChecks.PrunableWeights(model));
    }

    [Theory]
    [InlineData(1, 28, 28)]
    [InlineData(3, 32, 32)]
    public void Forward_SpecInputs_GivesLogits_AndGradients(int c, int h, int w)
    {
        using var scope = torch.NewDisposeScope();
        using var model = new Conv4(c, h, w, 10);

        BnModelChecks.AssertForwardBackward(model, torch.randn(2, c, h, w), 10);
    }

    [Fact]
    public void SaveLoad_RoundTrip_GivesIdenticalOutputs()
    {
        using var scope = torch.NewDisposeScope();
        ModelChecks.AssertSaveLoadRoundTrip(() => new Conv4(1, 8, 8, 10), torch.randn(2, 1, 8, 8));
    }
}
