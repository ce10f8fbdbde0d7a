using Tessera.Nn;

namespace Tessera.Tests.Nn;

public sealed class MlpBnBiasFreeTests
{
    [Fact]
    public void StateDict_TwoHiddenLayers_LinearsThenNonAffineNorms()
    {
        using var model = new MlpBn(16, [5, 4], 3, biasFree: true);

        Assert.Equal(
            ["layers.0.weight", "layers.1.weight", "layers.2.weight",
             "norms.0.running_mean", "norms.0.running_var", "norms.0.num_batches_tracked",
             "norms.1.running_mean", "norms.1.running_var", "norms.1.num_batches_tracked"],
            ModelChecks.Keys(model));
        Assert.Equal([4L, 5L], model.state_dict()["layers.1.weight"].shape);
        BnModelChecks.AssertOnlyPrunableWeights(model);
    }

    [Fact]
    public void MlpFm_HasTheSpecsWeightCount()
    {
        // Spec §6: 784·300 + 300·100 + 100·10 = 266,200.
        using var model = new MlpBn(784, [300, 100], 10, biasFree: true);

        Assert.Equal(266_200, BnModelChecks.PrunableWeights(model));
    }

    [Fact]
    public void Forward_ImageBatch_GivesLogits_AndGradients()
    {
        using var scope = torch.NewDisposeScope();
        using var model = new MlpBn(784, [30, 20], 10, biasFree: true);

        BnModelChecks.AssertForwardBackward(model, torch.randn(6, 1, 28, 28), 10);
    }

    [Fact]
    public void Forward_EvalWithFreshStatistics_IsTheBiasFreeNetworkScaledByBatchNorm()
    {
        // Given: fresh running statistics (mean 0, var 1), so eval-mode BN divides by √(1 + 1e-5)
        using var scope = torch.NewDisposeScope();
        using var model = new MlpBn(3, [2], 2, biasFree: true);
        model.eval();
        Tensor w0 = model.state_dict()["layers.0.weight"], w1 = model.state_dict()["layers.1.weight"];
        Tensor x = torch.randn(4, 3);

        Tensor y = model.call(x);

        Tensor expected = nn.functional.relu(x.matmul(w0.t()) / Math.Sqrt(1 + 1e-5)).matmul(w1.t());
        Assert.True(torch.allclose(y, expected, rtol: 1e-5, atol: 1e-6));
    }

    [Fact]
    public void SaveLoad_RoundTrip_KeepsRunningStatistics()
    {
        using var scope = torch.NewDisposeScope();
        ModelChecks.AssertSaveLoadRoundTrip(() => new MlpBn(12, [7, 5], 4, biasFree: true), torch.randn(8, 12));
    }

    [Fact]
    public void Forward_AfterWarmUp_LeavesOnlyItsResult()
    {
        using var scope = torch.NewDisposeScope();
        using var model = new MlpBn(12, [7, 5], 4, biasFree: true);
        ModelChecks.AssertForwardLeavesOnlyItsResult(model, torch.randn(3, 12));
    }

    [Fact]
    public void Constructor_NonPositiveWidth_ThrowsInputExceptionNamingKey()
    {
        var ex = Assert.Throws<InputException>(() => new MlpBn(4, [8, 0], 2, biasFree: true));

        Assert.Contains("model.hidden", ex.Message, StringComparison.Ordinal);
    }
}
