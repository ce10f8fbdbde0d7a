using System.Runtime.CompilerServices;
using Tessera.Federated.Grpc;
using Tessera.Methods.FedMA;
using Tessera.Tests.Support;

namespace Tessera.Tests.Methods.FedMA;

/// <summary>The gRPC transport on loopback: a real Kestrel server and real clients on threads of this process.</summary>
public sealed class GrpcTransportTests : IDisposable
{
    private const string Token = "s3cret-token";
    private readonly List<string> _log = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Thread> _threads = [];

    /// <summary>Answers fit with the received arrays scaled by its factor.</summary>
    private sealed class ScalingClient(float factor, long examples) : IFederatedClient
    {
        public FedReply Handle(FedInstruction instruction) =>
            FedReply.Ok(new ArrayRecord(instruction.Arrays.Select(a => NamedArray.Of(a.Name, a.Shape, a.F.Select(v => v * factor).ToArray()))),
                examples, new ConfigMap().Set("loss", 0.5).Set("kind", instruction.Kind));
    }

    public void Dispose()
    {
        _stop.Cancel();
        foreach (Thread t in _threads)
        {
            t.Join(TimeSpan.FromSeconds(10));
        }
        _stop.Dispose();
    }

    private GrpcServerTransport Server(int port) =>
        new(new GrpcServerOptions { Port = port, Token = Token, MaxMessageBytes = 1 << 20, RunConfig = "{\"seed\": 3}" }, l =>
        {
            lock (_log)
            {
                _log.Add(l);
            }
        });

    /// <summary>Starts a client on its own thread; the returned box receives its exit.</summary>
    private StrongBox<ClientExit?> Join(int port, int index, IFederatedClient client, string token = Token,
        Func<FedInstruction, FedReply, FedReply>? beforeReply = null, CancellationToken cancel = default)
    {
        var exit = new StrongBox<ClientExit?>();
        var options = new GrpcClientOptions { Server = $"http://127.0.0.1:{port}", ClientId = ClientIds.Of(index), Token = token, RetryFor = TimeSpan.FromSeconds(5) };
        var federation = new GrpcFederationClient(options, _ => client, _ => { });
        CancellationToken token2 = cancel == default ? _stop.Token : CancellationTokenSource.CreateLinkedTokenSource(cancel, _stop.Token).Token;
        var thread = new Thread(() =>
        {
            try
            {
                exit.Value = federation.Run(token2, beforeReply);
            }
            catch (OperationCanceledException)
            {
                exit.Value = null;
            }
        })
        { IsBackground = true };
        thread.Start();
        _threads.Add(thread);
        return exit;
    }

    private static ArrayRecord Params() => [NamedArray.Of("w", [2, 2], [1, 2, 3, 4]), NamedArray.Of("b", [2], [1, -1])];

    [Fact]
    public void Wire_ArraysAndScalars_RoundTripExactly()
    {
        var ins = new FedInstruction(MessageKinds.Install, 7, [NamedArray.Of("w", [1, 3], [1.5f, float.Epsilon, -0f]), NamedArray.OfInts("a", [2], [4, 0])],
            new ConfigMap().Set("lr", 0.01).Set("epochs", 3).Set("frozen", true).Set("stage", "retrain"));

        FedInstruction back = Wire.FromProto(Wire.ToProto("9", ins));

        Assert.Equal(ins.Kind, back.Kind);
        Assert.Equal(7, back.Round);
        Assert.Equal(ins.Arrays["w"].F, back.Arrays["w"].F);
        Assert.Equal([1L, 3L], back.Arrays["w"].Shape);
        Assert.Equal(ins.Arrays["a"].I, back.Arrays["a"].I);
        Assert.Equal(0.01, back.Config.Double("lr"));
        Assert.Equal(3, back.Config.Int("epochs"));
        Assert.Equal("retrain", back.Config.String("stage"));
    }

    [Fact]
    public void Wire_ByteCountNotMatchingTheShape_IsInvalidData()
    {
        var p = Wire.ToProto(NamedArray.Of("w", [2, 2], [1, 2, 3, 4]));
        p.Shape[1] = 3;

        Assert.Throws<InvalidDataException>(() => Wire.FromProto(p));
    }

