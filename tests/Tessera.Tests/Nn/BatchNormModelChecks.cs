namespace Tessera.Tests.Nn;

/// <summary>Round trip for models with BatchNorm: the running statistics are part of the state and must survive
/// save → load (TorchSharp #510).</summary>
internal static class BatchNormModelChecks
{
    /// <summary>Builds A (seed 1), updates its running statistics with two train-mode forwards, saves it, loads it into
    /// B (seed 2) and asserts identical eval-mode outputs and buffers.</summary>
    public static void AssertSaveLoadKeepsRunningStats(Func<nn.Module<Tensor, Tensor>> build, Tensor input)
    {
        using var scope = torch.NewDisposeScope();
        torch.random.manual_seed(1);
        using var a = build();
        torch.random.manual_seed(2);
        using var b = build();
        a.train();
        using (torch.no_grad())
        {
            a.call(input * 3 + 1);
            a.call(input * 2 - 1);
        }
        a.eval();
        b.eval();
        var dir = Directory.CreateTempSubdirectory("tessera-nn-bn-");
        try
        {
            string path = Path.Combine(dir.FullName, "model.dat");

            a.save(path);
            b.load(path);

            using var noGrad = torch.no_grad();
            Assert.True(ModelChecks.Same(a.call(input), b.call(input)));
            var buffersA = a.named_buffers().ToDictionary(kv => kv.name, kv => kv.buffer);
            foreach (var (name, buffer) in b.named_buffers())
            {
                Assert.True(ModelChecks.Same(buffersA[name], buffer), name);
            }
            Assert.Contains(buffersA, kv => kv.Key.EndsWith("running_mean", StringComparison.Ordinal)
                && !ModelChecks.Same(kv.Value, torch.zeros_like(kv.Value)));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
