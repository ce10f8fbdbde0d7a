using System.Globalization;

namespace Tessera.Methods.FedMA;

/// <summary>A successful reply of one client.</summary>
public sealed record ClientResult(string ClientId, FedReply Reply);

/// <summary>A client that did not deliver a usable reply (timeout, lost connection, error status, rejected update).</summary>
public sealed record ClientFailure(string ClientId, string Reason);

/// <summary>Replies of one send: results sorted by client id (so aggregation order never depends on arrival), failures.</summary>
public sealed record RoundReplies(IReadOnlyList<ClientResult> Results, IReadOnlyList<ClientFailure> Failures);

/// <summary>Bytes sent each way, split into parameters (4 per float) and assignment integers (spec §2.6).</summary>
public sealed class ByteCounter
{
    private long _down;
    private long _up;
    private long _assignments;

    /// <summary>Server → clients, float parameters.</summary>
    public long Down => Interlocked.Read(ref _down);

    /// <summary>Clients → server, float parameters.</summary>
    public long Up => Interlocked.Read(ref _up);

    /// <summary>Integer payloads (assignments), both directions.</summary>
    public long Assignments => Interlocked.Read(ref _assignments);

    /// <summary>Parameter bytes both ways (what the spec's accounting counts; assignments are reported apart).</summary>
    public long Parameters => Down + Up;

    /// <summary>The counters as checkpoint state.</summary>
    public System.Text.Json.Nodes.JsonObject ToState() => new()
    {
        ["bytes_down"] = Down,
        ["bytes_up"] = Up,
        ["bytes_assignments"] = Assignments,
    };

    /// <summary>Continues counting from a checkpoint's <see cref="ToState"/>.</summary>
    public void Restore(System.Text.Json.Nodes.JsonObject state)
    {
        ArgumentNullException.ThrowIfNull(state);
        Interlocked.Exchange(ref _down, state["bytes_down"]?.GetValue<long>() ?? 0);
        Interlocked.Exchange(ref _up, state["bytes_up"]?.GetValue<long>() ?? 0);
        Interlocked.Exchange(ref _assignments, state["bytes_assignments"]?.GetValue<long>() ?? 0);
    }

    public void Sent(ArrayRecord arrays)
    {
        Interlocked.Add(ref _down, 4 * arrays.FloatCount);
        Interlocked.Add(ref _assignments, 4 * arrays.IntCount);
    }

    public void Received(ArrayRecord arrays)
    {
        Interlocked.Add(ref _up, 4 * arrays.FloatCount);
        Interlocked.Add(ref _assignments, 4 * arrays.IntCount);
    }
}

/// <summary>Limits applied to every reply before it may be aggregated (issue: security).</summary>
public sealed record GridOptions
{
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Largest accepted reply payload in bytes.</summary>
    public long MaxMessageBytes { get; init; } = 512L * 1024 * 1024;
}

/// <summary>
/// The server's side of a round (Flower's <c>Grid.send_and_receive</c>): sends instructions to clients in parallel with
/// a timeout, checks every reply (status, expected names and shapes, finite values, size), counts bytes, and returns
/// results and failures. A rejected reply is logged with the client id and never reaches aggregation.
/// </summary>
public sealed class Grid(IFederationTransport transport, GridOptions options, Action<string> log)
{
    public IFederationTransport Transport { get; } = transport;

    public GridOptions Options { get; } = options;

    /// <summary>Bytes of the messages that count as communication (see <see cref="SendAndReceive"/>).</summary>
    public ByteCounter Bytes { get; } = new();

    /// <summary>Every rejection so far: (client, reason).</summary>
    public List<ClientFailure> Rejected { get; } = [];

