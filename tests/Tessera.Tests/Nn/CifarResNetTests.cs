using Tessera.Nn;

namespace Tessera.Tests.Nn;

public sealed class CifarResNetTests
{
    [Fact]
    public void ResNet20_StateDict_StemStagesBlocksClassifier()
    {
        using var model = CifarResNet.ResNet20(biasFree: true);

        string[] keys = ModelChecks.Keys(model);
        string[] blocks = Enumerable.Range(0, 3).SelectMany(s => Enumerable.Range(0, 3).Select(b => $"stages.{s}.{b}")).ToArray();
        string[] stats(string n) => [$"{n}.running_mean", $"{n}.running_var", $"{n}.num_batches_tracked"];
        Assert.Equal(
            ["conv1.weight", .. blocks.SelectMany(b => new[] { $"{b}.conv1.weight", $"{b}.conv2.weight" }), "fc.weight",
             .. stats("bn1"), .. blocks.SelectMany(b => stats($"{b}.bn1").Concat(stats($"{b}.bn2")))],
            keys);
        Assert.Contains("stages.2.2.bn2.running_var", keys);
        Assert.DoesNotContain(keys, k => k.Contains("shortcut", StringComparison.Ordinal));
        Assert.Equal(19, keys.Count(k => k.EndsWith("conv1.weight", StringComparison.Ordinal) || k.EndsWith("conv2.weight", StringComparison.Ordinal)));
        Assert.Equal([10L, 64L, 1L, 1L], model.state_dict()["fc.weight"].shape);
        BnModelChecks.AssertOnlyPrunableWeights(model);
    }

    [Fact]
    public void ResNet20_HasTheSpecsWeightCount_ResNet32Too()
    {
        // Spec §4: 432 + 6·2,304 + 4,608 + 5·9,216 + 18,432 + 5·36,864 + 640 = 268,336 (ResNet-20, CIFAR-10).
        using var r20 = CifarResNet.ResNet20(biasFree: true);
        using var r32 = CifarResNet.ResNet32(biasFree: true);

        Assert.Equal(268_336, BnModelChecks.PrunableWeights(r20));
        // ResNet-32 adds 2 blocks per stage (2·2·(2,304 + 9,216 + 36,864) = 193,536) and 100 classes (+5,760).
        Assert.Equal(268_336 + 193_536 + 5_760, BnModelChecks.PrunableWeights(r32));
    }

    [Theory]
    [InlineData(1, 28, 28)]
    [InlineData(3, 32, 32)]
    public void ResNet20_SpecInputs_GivesLogits_AndGradients(int c, int h, int w)
    {
        using var scope = torch.NewDisposeScope();
        using var model = CifarResNet.ResNet20(c, biasFree: true);

        BnModelChecks.AssertForwardBackward(model, torch.randn(2, c, h, w), 10);
    }

    [Fact]
    public void ResNet18_HasProjectionShortcuts_AndGivesLogits()
    {
        using var scope = torch.NewDisposeScope();
        using var model = CifarResNet.ResNet18(biasFree: true);

        string[] keys = ModelChecks.Keys(model);
        Assert.Contains("stages.1.0.shortcut_conv.weight", keys);
        Assert.Contains("stages.1.0.shortcut_bn.running_mean", keys);
        Assert.DoesNotContain("stages.0.0.shortcut_conv.weight", keys);
        Assert.Equal([128L, 64L, 1L, 1L], model.state_dict()["stages.1.0.shortcut_conv.weight"].shape);
        model.eval();
        using var noGrad = torch.no_grad();
        Assert.Equal([2L, 10L], model.call(torch.randn(2, 3, 32, 32)).shape);
    }

    [Fact]
    public void SaveLoad_RoundTrip_KeepsRunningStatistics()
    {
        using var scope = torch.NewDisposeScope();
        ModelChecks.AssertSaveLoadRoundTrip(() => CifarResNet.ResNet20(3, 10, biasFree: true), torch.randn(4, 3, 8, 8));
    }

    [Fact]
    public void ZeroPadShortcut_ZeroResidual_PassesSubsampledInputIntoTheMiddleChannels()
    {
        // Given: a downsampling block 2 → 4 channels whose convs are zero, so the output is relu(0 + shortcut)
        using var scope = torch.NewDisposeScope();
        using var block = new ResNetBlock(2, 4, 2, ShortcutKind.ZeroPad, biasFree: true);
        using (torch.no_grad())
        {
            foreach (var p in block.parameters())
            {
                p.zero_();
            }
        }
        block.eval();
        Tensor x = torch.arange(2 * 4 * 4, dtype: ScalarType.Float32).reshape(1, 2, 4, 4);

        Tensor y = block.call(x);

        // Then: planes/4 = 1 zero channel on each side; the middle channels hold x[:, :, ::2, ::2] (all ≥ 0, so ReLU keeps them)
        Assert.Equal([1L, 4L, 2L, 2L], y.shape);
        Assert.Equal([0f, 2f, 8f, 10f], y[0, 1].flatten().data<float>().ToArray());
        Assert.Equal([16f, 18f, 24f, 26f], y[0, 2].flatten().data<float>().ToArray());
        Assert.Equal(0f, y[0, 0].abs().sum().item<float>());
        Assert.Equal(0f, y[0, 3].abs().sum().item<float>());
    }
}
