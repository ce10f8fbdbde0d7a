using System.Text.Json.Nodes;
using Tessera.Data;
using Tessera.Experiments;
using Tessera.Methods.FedMA;

namespace Tessera.Tests.Methods.FedMA;

public sealed class FedmaExperimentTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("tessera-fedma-").FullName;
    private readonly int _threads = torch.get_num_threads();

    public FedmaExperimentTests() => torch.set_num_threads(1);

    public void Dispose()
    {
        torch.set_num_threads(_threads);
        Directory.Delete(_root, recursive: true);
    }

    private static readonly FedArchitecture LeNetT = FedArchitecture.LeNet(1, 28, 28, 10, [4, 8, 16]);

    /// <summary>Class-skewed blobs: client j sees mostly classes {j, j+1, j+2}.</summary>
    private static ClientData[] Clients(int j, int n)
    {
        var result = new ClientData[j];
        for (int c = 0; c < j; c++)
        {
            using var g = new Generator((ulong)(10 + c));
            Tensor y = (torch.randint(0, 3, [n], generator: g) + c) % 10;
            Tensor x = (torch.randn([n, 1, 28, 28], generator: g) * 0.5) + y.to(ScalarType.Float32).view(n, 1, 1, 1) / 4;
            result[c] = new ClientData(x, y, 10);
        }
        return result;
    }

    private static (FedClient[] Clients, InProcessTransport Transport, Grid Grid) InProcess(ClientData[] data)
    {
        FedClient[] clients = data.Select((d, j) => new FedClient(j, LeNetT, d, 3)).ToArray();
        var transport = new InProcessTransport(clients.Select(c => KeyValuePair.Create(ClientIds.Of(c.Index), (IFederatedClient)c.App())));
        return (clients, transport, new Grid(transport, new GridOptions(), _ => { }));
    }

    private static PassSettings Settings(int retrain) => new(new BbpMapOptions { Gamma = 7, Iterations = 2 }, 0, 0.1,
        new LocalTrainSpec(retrain, 0.05, 0.9, 0, 32), new LocalTrainSpec(3 * retrain, 0.005, 0.9, 1e-4, 32), true);

    [Fact]
    public void Pass_InProcess_ClientsEndWithTheGlobalModel_BytesAsAccounted_ReconstructGivesLocalShapes()
    {
        // Given: three locally trained clients behind the in-process transport
        ClientData[] data = Clients(3, 64);
        (FedClient[] clients, InProcessTransport transport, Grid grid) = InProcess(data);
        using (transport)
        {
            var ids = clients.Select(c => ClientIds.Of(c.Index)).ToArray();
            grid.SendAndReceive(Grid.ToAll(ids, new FedInstruction(MessageKinds.LocalTrain, 0, [], new LocalTrainSpec(1, 0.05, 0.9, 0, 32).ToConfig())), count: false);
            var strategy = new FedMaStrategy(LeNetT, grid, ids, ids.ToDictionary(i => i, i => data[ClientIds.IndexOf(i)].ClassCounts), 1, _ => { });

            // When
            PassResult pass = strategy.Pass(0, Settings(1));

            // Then: widths within [local, J·local]; every client holds exactly the global model
            Assert.All(pass.Widths.Select((w, l) => (w, l)), t => Assert.InRange(t.w, LeNetT.LocalWidths[t.l], 3 * LeNetT.LocalWidths[t.l]));
            foreach (FedClient c in clients)
            {
                Assert.All(pass.Global, a => Assert.Equal(a.F, c.Weights![a.Name].F));
            }
            using var model = LeNetT.Create([4, 8, 16]);
            Assert.Equal(FedMaMath.PassBytes(LeNetT, ModelWeights.Get(model), LeNetT.LocalWidths, pass.Widths, 3), grid.Bytes.Parameters);
            Assert.Equal(4L * 3 * (4 + 8 + 16), grid.Bytes.Assignments);
            foreach (string id in ids)
            {
                ArrayRecord local = FedMaMath.Reconstruct(LeNetT, pass.Global, pass.Assignments[id]);
                Assert.Equal(ModelWeights.Get(model).Select(a => a.Shape), local.Select(a => a.Shape));
                using var m = LeNetT.Create(LeNetT.WidthsOf(local));
                ModelWeights.Load(m, local);
                using Tensor y = m.call(data[0].X.narrow(0, 0, 2));
                Assert.Equal([2L, 10L], y.shape);
            }
        }
        foreach (ClientData d in data)
        {
            d.Dispose();
        }
    }

    [Fact]
    public void Reconstruct_ThenPass_KeepsWidthsAndCountsTheDownload()
    {
        ClientData[] data = Clients(2, 48);
        (FedClient[] clients, InProcessTransport transport, Grid grid) = InProcess(data);
        using (transport)
        {
            var ids = clients.Select(c => ClientIds.Of(c.Index)).ToArray();
            grid.SendAndReceive(Grid.ToAll(ids, new FedInstruction(MessageKinds.LocalTrain, 0, [], new LocalTrainSpec(1, 0.05, 0.9, 0, 32).ToConfig())), count: false);
            var strategy = new FedMaStrategy(LeNetT, grid, ids, ids.ToDictionary(i => i, i => data[ClientIds.IndexOf(i)].ClassCounts), 1, _ => { });
            PassResult first = strategy.Pass(0, Settings(0));
            long before = grid.Bytes.Down;

            strategy.Reconstruct(1, first.Global, first.Assignments, new LocalTrainSpec(1, 0.05, 0.9, 0, 32), fullGlobal: false);

            Assert.Equal(before + (4L * 2 * ModelWeights.ParameterCount(clients[0].Weights!)), grid.Bytes.Down);   // J·|local model|
            Assert.Equal(LeNetT.LocalWidths, LeNetT.WidthsOf(clients[0].Weights!));
            PassResult second = strategy.Pass(1, Settings(0));
            Assert.All(second.Widths.Select((w, l) => (w, l)), t => Assert.InRange(t.w, LeNetT.LocalWidths[t.l], 2 * LeNetT.LocalWidths[t.l]));
        }
        foreach (ClientData d in data)
        {
            d.Dispose();
        }
    }

    [Fact]
    public void Client_RepeatedFit_LiveTensorCountDoesNotGrow()
    {
        // B5 leak test: two warm-up fits, then the live count stays flat across five more.
        ClientData[] data = Clients(1, 32);
        var client = new FedClient(0, LeNetT, data[0], 1);
        torch.random.manual_seed(0);
        using var model = LeNetT.Create([4, 8, 16]);
        ArrayRecord start = ModelWeights.Get(model);
        ConfigMap config = new LocalTrainSpec(1, 0.01, 0.9, 0, 16).ToConfig();
        client.Fit(start, config);
        client.Fit(start, config);

        DisposeScopeManager.Statistics.Reset();
        var live = new List<long>();
        for (int i = 0; i < 5; i++)
        {
            client.Fit(start, config);
            live.Add(DisposeScopeManager.Statistics.ThreadTotalLiveCount);
        }

        Assert.True(live.All(n => n == live[0]), string.Join(",", live));
        data[0].Dispose();
    }

    private FedmaConfig LstmTiny(long seed) => new()
    {
        Seed = seed,
        Data = new FedDataConfig { Dataset = "synthetic-text", Clients = 2, WindowsPerClient = 60, TestWindowsPerClient = 20, Window = 8 },
        Model = new FedModelConfig { Name = "lstm", Embed = 4, Hidden = 6 },
        Train = new FedTrainConfig { Epochs = 1, Lr = 0.5, WeightDecay = 1e-4, BatchSize = 20 },
        Fedma = new FedMatchConfig
        {
            Gamma = 1e-3,
            It = 1,
            RetrainEpochs = 1,
            RetrainLr = 0.5,
            RetrainWeightDecay = 1e-4,
            ClassifierLrScale = 1,
            ClassifierEpochScale = 1,
            ClassifierAveraging = "uniform",
            CommRounds = 1,
        },
        Fedavg = new FedAvgConfig { Rounds = 1, LocalEpochs = 1, Lr = 0.5 },
        Run = new FedRunConfig { Strategies = ["locals", "ensemble", "naive", "fedma", "fedavg"] },
    };

    private (JsonObject Summary, IReadOnlyList<MetricRecord> Metrics) Run(FedmaConfig config, string name)
    {
        config.Validate();
        RunDirectory dir = RunDirectory.Create(Path.Combine(_root, name), _root, "fedma", "test", config.Seed);
        using RunContext ctx = RunContext.Start(dir, NullSink.Instance);
        JsonObject summary = new FedmaExperiment().Run(config, ctx);
        return (summary, MetricsWriter.Read(dir.MetricsFile));
    }

    [Fact]
    public void Run_LstmOnGeneratedText_RunsEveryPhaseWithHiddenWidthInRange()
    {
        (JsonObject s, IReadOnlyList<MetricRecord> metrics) = Run(LstmTiny(1), "lstm");

        int[] widths = ((JsonArray)s["fedma"]!["widths"]![0]!).Select(w => w!.GetValue<int>()).ToArray();
        Assert.InRange(widths[0], 4, 8);
        Assert.InRange(widths[1], 6, 12);
        Assert.Equal(2, ((JsonArray)s["fedma"]!["acc"]!).Count);                     // pass + 1 round
        Assert.All(metrics.Where(m => m.Metric == "acc"), m => Assert.InRange(m.Value, 0, 1));
        Assert.NotNull(s["checks"]!["9_lstm"]);
        Assert.NotNull(s["ensemble"]);
    }

    [Fact]
    public void Run_SameSeed_IdenticalMetrics_DifferentSeedDiffers()
    {
        double[] Values(IReadOnlyList<MetricRecord> m) => m.Where(r => r.Metric is "acc" or "loss").Select(r => r.Value).ToArray();
        FedmaConfig Short(long seed) => LstmTiny(seed) with { Run = new FedRunConfig { Strategies = ["locals", "fedma"] }, Fedma = LstmTiny(seed).Fedma with { CommRounds = 0 } };

        var a = Values(Run(Short(5), "a").Metrics);
        var b = Values(Run(Short(5), "b").Metrics);
        var c = Values(Run(Short(6), "c").Metrics);

        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void Validate_BadStrategyOrMismatchedModel_ThrowsNamingTheKey()
    {
        var e1 = Assert.Throws<InputException>(() => new FedmaConfig { Run = new FedRunConfig { Strategies = ["fedsgd"] } }.Validate());
        Assert.Contains("run.strategies", e1.Message, StringComparison.Ordinal);
        var e2 = Assert.Throws<InputException>(() => new FedmaConfig { Model = new FedModelConfig { Name = "lstm" } }.Validate());
        Assert.Contains("model.name", e2.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Dirichlet_SpecPartition_CoversEveryIndexOnce_MinimumTen_Reproducible()
    {
        // Pitfall 16 on a Fashion-MNIST-sized label vector: sizes sum to N, no duplicates, >= 10 each, same seed same counts.
        long[] labels = Enumerable.Range(0, 8000).Select(i => (long)((i * 7) % 10)).ToArray();
        var d = new FedDataConfig { Clients = 4, Alpha = 0.5, MinPerClient = 10 };

        int[][] a = FedData.Partition(labels, 10, d, 0), b = FedData.Partition(labels, 10, d, 0);

        Assert.Equal(8000, a.Sum(p => p.Length));
        Assert.Equal(8000, a.SelectMany(p => p).Distinct().Count());
        Assert.All(a, p => Assert.True(p.Length >= 10));
        Assert.Equal(a, b);
    }

    [Fact]
    public void Text_Vocabulary_IsTheEightyLeafSymbols_UnknownCharactersBecomeSpace()
    {
        Assert.Equal(80, FedData.Vocabulary.Length);
        Assert.Equal(80, FedData.Vocabulary.Distinct().Count());
        Assert.Equal(FedData.Vocabulary.IndexOf(' ', StringComparison.Ordinal), FedData.Token('§'));
        Assert.Equal(FedData.Vocabulary.IndexOf('a', StringComparison.Ordinal), FedData.Token('a'));
        IReadOnlyList<TextClient> texts = FedData.SyntheticTexts(3, 1);
        Assert.NotEqual(texts[0].Text[..200], texts[1].Text[..200]);
        Assert.Equal(texts[0].Text, FedData.SyntheticTexts(3, 1)[0].Text);
    }
}
