using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Tessera.Methods.FedMA;
using P = Tessera.Federated.Grpc.Protos;

namespace Tessera.Federated.Grpc;

/// <summary>Where and how the server listens.</summary>
public sealed record GrpcServerOptions
{
    /// <summary>Address to bind; loopback unless the operator says otherwise.</summary>
    public string Host { get; init; } = "127.0.0.1";

    public int Port { get; init; } = 50051;

    /// <summary>The shared secret every client must present (metadata "authorization: Bearer &lt;token&gt;").</summary>
    public string Token { get; init; } = "";

    /// <summary>A PKCS#12 certificate for TLS; null = plaintext HTTP/2 (acceptable on loopback only).</summary>
    public string? CertificateFile { get; init; }

    public string? CertificatePassword { get; init; }

    public int MaxMessageBytes { get; init; } = 256 * 1024 * 1024;

    /// <summary>The resolved run config handed to every client that joins.</summary>
    public string RunConfig { get; init; } = "{}";
}

/// <summary>
/// The gRPC transport of the federated runtime: a Kestrel server whose <c>Join</c> stream registers a client after
/// checking its token; <see cref="SendAsync"/> writes an instruction on that stream and waits for the reply with the
/// same id. A broken stream fails every pending instruction of that client (<see cref="ClientLostException"/>).
/// </summary>
public sealed class GrpcServerTransport : IFederationTransport
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, Session> _sessions = new(StringComparer.Ordinal);
    private readonly Action<string> _log;
    private long _nextId;

    public GrpcServerTransport(GrpcServerOptions options, Action<string> log)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrEmpty(options.Token))
        {
            throw new InputException("The federated server needs a shared token (--token or --token-file): clients authenticate with it.");
        }
        Options = options;
        _log = log;
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            IPAddress address = options.Host == "localhost" ? IPAddress.Loopback : IPAddress.Parse(options.Host);
            k.Listen(address, options.Port, listen =>
            {
                listen.Protocols = HttpProtocols.Http2;
                if (options.CertificateFile is { } cert)
                {
                    listen.UseHttps(X509CertificateLoader.LoadPkcs12FromFile(cert, options.CertificatePassword));
                }
            });
            k.Limits.MaxRequestBodySize = null;
        });
        builder.Services.AddGrpc(o =>
        {
            o.MaxReceiveMessageSize = options.MaxMessageBytes;
            o.MaxSendMessageSize = options.MaxMessageBytes;
        });
        builder.Services.AddSingleton(this);
        _app = builder.Build();
        _app.MapGrpcService<FederationService>();
        _app.StartAsync().GetAwaiter().GetResult();
    }

    public GrpcServerOptions Options { get; }

    public string Address => $"{(Options.CertificateFile is null ? "http" : "https")}://{Options.Host}:{Options.Port}";

    public IReadOnlyList<string> Connected => _sessions.Keys.OrderBy(k => k, ClientIds.Comparer).ToArray();

    public IReadOnlyList<string> WaitForClients(int count, TimeSpan timeout, CancellationToken cancel)
    {
        DateTime end = DateTime.UtcNow + timeout;
        while (_sessions.Count < count && DateTime.UtcNow < end)
        {
            cancel.ThrowIfCancellationRequested();
            Thread.Sleep(50);
        }
        return Connected;
    }

    public async Task<FedReply> SendAsync(string clientId, FedInstruction instruction, TimeSpan timeout, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(instruction);
        if (!_sessions.TryGetValue(clientId, out Session? session))
        {
            throw new ClientLostException(clientId, "not connected");
        }
        string id = Interlocked.Increment(ref _nextId).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var pending = new TaskCompletionSource<FedReply>(TaskCreationOptions.RunContinuationsAsynchronously);
        session.Pending[id] = pending;
        try
        {
            await session.Write(new P.ServerMessage { Instruction = Wire.ToProto(id, instruction) }, cancel).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            session.Pending.TryRemove(id, out _);
            throw new ClientLostException(clientId, $"could not send: {e.Message}");
        }
        Task done = await Task.WhenAny(pending.Task, Task.Delay(timeout, cancel)).ConfigureAwait(false);
        session.Pending.TryRemove(id, out _);
        if (done != pending.Task)
        {
            cancel.ThrowIfCancellationRequested();
            throw new TimeoutException($"client {clientId} did not answer '{instruction.Kind}' within {timeout.TotalSeconds:F0} s");
        }
        return await pending.Task.ConfigureAwait(false);
    }

    /// <summary>Tells every client the run is over (they exit), then stops the server.</summary>
    public void Dispose()
    {
        foreach (Session s in _sessions.Values)
        {
            try
            {
                s.Write(new P.ServerMessage { Goodbye = new P.Goodbye { Reason = "the run is over" } }, CancellationToken.None).Wait(TimeSpan.FromSeconds(5));
            }
            catch (Exception e) when (e is AggregateException or InvalidOperationException or IOException)
            {
                _log($"client {s.Id}: goodbye not delivered ({e.Message})");
            }
        }
        _app.StopAsync().Wait(TimeSpan.FromSeconds(10));
        ((IDisposable)_app).Dispose();
    }

    internal bool Authenticate(ServerCallContext context)
    {
        string? header = context.RequestHeaders.GetValue("authorization");
        byte[] expected = Encoding.UTF8.GetBytes($"Bearer {Options.Token}");
        byte[] given = Encoding.UTF8.GetBytes(header ?? "");
        return given.Length == expected.Length && CryptographicOperations.FixedTimeEquals(given, expected);
    }

    internal void Log(string line) => _log(line);

    internal Session? Register(string id, IServerStreamWriter<P.ServerMessage> writer)
    {
        var session = new Session(id, writer);
        return _sessions.TryAdd(id, session) ? session : null;
    }

    internal void Unregister(Session session, string reason)
    {
        _sessions.TryRemove(new KeyValuePair<string, Session>(session.Id, session));
        foreach ((string _, TaskCompletionSource<FedReply> p) in session.Pending)
        {
            p.TrySetException(new ClientLostException(session.Id, reason));
        }
        session.Pending.Clear();
    }

    internal sealed class Session(string id, IServerStreamWriter<P.ServerMessage> writer)
    {
        private readonly SemaphoreSlim _write = new(1, 1);

        public string Id { get; } = id;

        public ConcurrentDictionary<string, TaskCompletionSource<FedReply>> Pending { get; } = new(StringComparer.Ordinal);

        public async Task Write(P.ServerMessage message, CancellationToken cancel)
        {
            await _write.WaitAsync(cancel).ConfigureAwait(false);
            try
            {
                await writer.WriteAsync(message, cancel).ConfigureAwait(false);
            }
            finally
            {
                _write.Release();
            }
        }
    }
}

