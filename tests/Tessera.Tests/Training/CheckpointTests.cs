using Tessera.Training;

namespace Tessera.Tests.Training;

public sealed class CheckpointTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tessera-ckpt-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Save_KeepsOnlyTheNewest_AndLatestPointsToIt()
    {
        using var model = nn.Linear(3, 2);
        foreach (long step in new long[] { 5, 10, 15 })
        {
            Checkpoint.Save(_dir, step, step * 0.5, model, null, keep: 2);
        }

        Checkpoint.Info latest = Checkpoint.Latest(_dir)!;

        Assert.Equal(15, latest.Step);
        Assert.Equal(7.5, latest.WallSeconds);
        Assert.Equal(new[] { "step-000000010", "step-000000015" },
            Directory.GetDirectories(_dir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Latest_IgnoresAnUnfinishedCheckpoint()
    {
        using var model = nn.Linear(3, 2);
        Checkpoint.Save(_dir, 5, 1, model, null);
        File.Delete(Path.Combine(_dir, "latest.json"));
        Directory.CreateDirectory(Path.Combine(_dir, "step-000000010.tmp"));   // killed while writing

        Assert.Equal(5, Checkpoint.Latest(_dir)!.Step);
    }

    [Fact]
    public void Restore_GivesBackModelAndOptimizerState()
    {
        // Given: a model and Adam after two steps, checkpointed
        torch.random.manual_seed(1);
        using var model = nn.Linear(3, 2);
        using var optimizer = optim.Adam(model.parameters(), 0.1);
        using var x = torch.randn(4, 3);
        for (int i = 0; i < 2; i++)
        {
            optimizer.zero_grad();
            using var loss = model.call(x).pow(2).sum();
            loss.backward();
            optimizer.step();
        }
        Checkpoint.Info info = Checkpoint.Save(_dir, 2, 0, model, optimizer);

        // When: a fresh model/optimizer restore it and both take one more step
        torch.random.manual_seed(99);
        using var model2 = nn.Linear(3, 2);
        using var optimizer2 = optim.Adam(model2.parameters(), 0.1);
        Checkpoint.Restore(info, model2, optimizer2);
        foreach ((nn.Module<Tensor, Tensor> m, OptimizerHelper o) in new[] { ((nn.Module<Tensor, Tensor>)model, (OptimizerHelper)optimizer), (model2, optimizer2) })
        {
            o.zero_grad();
            using var loss = m.call(x).pow(2).sum();
            loss.backward();
            o.step();
        }

        // Then: identical weights (Adam's moments were restored too, otherwise the third step differs)
        Assert.Equal(model.weight!.data<float>().ToArray(), model2.weight!.data<float>().ToArray());
    }
}
