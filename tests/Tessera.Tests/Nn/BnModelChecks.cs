using Tessera.Methods.Pruning;

namespace Tessera.Tests.Nn;

/// <summary>Checks for the bias-free, non-affine-BatchNorm models of the pruning papers.</summary>
internal static class BnModelChecks
{
    /// <summary>Number of prunable (Linear and Conv) weights.</summary>
    public static long PrunableWeights(nn.Module model) => MaskSet.FindPrunable(model).Sum(p => p.Weight.numel());

    /// <summary>No biases and no BatchNorm γ/β: every parameter is the weight of a Linear or a Conv.</summary>
    public static void AssertOnlyPrunableWeights(nn.Module model)
    {
        string[] prunable = MaskSet.FindPrunable(model).Select(p => p.Name).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(prunable, model.named_parameters().Select(p => p.name).Order(StringComparer.Ordinal).ToArray());
    }

    /// <summary>Forward and backward run and give finite gradients for every parameter.</summary>
    public static void AssertForwardBackward(nn.Module<Tensor, Tensor> model, Tensor input, int numClasses)
    {
        using var scope = torch.NewDisposeScope();
        model.train();
        Tensor logits = model.call(input);
        Assert.Equal([input.shape[0], (long)numClasses], logits.shape);
        logits.square().mean().backward();
        Assert.All(model.parameters(), p => Assert.True(p.grad is not null && p.grad.isfinite().all().item<bool>()));
        model.zero_grad();
    }
}
