using Tessera.Nn;

namespace Tessera.Tests.Nn;

public sealed class SmallCnnTests
{
    [Fact]
    public void StateDict_Keys_AreConvsThenFcs()
    {
        using var model = new SmallCnn(1, 8, 8, 10);

        Assert.Equal(
            ["conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc1.weight", "fc1.bias",
             "fc2.weight", "fc2.bias"],
            ModelChecks.Keys(model));
        Assert.Equal([128L, 64L * 4 * 4], model.state_dict()["fc1.weight"].shape);
    }

    [Theory]
    [InlineData(1, 8, 8)]
    [InlineData(1, 28, 28)]
    [InlineData(3, 32, 32)]
    [InlineData(1, 2, 3)]
    public void Forward_InputSize_GivesLogits(int c, int height, int width)
    {
        using var scope = torch.NewDisposeScope();
        using var model = new SmallCnn(c, height, width, 10);

        var logits = model.call(torch.randn(3, c, height, width));

        Assert.Equal([3L, 10L], logits.shape);
    }

    [Fact]
    public void Constructor_OnePixelHigh_ThrowsInputException()
    {
        var ex = Assert.Throws<InputException>(() => new SmallCnn(1, 1, 8, 10));

        Assert.Contains("model.name=mlp", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Forward_AfterWarmUp_LeavesOnlyItsResult()
    {
        using var scope = torch.NewDisposeScope();
        using var model = new SmallCnn(1, 8, 8, 10);
        ModelChecks.AssertForwardLeavesOnlyItsResult(model, torch.randn(2, 1, 8, 8));
    }

    [Fact]
    public void SaveLoad_RoundTrip_GivesIdenticalOutputs()
    {
        using var scope = torch.NewDisposeScope();
        ModelChecks.AssertSaveLoadRoundTrip(() => new SmallCnn(1, 8, 8, 10), torch.randn(4, 1, 8, 8));
    }

    [Fact]
    public void Train_NoisyPrototypes8x8_LossFallsFast()
    {
        // Given: 4 classes, each a fixed random 8x8 prototype plus noise (like tiny digits)
        using var scope = torch.NewDisposeScope();
        torch.random.manual_seed(7);
        var prototypes = torch.randn(4, 1, 8, 8);
        var y = torch.arange(64, dtype: ScalarType.Int64) % 4;
        var x = prototypes.index_select(0, y) + 0.5 * torch.randn(64, 1, 8, 8);
        using var model = new SmallCnn(1, 8, 8, 4);
        using var opt = torch.optim.Adam(model.parameters(), lr: 1e-3);
        double first = 0, last = 0;

        // When: 20 full-batch steps
        for (int step = 0; step < 20; step++)
        {
            using var stepScope = torch.NewDisposeScope();
            opt.zero_grad();
            var loss = nn.functional.cross_entropy(model.call(x), y);
            loss.backward();
            opt.step();
            last = loss.item<float>();
            if (step == 0)
            {
                first = last;
            }
        }

        // Then: from about ln 4 ≈ 1.39 to well below
        Assert.InRange(first, 1.0, 2.0);
        Assert.True(last < 0.3 * first, $"loss {first} → {last}");
    }
}
