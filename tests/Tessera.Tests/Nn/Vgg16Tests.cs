using Tessera.Nn;

namespace Tessera.Tests.Nn;

public sealed class Vgg16Tests
{
    [Fact]
    public void StateDict_Keys_ThirteenConvBnBlocksThenClassifier()
    {
        using var model = new Vgg16(3, 32, 32, 10);
        string[] keys = ModelChecks.Keys(model);

        // Conv blocks at Sequential indices 0,3 | pool 6 | 7,10 | pool 13 | 14,17,20 | pool 23 | 24,27,30 | pool 33 | 34,37,40 | pool 43.
        int[] convs = [0, 3, 7, 10, 14, 17, 20, 24, 27, 30, 34, 37, 40];
        // TorchSharp lists every parameter first, then every buffer.
        string[] expected =
        [
            .. convs.SelectMany(i => new[] { $"features.{i}.weight", $"features.{i}.bias", $"features.{i + 1}.weight", $"features.{i + 1}.bias" }),
            "classifier.weight", "classifier.bias",
            .. convs.SelectMany(i => new[] { $"features.{i + 1}.running_mean", $"features.{i + 1}.running_var", $"features.{i + 1}.num_batches_tracked" }),
        ];
        Assert.Equal(expected, keys);
        Assert.Equal([512L, 512L, 3L, 3L], model.state_dict()["features.40.weight"].shape);
        Assert.Equal([10L, 512L], model.state_dict()["classifier.weight"].shape);
    }

    [Fact]
    public void Parameters_Cifar10_AboutFifteenMillion()
    {
        // 14 714 688 conv weights and biases (torchvision's VGG-16 features) + 2·4224 BN parameters + 5130 classifier.
        using var model = new Vgg16(3, 32, 32, 10);

        Assert.Equal(14_714_688 + 8_448 + 5_130, model.parameters().Sum(p => p.numel()));
    }

    [Fact]
    public void Forward_Cifar_GivesLogits_AndTooSmallInputIsRejected()
    {
        using var scope = torch.NewDisposeScope();
        using var model = new Vgg16(3, 32, 32, 10);
        model.eval();   // one image: the last BatchNorm sees a 2×2 map

        var logits = model.call(torch.randn(1, 3, 32, 32));

        Assert.Equal([1L, 10L], logits.shape);
        Assert.Contains("vgg16", Assert.Throws<InputException>(() => new Vgg16(1, 28, 28, 10)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SaveLoad_RoundTrip_KeepsWeightsAndRunningStats()
    {
        using var scope = torch.NewDisposeScope();
        BatchNormModelChecks.AssertSaveLoadKeepsRunningStats(() => new Vgg16(3, 32, 32, 10), torch.randn(1, 3, 32, 32));
    }
}
