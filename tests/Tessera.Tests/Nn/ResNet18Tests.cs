using Tessera.Nn;

namespace Tessera.Tests.Nn;

/// <summary>The default (bad-global-minima and ACCORDION) layout of <see cref="CifarResNet.ResNet18"/>.</summary>
public sealed class ResNet18Tests
{
    private static readonly (string Name, bool Projection)[] Blocks =
    [
        ("stages.0.0", false), ("stages.0.1", false), ("stages.1.0", true), ("stages.1.1", false),
        ("stages.2.0", true), ("stages.2.1", false), ("stages.3.0", true), ("stages.3.1", false),
    ];

    /// <summary>The BatchNorm layers of a block, in call order.</summary>
    private static string[] Norms(string block, bool projection) =>
        projection ? [$"{block}.bn1", $"{block}.bn2", $"{block}.shortcut_bn"] : [$"{block}.bn1", $"{block}.bn2"];

    [Fact]
    public void StateDict_Keys_StemFourStagesLinear_ThenBuffers()
    {
        using var model = CifarResNet.ResNet18(3, 10);

        // TorchSharp lists every parameter first (in call order), then every buffer.
        string[] Affine(string n) => [$"{n}.weight", $"{n}.bias"];
        string[] Stats(string n) => [$"{n}.running_mean", $"{n}.running_var", $"{n}.num_batches_tracked"];
        string[] parameters =
        [
            "conv1.weight", .. Affine("bn1"),
            .. Blocks.SelectMany(b => new[] { $"{b.Name}.conv1.weight", $"{b.Name}.bn1.weight", $"{b.Name}.bn1.bias",
                $"{b.Name}.conv2.weight", $"{b.Name}.bn2.weight", $"{b.Name}.bn2.bias" }
                .Concat(b.Projection ? [$"{b.Name}.shortcut_conv.weight", .. Affine($"{b.Name}.shortcut_bn")] : [])),
            "fc.weight", "fc.bias",
        ];
        string[] buffers = [.. Stats("bn1"), .. Blocks.SelectMany(b => Norms(b.Name, b.Projection).SelectMany(Stats))];
        Assert.Equal([.. parameters, .. buffers], ModelChecks.Keys(model));
    }

    [Fact]
    public void Parameters_Cifar10_Is11173962()
    {
        // The well-known count of the CIFAR ResNet-18 (3×3 stem, 10 classes).
        using var model = CifarResNet.ResNet18(3, 10);

        Assert.Equal(11_173_962, model.parameters().Sum(p => p.numel()));
    }

    [Theory]
    [InlineData(3, 32)]
    [InlineData(1, 8)]
    public void Forward_InputSize_GivesLogits(int c, int side)
    {
        using var scope = torch.NewDisposeScope();
        using var model = CifarResNet.ResNet18(c, 10);
        model.eval();   // one image: train-mode BatchNorm needs more than one value per channel

        var logits = model.call(torch.randn(1, c, side, side));

        Assert.Equal([1L, 10L], logits.shape);
    }

    [Fact]
    public void Block_IdentityShortcut_AddsInput()
    {
        // Given: a block whose convolutions are zero, so bn2(conv2(.)) = β = 0 and the output is relu(x)
        using var scope = torch.NewDisposeScope();
        using var block = new ResNetBlock(2, 2, 1, ShortcutKind.Projection);
        using (torch.no_grad())
        {
            foreach (var (name, p) in block.named_parameters().Where(kv => kv.name.StartsWith("conv", StringComparison.Ordinal)))
            {
                p.zero_();
            }
        }
        block.eval();
        var x = torch.randn(1, 2, 3, 3);

        var y = block.call(x);

        Assert.True(torch.allclose(y, nn.functional.relu(x)));
        Assert.DoesNotContain(block.state_dict().Keys, k => k.StartsWith("shortcut", StringComparison.Ordinal));
    }

    [Fact]
    public void Block_StrideTwo_HalvesTheMapWithAProjection()
    {
        using var scope = torch.NewDisposeScope();
        using var block = new ResNetBlock(4, 8, 2, ShortcutKind.Projection);

        var y = block.call(torch.randn(2, 4, 8, 8));

        Assert.Equal([2L, 8L, 4L, 4L], y.shape);
        Assert.Equal([8L, 4L, 1L, 1L], block.state_dict()["shortcut_conv.weight"].shape);
    }

    [Fact]
    public void Forward_AfterWarmUp_LeavesOnlyItsResult()
    {
        using var scope = torch.NewDisposeScope();
        using var model = CifarResNet.ResNet18(1, 10);
        ModelChecks.AssertForwardLeavesOnlyItsResult(model, torch.randn(2, 1, 8, 8));
    }

    [Fact]
    public void SaveLoad_RoundTrip_KeepsWeightsAndRunningStats()
    {
        using var scope = torch.NewDisposeScope();
        ModelChecks.AssertSaveLoadRoundTrip(() => CifarResNet.ResNet18(1, 10), torch.randn(2, 1, 8, 8));
    }
}
