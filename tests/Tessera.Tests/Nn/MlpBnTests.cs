using Tessera.Nn;

namespace Tessera.Tests.Nn;

public sealed class MlpBnTests
{
    [Fact]
    public void StateDict_TwoHiddenLayers_LinearsThenNormsThenBuffers()
    {
        using var model = new MlpBn(16, [5, 4], 3);

        // TorchSharp lists every parameter first, then every buffer.
        Assert.Equal(
            ["layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias", "layers.2.weight", "layers.2.bias",
             "norms.0.weight", "norms.0.bias", "norms.1.weight", "norms.1.bias",
             "norms.0.running_mean", "norms.0.running_var", "norms.0.num_batches_tracked",
             "norms.1.running_mean", "norms.1.running_var", "norms.1.num_batches_tracked"],
            ModelChecks.Keys(model));
    }

    [Fact]
    public void Parameters_SpecMlpBn_Has671754()
    {
        // Spec §6.1: 784·512+512 + 2·512 + 512·512+512 + 2·512 + 512·10+10 = 671 754.
        using var model = new MlpBn(784, [512, 512], 10);

        Assert.Equal(671_754, model.parameters().Sum(p => p.numel()));
    }

    [Fact]
    public void Forward_ImageBatch_FlattensToLogits()
    {
        using var scope = torch.NewDisposeScope();
        using var model = new MlpBn(1 * 4 * 4, [8], 3);

        var logits = model.call(torch.randn(6, 1, 4, 4));

        Assert.Equal([6L, 3L], logits.shape);
    }

    [Fact]
    public void Forward_EvalModeFreshStats_IsLinearReluLinearScaledByBatchNorm()
    {
        // Given: fresh BN (running mean 0, var 1, γ 1, β 0): in eval mode BN(x) = x / sqrt(1 + 1e-5)
        using var scope = torch.NewDisposeScope();
        using var model = new MlpBn(2, [2], 1);
        using (torch.no_grad())
        {
            model.state_dict()["layers.0.weight"].copy_(torch.tensor(new float[] { 1, 0, 0, -1 }, [2, 2]));
            model.state_dict()["layers.0.bias"].zero_();
            model.state_dict()["layers.1.weight"].copy_(torch.tensor(new float[] { 2, 3 }, [1, 2]));
            model.state_dict()["layers.1.bias"].fill_(0.5f);
        }
        model.eval();

        // When: x = (4, -1): hidden (4, 1) → BN → (4, 1)/s → output 0.5 + (2·4 + 3·1)/s
        var y = model.call(torch.tensor(new float[] { 4, -1 }, [1, 2])).item<float>();

        Assert.Equal(0.5 + 11 / Math.Sqrt(1 + 1e-5), y, 1e-5);
    }

    [Fact]
    public void Forward_TrainMode_UsesBatchStatistics()
    {
        // Given: identity first layer; in train mode BN standardises each hidden unit over the batch
        using var scope = torch.NewDisposeScope();
        using var model = new MlpBn(1, [1], 1);
        using (torch.no_grad())
        {
            model.state_dict()["layers.0.weight"].fill_(1f);
            model.state_dict()["layers.0.bias"].zero_();
            model.state_dict()["layers.1.weight"].fill_(1f);
            model.state_dict()["layers.1.bias"].zero_();
        }
        model.train();

        // When: inputs 1 and 3: batch mean 2, biased variance 1 → BN gives −1, +1 → ReLU 0, 1
        var y = model.call(torch.tensor(new float[] { 1, 3 }, [2, 1])).flatten().data<float>().ToArray();

        Assert.Equal(0, y[0], 4);
        Assert.Equal(1 / Math.Sqrt(1 + 1e-5), y[1], 4);
    }

    [Fact]
    public void Forward_AfterWarmUp_LeavesOnlyItsResult()
    {
        using var scope = torch.NewDisposeScope();
        using var model = new MlpBn(12, [7, 5], 4);
        ModelChecks.AssertForwardLeavesOnlyItsResult(model, torch.randn(3, 12));
    }

    [Fact]
    public void SaveLoad_RoundTrip_KeepsWeightsAndRunningStats()
    {
        using var scope = torch.NewDisposeScope();
        ModelChecks.AssertSaveLoadRoundTrip(() => new MlpBn(12, [7, 5], 4), torch.randn(6, 3, 2, 2));
    }

}
