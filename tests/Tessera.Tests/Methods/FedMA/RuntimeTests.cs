using Tessera.Methods.FedMA;

namespace Tessera.Tests.Methods.FedMA;

public sealed class RuntimeTests
{
    /// <summary>A client that answers fit with the parameters it got scaled by its own factor, and reports n examples.</summary>
    private sealed class ScalingClient(float factor, long examples, Func<ArrayRecord, ArrayRecord>? corrupt = null) : IFederatedClient
    {
        public ArrayRecord? Received { get; private set; }

        public FedReply Handle(FedInstruction instruction)
        {
            Received = instruction.Arrays;
            var result = new ArrayRecord(instruction.Arrays.Select(a => NamedArray.Of(a.Name, a.Shape, a.F.Select(v => v * factor).ToArray())));
            return FedReply.Ok(corrupt?.Invoke(result) ?? result, examples, new ConfigMap().Set("loss", 1.0));
        }
    }

    private static ArrayRecord Params() => [NamedArray.Of("w", [2, 2], [1, 2, 3, 4]), NamedArray.Of("b", [2], [1, 1])];

    private static (Grid Grid, List<string> Log, InProcessTransport Transport) Setup(params IFederatedClient[] clients)
    {
        var transport = new InProcessTransport(clients.Select((c, i) => KeyValuePair.Create(ClientIds.Of(i), c)));
        var log = new List<string>();
        return (new Grid(transport, new GridOptions { MaxMessageBytes = 1000 }, log.Add), log, transport);
    }

    private static FedAvg Avg(int min = 2, bool accept = true) => new(new FedAvgOptions { MinFitClients = min, AcceptFailures = accept });

    [Fact]
    public void FedAvg_Round_WeightsByNumExamples()
    {
        // Clients scale by 1 and 3 with 1 and 3 examples: (1·1 + 3·3) / 4 = 2.5 times the parameters.
        (Grid grid, _, InProcessTransport t) = Setup(new ScalingClient(1, 1), new ScalingClient(3, 3));

        (ArrayRecord p, ConfigMap m, RoundReplies r) = Avg().RunRound(1, Params(), grid, new ClientManager(t, 0));

        Assert.Equal([2.5f, 5f, 7.5f, 10f], p["w"].F);
        Assert.Equal(2, r.Results.Count);
        Assert.Equal(1.0, m.Double("train_loss"));
        Assert.Equal(2 * 2 * 6 * 4, grid.Bytes.Parameters);     // 6 floats, 2 clients, both directions
    }

    [Fact]
    public void FedAvg_IdenticalClients_IsTheIdentity()
    {
        (Grid grid, _, InProcessTransport t) = Setup(new ScalingClient(1, 5), new ScalingClient(1, 9), new ScalingClient(1, 2));

        (ArrayRecord p, _, _) = Avg().RunRound(1, Params(), grid, new ClientManager(t, 0));

        Assert.Equal(Params()["w"].F, p["w"].F);
    }

    [Fact]
    public void InProcess_Messages_AreCopies()
    {
        // Pitfall 14: no client ever shares a buffer with the server.
        var client = new ScalingClient(1, 1);
        (Grid grid, _, _) = Setup(client);
        ArrayRecord sent = Params();

        RoundReplies r = grid.SendAndReceive(Grid.ToAll(["client-0"], new FedInstruction(MessageKinds.Fit, 1, sent, [])));

        Assert.NotSame(sent["w"].F, client.Received!["w"].F);
        Assert.NotSame(client.Received["w"].F, r.Results[0].Reply.Arrays["w"].F);
    }

    [Theory]
    [InlineData("nan")]
    [InlineData("inf")]
    [InlineData("shape")]
    [InlineData("name")]
    [InlineData("missing")]
    [InlineData("oversize")]
    public void Grid_MalformedUpdate_IsRejectedAndLoggedWithTheClientId_RoundGoesOn(string fault)
    {
        Func<ArrayRecord, ArrayRecord> corrupt = fault switch
        {
            "nan" => a => [NamedArray.Of("w", [2, 2], [1, float.NaN, 3, 4]), a["b"]],
            "inf" => a => [a["w"], NamedArray.Of("b", [2], [float.PositiveInfinity, 1])],
            "shape" => a => [NamedArray.Of("w", [4], a["w"].F), a["b"]],
            "name" => a => [NamedArray.Of("v", [2, 2], a["w"].F), a["b"]],
            "missing" => a => [a["w"]],
            _ => a => [NamedArray.Of("w", [2, 200], new float[400]), a["b"]],
        };
        (Grid grid, List<string> log, InProcessTransport t) = Setup(new ScalingClient(1, 1), new ScalingClient(2, 1, corrupt), new ScalingClient(3, 1));

        (ArrayRecord p, _, RoundReplies r) = Avg().RunRound(4, Params(), grid, new ClientManager(t, 0));

        Assert.Equal(["client-0", "client-2"], r.Results.Select(x => x.ClientId));
        Assert.Equal("client-1", Assert.Single(r.Failures).ClientId);
        Assert.Contains(log, l => l.Contains("client-1", StringComparison.Ordinal) && l.Contains("rejected", StringComparison.Ordinal));
        Assert.Equal([2f, 4f, 6f, 8f], p["w"].F);             // the mean of factors 1 and 3 only
    }