    [Fact]
    public void Grpc_FedAvgRound_MatchesTheInProcessTransport_AndMalformedUpdateIsRejected()
    {
        // Given three clients over gRPC; client-1 turns its update into NaN before sending it
        int port = Loopback.FreePort();
        using GrpcServerTransport server = Server(port);
        Join(port, 0, new ScalingClient(1, 1));
        Join(port, 1, new ScalingClient(5, 1), beforeReply: (_, r) => r with { Arrays = [NamedArray.Of("w", [2, 2], [float.NaN, 0, 0, 0]), r.Arrays["b"]] });
        Join(port, 2, new ScalingClient(3, 1));
        Assert.Equal(3, server.WaitForClients(3, TimeSpan.FromSeconds(20), default).Count);
        var grid = new Grid(server, new GridOptions { Timeout = TimeSpan.FromSeconds(20) }, _log.Add);
        var avg = new FedAvg(new FedAvgOptions { MinFitClients = 2, AcceptFailures = true });

        // When one FedAvg round runs
        (ArrayRecord p, ConfigMap m, RoundReplies r) = avg.RunRound(1, Params(), grid, new ClientManager(server, 0));

        // Then the NaN update is rejected with the client id, and the others average as in process: (1 + 3) / 2 = 2
        Assert.Equal("client-1", Assert.Single(r.Failures).ClientId);
        Assert.Contains(_log, l => l.Contains("client-1", StringComparison.Ordinal) && l.Contains("rejected", StringComparison.Ordinal));
        Assert.Equal([2f, 4f, 6f, 8f], p["w"].F);
        Assert.Equal([2f, -2f], p["b"].F);
        Assert.Equal(0.5, m.Double("train_loss"));
    }

    [Fact]
    public void Grpc_WrongToken_IsRefused_AndNeverRegistered()
    {
        int port = Loopback.FreePort();
        using GrpcServerTransport server = Server(port);

        StrongBox<ClientExit?> exit = Join(port, 0, new ScalingClient(1, 1), token: "wrong");
        _threads[^1].Join(TimeSpan.FromSeconds(20));

        Assert.Equal(ClientExit.Unauthenticated, exit.Value);
        Assert.Empty(server.Connected);
        Assert.Contains(_log, l => l.Contains("refused", StringComparison.Ordinal));
    }

    [Fact]
    public void Grpc_ClientKilledMidRound_FailsOnlyThatClient_RoundCompletesWithTheRest()
    {
        // Given client-1 whose connection dies while it handles the instruction
        int port = Loopback.FreePort();
        using GrpcServerTransport server = Server(port);
        using var kill = new CancellationTokenSource();
        Join(port, 0, new ScalingClient(1, 1));
        Join(port, 1, new ScalingClient(7, 1), beforeReply: (_, r) =>
        {
            kill.Cancel();
            return r;
        }, cancel: kill.Token);
        Join(port, 2, new ScalingClient(3, 1));
        Assert.Equal(3, server.WaitForClients(3, TimeSpan.FromSeconds(20), default).Count);
        var grid = new Grid(server, new GridOptions { Timeout = TimeSpan.FromSeconds(20) }, _log.Add);

        // When a round runs under accept_failures, and again with a minimum the survivors cannot meet
        (ArrayRecord p, _, RoundReplies r) = new FedAvg(new FedAvgOptions { MinFitClients = 2, AcceptFailures = true })
            .RunRound(1, Params(), grid, new ClientManager(server, 0));

        // Then only client-1 failed and the average is over the rest; a minimum of 3 fails the round cleanly
        Assert.Equal("client-1", Assert.Single(r.Failures).ClientId);
        Assert.Equal([2f, 4f, 6f, 8f], p["w"].F);
        Assert.Throws<RoundFailedException>(() => new FedAvg(new FedAvgOptions { MinFitClients = 3, AcceptFailures = true })
            .RunRound(2, Params(), grid, new ClientManager(server, 0)));
    }
}
