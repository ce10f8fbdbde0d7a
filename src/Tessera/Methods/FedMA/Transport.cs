namespace Tessera.Methods.FedMA;

/// <summary>
/// Carries instructions from the server to clients and their replies back. Two implementations carry the same
/// messages: <see cref="InProcessTransport"/> (simulation, the default) and the gRPC transport of
/// <c>Tessera.Federated.Grpc</c> (server and clients as separate processes).
/// </summary>
public interface IFederationTransport : IDisposable
{
    /// <summary>Ids of the clients connected now, in ordinal order.</summary>
    IReadOnlyList<string> Connected { get; }

    /// <summary>Blocks until at least <paramref name="count"/> clients are connected (returns them) or the timeout passes
    /// (returns those there are).</summary>
    IReadOnlyList<string> WaitForClients(int count, TimeSpan timeout, CancellationToken cancel);

    /// <summary>Sends one instruction and waits for the reply. Throws <see cref="TimeoutException"/> past the timeout and
    /// <see cref="ClientLostException"/> when the client is gone.</summary>
    Task<FedReply> SendAsync(string clientId, FedInstruction instruction, TimeSpan timeout, CancellationToken cancel);
}

/// <summary>The client disconnected (or was never connected) while an instruction was pending.</summary>
public sealed class ClientLostException(string clientId, string reason) : Exception($"client {clientId}: {reason}")
{
    public string ClientId { get; } = clientId;
}

/// <summary>Answers instructions; a client of either transport.</summary>
public interface IFederatedClient
{
    FedReply Handle(FedInstruction instruction);
}

/// <summary>
/// Simulation: every client is an object in this process and instructions are handled one at a time, in the order
/// they are sent (so the global torch generator is never shared between two clients), each with the libtorch thread
/// count of the thread that created the transport (the run's <c>threads</c>). Arrays are deep-copied in both
/// directions, as a network would, so no client ever shares a buffer with the server or another client.
/// </summary>
public sealed class InProcessTransport : IFederationTransport
{
    private readonly SortedDictionary<string, IFederatedClient> _clients = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly HashSet<string> _dropped = [];
    private readonly int _threads = torch.get_num_threads();

    public InProcessTransport(IEnumerable<KeyValuePair<string, IFederatedClient>> clients)
    {
        ArgumentNullException.ThrowIfNull(clients);
        foreach ((string id, IFederatedClient client) in clients)
        {
            _clients.Add(id, client);
        }
    }

    public IReadOnlyList<string> Connected => _clients.Keys.Where(k => !_dropped.Contains(k)).ToArray();

    /// <summary>Simulates a dropout: the client answers nothing from now on (tests of failure handling).</summary>
    public void Drop(string clientId) => _dropped.Add(clientId);

    public IReadOnlyList<string> WaitForClients(int count, TimeSpan timeout, CancellationToken cancel) => Connected;

    public async Task<FedReply> SendAsync(string clientId, FedInstruction instruction, TimeSpan timeout, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(instruction);
        if (!_clients.TryGetValue(clientId, out IFederatedClient? client) || _dropped.Contains(clientId))
        {
            throw new ClientLostException(clientId, "not connected");
        }
        await _gate.WaitAsync(cancel).ConfigureAwait(false);
        try
        {
            var copy = instruction with { Arrays = instruction.Arrays.Clone(), Config = instruction.Config.Copy() };
            torch.set_num_threads(_threads);     // libtorch's thread count is per OS thread; a pool thread has the default
            FedReply reply = client.Handle(copy);
            return reply with { Arrays = reply.Arrays.Clone(), Metrics = reply.Metrics.Copy() };
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();
}
