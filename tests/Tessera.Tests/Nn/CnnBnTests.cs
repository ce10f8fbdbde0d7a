using Tessera.Nn;

namespace Tessera.Tests.Nn;

public sealed class CnnBnTests
{
    [Fact]
    public void StateDict_Keys_InCallOrder()
    {
        using var model = new CnnBn(1, 28, 28, 10);

        // TorchSharp lists every parameter first (in call order), then every buffer.
        string[] Stats(string n) => [$"{n}.running_mean", $"{n}.running_var", $"{n}.num_batches_tracked"];
        Assert.Equal(
            ["conv1.weight", "conv1.bias", "bn1.weight", "bn1.bias", "conv2.weight", "conv2.bias", "bn2.weight", "bn2.bias",
             "fc1.weight", "fc1.bias", "bn3.weight", "bn3.bias", "fc2.weight", "fc2.bias", .. Stats("bn1"), .. Stats("bn2"), .. Stats("bn3")],
            ModelChecks.Keys(model));
        Assert.Equal([128L, 1568L], model.state_dict()["fc1.weight"].shape);   // spec F5: Linear(1568 → 128)
    }

    [Theory]
    [InlineData(1, 28, 28)]
    [InlineData(3, 32, 32)]
    [InlineData(1, 8, 8)]
    public void Forward_InputSize_GivesLogits(int c, int height, int width)
    {
        using var scope = torch.NewDisposeScope();
        using var model = new CnnBn(c, height, width, 10);

        var logits = model.call(torch.randn(3, c, height, width));

        Assert.Equal([3L, 10L], logits.shape);
    }

    [Fact]
    public void Constructor_TooSmall_ThrowsInputExceptionSuggestingMlpBn()
    {
        var ex = Assert.Throws<InputException>(() => new CnnBn(1, 3, 8, 10));

        Assert.Contains("mlp-bn", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Forward_AfterWarmUp_LeavesOnlyItsResult()
    {
        using var scope = torch.NewDisposeScope();
        using var model = new CnnBn(1, 8, 8, 10);
        ModelChecks.AssertForwardLeavesOnlyItsResult(model, torch.randn(2, 1, 8, 8));
    }

    [Fact]
    public void SaveLoad_RoundTrip_KeepsWeightsAndRunningStats()
    {
        using var scope = torch.NewDisposeScope();
        ModelChecks.AssertSaveLoadRoundTrip(() => new CnnBn(1, 8, 8, 10), torch.randn(4, 1, 8, 8));
    }
}
