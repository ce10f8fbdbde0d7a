using Tessera.Nn;

namespace Tessera.Tests.Nn;

public sealed class InitTests
{
    private static readonly GptConfig Cfg = new(BlockSize: 64, VocabSize: 96, NLayer: 4, NHead: 4, NEmbd: 128);

    private static Tensor Param(nn.Module model, string name) =>
        model.named_parameters().Single(p => p.name == name).parameter;

    private static double Std(Tensor t) => t.std().item<float>();

    [Fact]
    public void Gpt2_Weights_HaveGpt2StdAndResidualProjectionsScaled()
    {
        using var scope = torch.NewDisposeScope();
        torch.random.manual_seed(0);
        using var model = new GptModel(Cfg);

        Init.Gpt2(model);

        // std estimates from ≥ 12k samples are within ~1.5 % (3 sigma); allow 5 %
        double residual = 0.02 / Math.Sqrt(2 * 4);
        Assert.InRange(Std(Param(model, "h.0.attn.c_attn.weight")), 0.019, 0.021);
        Assert.InRange(Std(Param(model, "h.3.mlp.c_fc.weight")), 0.019, 0.021);
        Assert.InRange(Std(Param(model, "wte.weight")), 0.019, 0.021);
        Assert.InRange(Std(Param(model, "wpe.weight")), 0.019, 0.021);
        Assert.InRange(Std(Param(model, "h.1.attn.c_proj.weight")), 0.95 * residual, 1.05 * residual);
        Assert.InRange(Std(Param(model, "h.2.mlp.c_proj.weight")), 0.95 * residual, 1.05 * residual);
        Assert.InRange(Param(model, "h.0.attn.c_attn.weight").mean().item<float>(), -0.001, 0.001);
    }

    [Fact]
    public void Gpt2_BiasesAndLayerNorms_AreZeroAndOne()
    {
        using var scope = torch.NewDisposeScope();
        using var model = new GptModel(Cfg with { NLayer = 1 });

        Init.Gpt2(model);

        foreach (var (name, p) in model.named_parameters())
        {
            if (name.EndsWith(".bias", StringComparison.Ordinal))
            {
                Assert.Equal(0f, p.abs().max().item<float>());
            }
            else if (name.Contains("ln_", StringComparison.Ordinal))
            {
                Assert.True(ModelChecks.Same(p, torch.ones_like(p)), name);
            }
        }

    }

    [Fact]
    public void Gpt2_SameGlobalSeed_SameWeights_DifferentSeed_DifferentWeights()
    {
        using var scope = torch.NewDisposeScope();
        var small = Cfg with { NLayer = 1, NEmbd = 16, VocabSize = 8, BlockSize = 8 };
        using var a = new GptModel(small);
        using var b = new GptModel(small);
        using var c = new GptModel(small);

        torch.random.manual_seed(9);
        Init.Gpt2(a);
        torch.random.manual_seed(9);
        Init.Gpt2(b);
        Init.Gpt2(c, new Generator(10));

        foreach (var ((name, pa), (_, pb)) in a.named_parameters().Zip(b.named_parameters()))
        {
            Assert.True(ModelChecks.Same(pa, pb), name);
        }

        Assert.False(ModelChecks.Same(Param(a, "wte.weight"), Param(c, "wte.weight")));
    }

    [Fact]
    public void Gpt2_OnAModuleWithOtherLayers_LeavesThoseLayersAlone()
    {
        // The looped transformer initialises only its backbone; a Conv2d stays at its default init.
        using var scope = torch.NewDisposeScope();
        using var block = new Block(Cfg with { NLayer = 1 });
        using var conv = nn.Conv2d(1, 1, 3);
        var before = Param(conv, "weight").clone();

        Init.Gpt2(block, nLayer: 1);
        Init.Gpt2(nn.Sequential(("conv", conv)), nLayer: 1);

        Assert.True(ModelChecks.Same(before, Param(conv, "weight")));
        Assert.InRange(Std(Param(block, "attn.c_proj.weight")), 0.95 * 0.02 / Math.Sqrt(2), 1.05 * 0.02 / Math.Sqrt(2));
    }
}