    [Fact]
    public void FedAvg_DroppedClient_AcceptFailures_CompletesWithTheRest()
    {
        (Grid grid, List<string> log, InProcessTransport t) = Setup(new ScalingClient(1, 1), new ScalingClient(5, 1), new ScalingClient(3, 1));
        var manager = new ClientManager(t, 0);
        var instructions = Avg().ConfigureFit(1, Params(), manager);
        t.Drop("client-1");

        RoundReplies r = grid.SendAndReceive(instructions);
        (ArrayRecord? p, _) = Avg().AggregateFit(1, r.Results, r.Failures);

        Assert.Equal("client-1", Assert.Single(r.Failures).ClientId);
        Assert.Equal([2f, 4f, 6f, 8f], p!["w"].F);
        Assert.Contains(log, l => l.Contains("client-1", StringComparison.Ordinal));
    }

    [Fact]
    public void FedAvg_FailureWithoutAcceptFailures_OrBelowMinimum_FailsTheRound()
    {
        (Grid grid, _, InProcessTransport t) = Setup(new ScalingClient(1, 1), new ScalingClient(2, 1, _ => [NamedArray.Of("w", [1], [float.NaN])]));

        Assert.Throws<RoundFailedException>(() => Avg(accept: false).RunRound(1, Params(), grid, new ClientManager(t, 0)));
        Assert.Throws<RoundFailedException>(() => Avg(min: 2).RunRound(1, Params(), grid, new ClientManager(t, 0)));
        (ArrayRecord p, _, _) = Avg(min: 1).RunRound(1, Params(), grid, new ClientManager(t, 0));
        Assert.Equal(Params()["w"].F, p["w"].F);
    }

    [Fact]
    public void FedProx_PutsMuIntoTheFitConfig()
    {
        (_, _, InProcessTransport t) = Setup(new ScalingClient(1, 1), new ScalingClient(1, 1));

        var messages = new FedProx(new FedAvgOptions(), 0.25).ConfigureFit(3, Params(), new ClientManager(t, 0));

        Assert.All(messages, m => Assert.Equal(0.25, m.Item2.Config.Double("proximal_mu")));
        Assert.All(messages, m => Assert.Equal(3, m.Item2.Config.Long("round")));
    }

    [Fact]
    public void ClientManager_Sample_FractionWithMinimum_SeededAndSorted()
    {
        (_, _, InProcessTransport t) = Setup(Enumerable.Range(0, 10).Select(_ => (IFederatedClient)new ScalingClient(1, 1)).ToArray());
        var manager = new ClientManager(t, 7);

        IReadOnlyList<string> a = manager.Sample(1, 0.3, 2), b = manager.Sample(1, 0.3, 2), c = manager.Sample(2, 0.3, 2);

        Assert.Equal(3, a.Count);
        Assert.Equal(a, b);
        Assert.Equal(a.OrderBy(x => x, ClientIds.Comparer), a);
        Assert.Equal(4, manager.Sample(1, 0.1, 4).Count);
        Assert.Empty(manager.Sample(1, 0.5, 11));
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void ClientApp_UnknownKindOrException_IsAnErrorReplyNotACrash()
    {
        var app = new ClientApp(new ThrowingTrainer());

        Assert.Equal(ReplyStatus.Error, app.Handle(new FedInstruction("nope", 0, [], [])).Status);
        FedReply fit = app.Handle(new FedInstruction(MessageKinds.Fit, 0, [], []));
        Assert.Equal(ReplyStatus.Error, fit.Status);
        Assert.Contains("boom", fit.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ServerCheckpoint_SaveLatest_RoundTripsArraysAndState()
    {
        string dir = Directory.CreateTempSubdirectory("tessera-fedckpt-").FullName;
        try
        {
            ArrayRecord arrays = Params();
            arrays.Add(NamedArray.OfInts("assignment/client-0/0", [3], [2, 0, 1]));
            ServerCheckpoint.Save(dir, 1, 1.5, Params(), new System.Text.Json.Nodes.JsonObject { ["bytes_up"] = 7L });
            ServerCheckpoint.Save(dir, 2, 2.5, arrays, new System.Text.Json.Nodes.JsonObject { ["bytes_up"] = 9L });
            ServerCheckpoint.Save(dir, 3, 3.5, arrays, new System.Text.Json.Nodes.JsonObject { ["bytes_up"] = 11L });

            ServerCheckpoint.Saved s = ServerCheckpoint.Latest(dir)!;

            Assert.Equal(3, s.Round);
            Assert.Equal([2, 0, 1], s.Arrays["assignment/client-0/0"].I);
            Assert.Equal(arrays["w"].F, s.Arrays["w"].F);
            Assert.Equal(11L, s.State["bytes_up"]!.GetValue<long>());
            Assert.Equal(2, Directory.GetDirectories(dir, "step-*").Length);   // keeps the last two
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private sealed class ThrowingTrainer : IClientTrainer
    {
        public ConfigMap GetProperties(ConfigMap config) => [];

        public ArrayRecord GetParameters(ConfigMap config) => [];

        public FitResult Fit(ArrayRecord parameters, ConfigMap config) => throw new InvalidOperationException("boom");

        public EvaluateResult Evaluate(ArrayRecord parameters, ConfigMap config) => throw new InvalidOperationException("boom");
    }
}
