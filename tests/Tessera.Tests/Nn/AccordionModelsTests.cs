using Tessera.Nn;

namespace Tessera.Tests.Nn;

/// <summary>The ACCORDION models: parameter and tensor counts from spec §4/§6, keys, shapes, save/load.</summary>
public sealed class AccordionModelsTests
{
    private static (long Params, int Tensors, int Compressible) Counts(nn.Module m)
    {
        Parameter[] ps = m.parameters().ToArray();
        return (ps.Sum(p => p.numel()), ps.Length, ps.Count(p => p.dim() >= 2));
    }

    [Fact]
    public void FmnistCnn_Counts_KeysAndShape()
    {
        using var scope = torch.NewDisposeScope();
        using var model = new FmnistCnn();

        Assert.Equal((94_186L, 11, 4), Counts(model));
        Assert.Equal(["conv1.weight", "bn1.weight", "bn1.bias", "conv2.weight", "bn2.weight", "bn2.bias"], ModelChecks.Keys(model).Take(6));
        Assert.Contains("bn3.running_var", ModelChecks.Keys(model));
        Assert.Equal([3L, 10L], model.call(torch.randn(3, 1, 28, 28)).shape);
    }

    [Fact]
    public void FmnistCnn_SaveLoad_RoundTrip()
    {
        using var scope = torch.NewDisposeScope();
        ModelChecks.AssertSaveLoadRoundTrip(() => new FmnistCnn(), torch.randn(2, 1, 28, 28));
    }

    [Fact]
    public void CifarResNet18_Counts_KeysAndShape()
    {
        // Spec §4: 11,173,962 parameters in 62 tensors, 21 compressible, 9,610 raw floats.
        using var scope = torch.NewDisposeScope();
        using var model = CifarResNet.ResNet18();

        Assert.Equal((11_173_962L, 62, 21), Counts(model));
        Assert.Equal(9_610, model.parameters().Where(p => p.dim() < 2).Sum(p => p.numel()));
        Assert.Contains("stages.1.0.shortcut_conv.weight", ModelChecks.Keys(model));
        Assert.DoesNotContain("stages.0.0.shortcut_conv.weight", ModelChecks.Keys(model));
        model.eval();
        Assert.Equal([1L, 10L], model.call(torch.randn(1, 3, 32, 32)).shape);
    }

    [Fact]
    public void Vgg19Bn_Counts_KeysAndShape()
    {
        // Spec §4: 20,565,834 parameters in 70 tensors, 19 compressible.
        using var scope = torch.NewDisposeScope();
        using var model = Vgg.Vgg19Bn(3, 32, 32, 10);

        Assert.Equal((20_565_834L, 70, 19), Counts(model));
        Assert.Contains("classifier.6.bias", ModelChecks.Keys(model));
        Assert.Contains("norms.15.running_mean", ModelChecks.Keys(model));
        model.eval();
        Assert.Equal([1L, 10L], model.call(torch.randn(1, 3, 32, 32)).shape);
    }

    [Fact]
    public void Vgg19Bn_Train_DropoutIsActiveOnlyInTrainMode()
    {
        using var scope = torch.NewDisposeScope();
        using var model = Vgg.Vgg19Bn(3, 32, 32, 10);
        var x = torch.randn(2, 3, 32, 32);
        model.eval();

        using (torch.no_grad())
        {
            Assert.True(ModelChecks.Same(model.call(x), model.call(x)));
        }
        model.train();
        using (torch.no_grad())
        {
            Assert.False(ModelChecks.Same(model.call(x), model.call(x)));
        }
    }
}
