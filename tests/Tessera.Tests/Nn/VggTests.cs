using Tessera.Nn;
using Tessera.Tests.Support;

namespace Tessera.Tests.Nn;

public sealed class VggTests
{
    [Fact]
    public void StateDict_ThirteenConvsAndTheClassifier_ThenTheNorms()
    {
        using var model = Vgg.Vgg16(3, 32, 32, 10, biasFree: true);

        string[] keys = ModelChecks.Keys(model);
        Assert.Equal(13, keys.Count(k => k.StartsWith("convs.", StringComparison.Ordinal)));
        Assert.Equal(13 * 3, keys.Count(k => k.StartsWith("norms.", StringComparison.Ordinal)));
        Assert.Equal("classifier.weight", keys[13]);
        Assert.Equal("norms.12.num_batches_tracked", keys[^1]);
        Assert.Equal([10L, 512L, 1L, 1L], model.state_dict()["classifier.weight"].shape);
        BnModelChecks.AssertOnlyPrunableWeights(model);
    }

    [Fact]
    public void Cifar10_HasTheExpectedWeightCount()
    {
        // 3·64·9 + 64·64·9 + 64·128·9 + 128·128·9 + 128·256·9 + 2·256·256·9 + 256·512·9 + 5·512·512·9 + 512·10 = 14,715,584.
        using var model = Vgg.Vgg16(3, 32, 32, 10, biasFree: true);

        Assert.Equal(14_715_584, BnModelChecks.PrunableWeights(model));
    }

    [Fact]
    public void Forward_32x32_GivesLogits()
    {
        using var scope = torch.NewDisposeScope();
        using var model = Vgg.Vgg16(3, 32, 32, 10, biasFree: true);
        model.eval();
        using var noGrad = torch.no_grad();

        Assert.Equal([2L, 10L], model.call(torch.randn(2, 3, 32, 32)).shape);
    }

    [Fact]
    [Trait("Category", Cat.Slow)]       // two 14.7M-weight models and a 59 MB file: a few seconds
    public void SaveLoad_RoundTrip_KeepsRunningStatistics()
    {
        using var scope = torch.NewDisposeScope();
        ModelChecks.AssertSaveLoadRoundTrip(() => Vgg.Vgg16(3, 32, 32, 10, biasFree: true), torch.randn(2, 3, 32, 32));
    }

    [Fact]
    public void Constructor_28x28_ThrowsInputException()
    {
        Assert.Throws<InputException>(() => Vgg.Vgg16(1, 28, 28, 10, biasFree: true));
    }
}
