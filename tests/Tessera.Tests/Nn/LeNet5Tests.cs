using Tessera.Nn;

namespace Tessera.Tests.Nn;

public sealed class LeNet5Tests
{
    [Fact]
    public void StateDict_Keys_AreConvsThenFcs()
    {
        using var model = new LeNet5(1, 28, 28, 10);

        Assert.Equal(
            ["conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc1.weight", "fc1.bias",
             "fc2.weight", "fc2.bias", "fc3.weight", "fc3.bias"],
            ModelChecks.Keys(model));
    }

    [Theory]
    [InlineData(1, 28, 28, 400)]   // 28 → 14 → 10 → 5: 16·5·5
    [InlineData(3, 32, 32, 576)]   // 32 → 16 → 12 → 6: 16·6·6
    [InlineData(1, 12, 12, 16)]    // the minimum: 12 → 6 → 2 → 1
    [InlineData(1, 12, 20, 48)]    // non-square: 12 → 1 and 20 → 10 → 6 → 3
    public void Forward_InputSize_GivesLogitsAndFlattenSizeFromInput(int c, int height, int width, long flatten)
    {
        using var scope = torch.NewDisposeScope();
        using var model = new LeNet5(c, height, width, 10);

        var logits = model.call(torch.randn(2, c, height, width));

        Assert.Equal([2L, 10L], logits.shape);
        Assert.Equal([120L, flatten], model.state_dict()["fc1.weight"].shape);
        Assert.Equal([6L, c, 5L, 5L], model.state_dict()["conv1.weight"].shape);
    }

    [Theory]
    [InlineData(11, 28)]
    [InlineData(28, 11)]
    [InlineData(8, 8)]
    public void Constructor_TooSmallInput_ThrowsInputExceptionSuggestingOtherModels(int height, int width)
    {
        var ex = Assert.Throws<InputException>(() => new LeNet5(1, height, width, 10));

        Assert.Contains("12x12", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"{height}x{width}", ex.Message, StringComparison.Ordinal);
        Assert.Contains("model.name=mlp", ex.Message, StringComparison.Ordinal);
        Assert.Contains("smallcnn", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Forward_AfterWarmUp_LeavesOnlyItsResult()
    {
        using var scope = torch.NewDisposeScope();
        using var model = new LeNet5(1, 28, 28, 10);
        ModelChecks.AssertForwardLeavesOnlyItsResult(model, torch.randn(2, 1, 28, 28));
    }

    [Fact]
    public void SaveLoad_RoundTrip_GivesIdenticalOutputs()
    {
        using var scope = torch.NewDisposeScope();
        ModelChecks.AssertSaveLoadRoundTrip(() => new LeNet5(3, 32, 32, 10), torch.randn(2, 3, 32, 32));
    }
}
