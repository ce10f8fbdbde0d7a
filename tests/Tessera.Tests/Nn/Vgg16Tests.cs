using Tessera.Nn;

namespace Tessera.Tests.Nn;

/// <summary>The default (bad-global-minima) layout of <see cref="Vgg.Vgg16"/>.</summary>
public sealed class Vgg16Tests
{
    [Fact]
    public void StateDict_Keys_ThirteenConvBnBlocksThenClassifier()
    {
        using var model = Vgg.Vgg16(3, 32, 32, 10);
        string[] keys = ModelChecks.Keys(model);

        int[] convs = [.. Enumerable.Range(0, 13)];
        // TorchSharp lists every parameter first (in declaration order), then every buffer.
        string[] expected =
        [
            .. convs.SelectMany(i => new[] { $"convs.{i}.weight", $"convs.{i}.bias" }),
            .. convs.SelectMany(i => new[] { $"norms.{i}.weight", $"norms.{i}.bias" }),
            "classifier.weight", "classifier.bias",
            .. convs.SelectMany(i => new[] { $"norms.{i}.running_mean", $"norms.{i}.running_var", $"norms.{i}.num_batches_tracked" }),
        ];
        Assert.Equal(expected, keys);
        Assert.Equal([512L, 512L, 3L, 3L], model.state_dict()["convs.12.weight"].shape);
        Assert.Equal([10L, 512L], model.state_dict()["classifier.weight"].shape);
    }

    [Fact]
    public void Parameters_Cifar10_AboutFifteenMillion()
    {
        // 14 714 688 conv weights and biases (torchvision's VGG-16 features) + 2·4224 BN parameters + 5130 classifier.
        using var model = Vgg.Vgg16(3, 32, 32, 10);

        Assert.Equal(14_714_688 + 8_448 + 5_130, model.parameters().Sum(p => p.numel()));
    }

    [Fact]
    public void Forward_Cifar_GivesLogits_AndTooSmallInputIsRejected()
    {
        using var scope = torch.NewDisposeScope();
        using var model = Vgg.Vgg16(3, 32, 32, 10);
        model.eval();   // one image: the last BatchNorm sees a 2×2 map

        var logits = model.call(torch.randn(1, 3, 32, 32));

        Assert.Equal([1L, 10L], logits.shape);
        Assert.Contains("32x32", Assert.Throws<InputException>(() => Vgg.Vgg16(1, 28, 28, 10)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SaveLoad_RoundTrip_KeepsWeightsAndRunningStats()
    {
        using var scope = torch.NewDisposeScope();
        ModelChecks.AssertSaveLoadRoundTrip(() => Vgg.Vgg16(3, 32, 32, 10), torch.randn(1, 3, 32, 32));
    }
}
