namespace Tessera.Tests.Nn;

/// <summary>Checks every model gets: state_dict keys, and a save → load round trip with identical outputs.</summary>
internal static class ModelChecks
{
    public static string[] Keys(nn.Module module) => module.state_dict().Keys.ToArray();

    /// <summary>Same shape and every element equal (TorchSharp's <c>torch.equal</c> is element-wise).</summary>
    public static bool Same(Tensor a, Tensor b)
    {
        using var scope = torch.NewDisposeScope();
        return a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();
    }

    /// <summary>Builds model A (seed 1) and model B (seed 2), runs A once in training mode (so BatchNorm running
    /// statistics move), checks the two differ, saves A, loads it into B and asserts bit-identical outputs on
    /// <paramref name="input"/> (both in eval mode) and identical buffers.</summary>
    public static void AssertSaveLoadRoundTrip(Func<nn.Module<Tensor, Tensor>> build, Tensor input)
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

    /// <summary>After a warm-up call, one forward call leaves exactly one live tensor (its result), and none once
    /// that result is disposed: every temporary died in the module's own scope.</summary>
    public static void AssertForwardLeavesOnlyItsResult(nn.Module<Tensor, Tensor> model, Tensor input)
    {
        using (torch.NewDisposeScope())
        {
            model.call(input);
        }

        DisposeScopeManager.Statistics.Reset();
        var output = model.call(input);
        long live = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        output.Dispose();

        Assert.Equal(1, live);
        Assert.Equal(0, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }
}
