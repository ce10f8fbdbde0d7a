using Tessera.Experiments;
using Tessera.Methods.Pruning;
using Tessera.Nn;
using Tessera.Training;

namespace Tessera.Tests.Methods.Pruning;

/// <summary>Gem-Miner's mining step wired into the Trainer exactly as the experiment wires it.</summary>
public sealed class MiningLoopTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("tessera-mining-").FullName;
    private readonly int _threads = torch.get_num_threads();

    public MiningLoopTests() => torch.set_num_threads(1);

    public void Dispose()
    {
        torch.set_num_threads(_threads);
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public void Mining_EveryForwardUsesExactlyHOfPTimesQ_ScoresStayInTheUnitInterval_WeightsNeverTrain()
    {
        // Given: an MLP mined for 30 steps on a fixed labelled point cloud, with a freezing event after step 15
        using var scope = torch.NewDisposeScope();
        torch.random.manual_seed(1);
        using var model = new MlpBn(6, [12], 3, biasFree: true);
        MaskSet masks = MaskSet.Attach(model);
        using (var g = new Generator(2))
        {
            PruningInit.SignedConstant(masks.Layers, g);
        }
        Tensor[] w0 = masks.Weights();
        GemMiner gm;
        using (var g = new Generator(3))
        {
            gm = GemMiner.Attach(masks, g);
        }
        using var optimizer = optim.SGD(gm.Scores, 0.5, 0.9);
        using var data = new Generator(4);
        Tensor x = torch.randn([64, 6], generator: data);
        Tensor y = x[.., 0].gt(0).to(ScalarType.Int64) + x[.., 1].gt(0).to(ScalarType.Int64);
        var violations = new List<string>();
        var losses = new List<double>();
        RunDirectory dir = RunDirectory.Create(Path.Combine(_root, "run"), _root, "test", "unit", 0);
        using RunContext ctx = RunContext.Start(dir, NullSink.Instance);
        Tensor TaskLoss()
        {
            // Inside the forward: the weights must be W0 ⊙ 1[p > 0.5] ⊙ q and every score in [0, 1].
            for (int i = 0; i < masks.Layers.Count; i++)
            {
                Tensor p = gm.Scores[i].detach();
                Tensor expected = w0[i] * p.gt(0.5).to(ScalarType.Float32) * gm.Flags[i];
                if (!masks.Layers[i].Weight.detach().eq(expected).all().item<bool>())
                {
                    violations.Add($"layer {i}: weights are not W0 ⊙ H(p) ⊙ q");
                }
                if (p.min().item<float>() < 0 || p.max().item<float>() > 1)
                {
                    violations.Add($"layer {i}: a score outside [0, 1]");
                }
            }
            Tensor loss = nn.functional.cross_entropy(model.call(x), y);
            losses.Add(loss.item<float>());
            return loss;
        }
        var trainer = new Trainer(model, optimizer, _ => gm.StepLoss(TaskLoss, 1e-4), LrSchedules.Constant(0.5),
            new TrainerOptions(30, LogEvery: 100, EvalEvery: 15), ctx, 0)
        {
            Evaluate = step =>
            {
                if (step == 15)
                {
                    gm.Freeze(0.5);
                }
            },
        };
        gm.Wire(trainer);

        // When
        trainer.Run();

        // Then
        Assert.Empty(violations);
        Assert.Equal(30, losses.Count);
        Assert.True(losses.Skip(25).Average() < losses.Take(5).Average(), $"loss {losses[0]} -> {losses[^1]}");
        Assert.InRange(gm.FlagDensity, 0.49, 0.51);
        Assert.All(gm.Scored.Orig.Zip(w0), p => Assert.True(p.First.eq(p.Second).all().item<bool>(), "the frozen weights changed"));
    }
}