/// <summary>The <c>Join</c> RPC: authenticate, register, then route replies to the waiting instructions.</summary>
internal sealed class FederationService(GrpcServerTransport transport) : P.Federation.FederationBase
{
    public override async Task Join(IAsyncStreamReader<P.ClientMessage> requestStream, IServerStreamWriter<P.ServerMessage> responseStream,
        ServerCallContext context)
    {
        if (!transport.Authenticate(context))
        {
            transport.Log($"refused a client from {context.Peer}: missing or wrong token");
            throw new RpcException(new Status(StatusCode.Unauthenticated, "missing or wrong token"));
        }
        if (!await requestStream.MoveNext(context.CancellationToken).ConfigureAwait(false) || requestStream.Current.BodyCase != P.ClientMessage.BodyOneofCase.Hello)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "the first message must be Hello"));
        }
        string id = requestStream.Current.Hello.ClientId;
        if (ClientIds.IndexOf(id) < 0)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"client id '{id}' is not of the form client-N"));
        }
        GrpcServerTransport.Session session = transport.Register(id, responseStream)
            ?? throw new RpcException(new Status(StatusCode.AlreadyExists, $"{id} is already connected"));
        string reason = "disconnected";
        try
        {
            await session.Write(new P.ServerMessage { Welcome = new P.Welcome { RunConfig = transport.Options.RunConfig } }, context.CancellationToken).ConfigureAwait(false);
            transport.Log($"{id} joined from {context.Peer}");
            while (await requestStream.MoveNext(context.CancellationToken).ConfigureAwait(false))
            {
                P.ClientMessage m = requestStream.Current;
                if (m.BodyCase != P.ClientMessage.BodyOneofCase.Reply || !session.Pending.TryGetValue(m.Reply.Id, out var pending))
                {
                    continue;
                }
                FedReply reply;
                try
                {
                    reply = Wire.FromProto(m.Reply);
                }
                catch (Exception e) when (e is InvalidDataException or OverflowException or ArgumentException)
                {
                    reply = FedReply.Fail($"malformed reply: {e.Message}");
                }
                pending.TrySetResult(reply);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or RpcException or InvalidOperationException)
        {
            reason = $"connection lost ({e.GetType().Name})";
        }
        finally
        {
            transport.Unregister(session, reason);
            transport.Log($"{id} left: {reason}");
        }
    }
}
