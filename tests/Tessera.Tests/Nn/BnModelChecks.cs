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

    /// <summary>Model A (seed 1) is run once in training mode, so that its BatchNorm running statistics move, then
    /// saved and loaded into model B (seed 2): B's eval-mode outputs equal A's bit for bit.</summary>
    public static void AssertSaveLoadWithRunningStats(Func<nn.Module<Tensor, Tensor>> build, Tensor input)
    {
        using var scope = torch.NewDisposeScope();
        torch.random.manual_seed(1);
        using var a = build();
        torch.random.manual_seed(2);
        using var b = build();
        a.train();
        using (torch.no_grad())
        {
            a.call(input);
        }
        a.eval();
        b.eval();
        using var noGrad = torch.no_grad();
        Assert.False(ModelChecks.Same(a.call(input), b.call(input)), "different seeds should give different outputs");
        var dir = Directory.CreateTempSubdirectory("tessera-nn-");
        try
        {
            string path = Path.Combine(dir.FullName, "model.dat");

            a.save(path);
            b.load(path);

            Assert.True(ModelChecks.Same(a.call(input), b.call(input)));
            Assert.All(a.named_buffers().Zip(b.named_buffers()), p => Assert.True(ModelChecks.Same(p.First.buffer, p.Second.buffer), p.First.name));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
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