    /// <summary>Sends and waits for all replies.</summary>
    /// <param name="count">false for traffic that is not part of the algorithm (fetching models for evaluation).</param>
    public RoundReplies SendAndReceive(IReadOnlyList<(string ClientId, FedInstruction Instruction)> messages, CancellationToken cancel = default,
        bool count = true)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var tasks = new List<Task<(ClientResult?, ClientFailure?)>>();
        foreach ((string id, FedInstruction ins) in messages)
        {
            if (count)
            {
                Bytes.Sent(ins.Arrays);
            }
            tasks.Add(SendOne(id, ins, count, cancel));
        }
        Task.WaitAll([.. tasks], cancel);
        var results = new List<ClientResult>();
        var failures = new List<ClientFailure>();
        foreach (var t in tasks)
        {
            (ClientResult? r, ClientFailure? f) = t.Result;
            if (r is not null)
            {
                results.Add(r);
            }
            if (f is not null)
            {
                failures.Add(f);
            }
        }
        return new RoundReplies(
            results.OrderBy(r => r.ClientId, ClientIds.Comparer).ToArray(),
            failures.OrderBy(f => f.ClientId, ClientIds.Comparer).ToArray());
    }

    private async Task<(ClientResult?, ClientFailure?)> SendOne(string id, FedInstruction ins, bool count, CancellationToken cancel)
    {
        FedReply reply;
        try
        {
            reply = await Transport.SendAsync(id, ins, Options.Timeout, cancel).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return Fail(id, ins, $"no reply within {Options.Timeout.TotalSeconds:F0} s");
        }
        catch (ClientLostException e)
        {
            return Fail(id, ins, e.Message);
        }
        if (reply.Status != ReplyStatus.Ok)
        {
            return Fail(id, ins, $"error reply: {reply.Message}");
        }
        if (Validate(ins, reply, Options.MaxMessageBytes) is { } problem)
        {
            var failure = new ClientFailure(id, $"rejected update: {problem}");
            lock (Rejected)
            {
                Rejected.Add(failure);
            }
            log($"round {ins.Round} {ins.Kind}: rejected the update of client {id}: {problem}");
            return (null, failure);
        }
        if (count)
        {
            Bytes.Received(reply.Arrays);
        }
        return (new ClientResult(id, reply), null);
    }

    private (ClientResult?, ClientFailure?) Fail(string id, FedInstruction ins, string reason)
    {
        log($"round {ins.Round} {ins.Kind}: client {id} failed: {reason}");
        return (null, new ClientFailure(id, reason));
    }

    /// <summary>Why a reply may not be aggregated, or null when it may: too large, unexpected names or shapes,
    /// NaN or infinite values, a negative example count.</summary>
    public static string? Validate(FedInstruction ins, FedReply reply, long maxBytes)
    {
        ArgumentNullException.ThrowIfNull(ins);
        ArgumentNullException.ThrowIfNull(reply);
        if (reply.Arrays.Bytes > maxBytes)
        {
            return $"payload of {reply.Arrays.Bytes} bytes exceeds the limit of {maxBytes} bytes";
        }
        if (reply.NumExamples < 0)
        {
            return $"negative num_examples {reply.NumExamples}";
        }
        if (ins.Expect is { } expect)
        {
            if (reply.Arrays.Count != expect.Count)
            {
                return $"expected {expect.Count} arrays ({string.Join(", ", expect.Select(e => e.Name))}), got {reply.Arrays.Count} ({string.Join(", ", reply.Arrays.Select(a => a.Name))})";
            }
            for (int i = 0; i < expect.Count; i++)
            {
                NamedArray a = reply.Arrays[i];
                if (a.Name != expect[i].Name)
                {
                    return $"array {i} is named '{a.Name}', expected '{expect[i].Name}'";
                }
                if (!a.SameShape(expect[i].Shape))
                {
                    return $"array '{a.Name}' has shape [{string.Join(", ", a.Shape)}], expected [{string.Join(", ", expect[i].Shape)}]";
                }
                if (a.Type != ArrayType.Float32)
                {
                    return $"array '{a.Name}' holds integers, expected floats";
                }
            }
        }
        foreach (NamedArray a in reply.Arrays)
        {
            if (a.Floats is { } f)
            {
                for (int k = 0; k < f.Length; k++)
                {
                    if (!float.IsFinite(f[k]))
                    {
                        return $"array '{a.Name}' holds a non-finite value ({f[k].ToString(CultureInfo.InvariantCulture)}) at index {k}";
                    }
                }
            }
        }
        foreach ((string key, Scalar value) in reply.Metrics)
        {
            if (value.Kind == ScalarKind.Double && !double.IsFinite(value.AsDouble()))
            {
                return $"metric '{key}' is not finite";
            }
        }
        return null;
    }

    /// <summary>The same instruction for each client.</summary>
    public static IReadOnlyList<(string, FedInstruction)> ToAll(IEnumerable<string> clients, FedInstruction instruction) =>
        clients.Select(c => (c, instruction)).ToArray();
}

/// <summary>Client ids are "client-0", "client-1", …: ordered by their number when they have one.</summary>
public static class ClientIds
{
    public static string Of(int index) => $"client-{index.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The partition index in a "client-N" id, or −1.</summary>
    public static int IndexOf(string id) =>
        id.StartsWith("client-", StringComparison.Ordinal) && int.TryParse(id.AsSpan(7), NumberStyles.None, CultureInfo.InvariantCulture, out int i) ? i : -1;

    public static IComparer<string> Comparer { get; } = Comparer<string>.Create((a, b) =>
    {
        int ia = IndexOf(a), ib = IndexOf(b);
        return ia >= 0 && ib >= 0 ? ia.CompareTo(ib) : string.CompareOrdinal(a, b);
    });
}
