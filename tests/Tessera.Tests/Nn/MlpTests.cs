using Tessera.Nn;

namespace Tessera.Tests.Nn;

public sealed class MlpTests
{
    [Fact]
    public void StateDict_TwoHiddenLayers_KeysAreOneListOfLinears()
    {
        using var model = new Mlp(16, [5, 4], 3);

        Assert.Equal(
            ["layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias", "layers.2.weight", "layers.2.bias"],
            ModelChecks.Keys(model));
        Assert.Equal([5L, 16L], model.state_dict()["layers.0.weight"].shape);
        Assert.Equal([3L, 4L], model.state_dict()["layers.2.weight"].shape);
    }

    [Fact]
    public void Forward_ImageBatch_FlattensToLogits()
    {
        using var scope = torch.NewDisposeScope();
        using var model = new Mlp(1 * 4 * 4, [8], 3);

        var logits = model.call(torch.randn(6, 1, 4, 4));

        Assert.Equal([6L, 3L], logits.shape);
    }

    [Fact]
    public void Forward_NoHiddenLayer_IsOneLinearMap()
    {
        using var scope = torch.NewDisposeScope();
        using var model = new Mlp(4, [], 2);
        var x = torch.randn(5, 4);
        var w = model.state_dict()["layers.0.weight"];
        var b = model.state_dict()["layers.0.bias"];

        var logits = model.call(x);

        Assert.Single(model.state_dict().Keys, k => k.EndsWith(".weight", StringComparison.Ordinal));
        Assert.True(torch.allclose(logits, x.matmul(w.t()) + b, rtol: 1e-6, atol: 1e-6));
    }

    [Fact]
    public void Forward_NegativePreActivations_AreCutByRelu()
    {
        // Given: hidden weights that make every hidden unit negative, output = sum of hidden units
        using var scope = torch.NewDisposeScope();
        using var model = new Mlp(2, [3], 1);
        using (torch.no_grad())
        {
            model.state_dict()["layers.0.weight"].fill_(-1.0);
            model.state_dict()["layers.0.bias"].zero_();
            model.state_dict()["layers.1.weight"].fill_(1.0);
            model.state_dict()["layers.1.bias"].fill_(0.5);
        }

        // When
        var y = model.call(torch.tensor(new float[] { 1f, 2f, -1f, -2f }, [2, 2]));

        // Then: positive inputs give hidden −3 → 0 → 0.5; negative inputs give hidden 3 each → 9.5
        Assert.Equal([0.5f, 9.5f], y.flatten().data<float>().ToArray());
    }

    [Fact]
    public void Forward_AfterWarmUp_LeavesOnlyItsResult()
    {
        using var scope = torch.NewDisposeScope();
        using var model = new Mlp(12, [7, 5], 4);
        ModelChecks.AssertForwardLeavesOnlyItsResult(model, torch.randn(3, 12));
    }

    [Fact]
    public void SaveLoad_RoundTrip_GivesIdenticalOutputs()
    {
        using var scope = torch.NewDisposeScope();
        ModelChecks.AssertSaveLoadRoundTrip(() => new Mlp(12, [7, 5], 4), torch.randn(3, 3, 2, 2));
    }

    [Fact]
    public void Constructor_NonPositiveHiddenWidth_ThrowsInputExceptionNamingKey()
    {
        var ex = Assert.Throws<InputException>(() => new Mlp(4, [8, 0], 2));

        Assert.Contains("model.hidden", ex.Message, StringComparison.Ordinal);
    }
}
