using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Grpc.Net.Client;
using Tessera.Methods.FedMA;
using P = Tessera.Federated.Grpc.Protos;

namespace Tessera.Federated.Grpc;

/// <summary>How a client reaches the server.</summary>
public sealed record GrpcClientOptions
{
    /// <summary>http://host:port (plaintext) or https://host:port (TLS).</summary>
    public string Server { get; init; } = "http://127.0.0.1:50051";

    public string ClientId { get; init; } = "client-0";

    public string Token { get; init; } = "";

    /// <summary>A PEM or DER certificate to trust for TLS (e.g. the server's self-signed one); null = system trust.</summary>
    public string? TrustedCertificate { get; init; }

    public int MaxMessageBytes { get; init; } = 256 * 1024 * 1024;

    /// <summary>How long to keep trying to (re)connect, e.g. while a server restarts with --resume.</summary>
    public TimeSpan RetryFor { get; init; } = TimeSpan.FromSeconds(60);
}

/// <summary>Why the client stopped.</summary>
public enum ClientExit
{
    /// <summary>The server said goodbye: the run is over.</summary>
    Finished,

    /// <summary>The server refused the token.</summary>
    Unauthenticated,

    /// <summary>The server could not be reached within the retry time.</summary>
    Unreachable,
}

/// <summary>
/// The client side of the gRPC transport: dials the server, introduces itself, receives the run config (from which
/// <paramref name="create"/> builds the local client, once), then answers instructions one at a time until the server
/// says goodbye. A lost connection is retried (the local client and its state survive), so a server restarted with
/// --resume finds its clients again.
/// </summary>
public sealed class GrpcFederationClient(GrpcClientOptions options, Func<string, IFederatedClient> create, Action<string> log)
{
    private IFederatedClient? _client;

    /// <summary>Runs until the server ends the run; <paramref name="beforeReply"/> may alter a reply (fault injection in tests).</summary>
    public ClientExit Run(CancellationToken cancel, Func<FedInstruction, FedReply, FedReply>? beforeReply = null)
    {
        DateTime giveUp = DateTime.UtcNow + options.RetryFor;
        while (true)
        {
            cancel.ThrowIfCancellationRequested();
            try
            {
                if (Session(cancel, beforeReply))
                {
                    return ClientExit.Finished;
                }
                giveUp = DateTime.UtcNow + options.RetryFor;     // the stream broke after working: retry afresh
                log("connection to the server lost; retrying");
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.Unauthenticated)
            {
                log($"the server refused this client: {e.Status.Detail}");
                return ClientExit.Unauthenticated;
            }
            catch (RpcException e) when (e.StatusCode is StatusCode.Unavailable or StatusCode.Internal or StatusCode.Cancelled or StatusCode.Unknown)
            {
                if (DateTime.UtcNow > giveUp)
                {
                    log($"server {options.Server} unreachable: {e.Status.Detail}");
                    return ClientExit.Unreachable;
                }
            }
            Thread.Sleep(500);
        }
    }

    /// <summary>One connection; true when the server said goodbye.</summary>
    private bool Session(CancellationToken cancel, Func<FedInstruction, FedReply, FedReply>? beforeReply)
    {
        using GrpcChannel channel = GrpcChannel.ForAddress(options.Server, new GrpcChannelOptions
        {
            MaxReceiveMessageSize = options.MaxMessageBytes,
            MaxSendMessageSize = options.MaxMessageBytes,
            HttpHandler = Handler(),
        });
        var client = new P.Federation.FederationClient(channel);
        var headers = new Metadata { { "authorization", $"Bearer {options.Token}" } };
        using AsyncDuplexStreamingCall<P.ClientMessage, P.ServerMessage> call = client.Join(headers, cancellationToken: cancel);
        call.RequestStream.WriteAsync(new P.ClientMessage { Hello = new P.Hello { ClientId = options.ClientId } }, cancel).GetAwaiter().GetResult();
        while (call.ResponseStream.MoveNext(cancel).GetAwaiter().GetResult())
        {
            P.ServerMessage m = call.ResponseStream.Current;
            switch (m.BodyCase)
            {
                case P.ServerMessage.BodyOneofCase.Welcome:
                    _client ??= create(m.Welcome.RunConfig);
                    log($"{options.ClientId} joined {options.Server}");
                    break;
                case P.ServerMessage.BodyOneofCase.Goodbye:
                    log($"server: {m.Goodbye.Reason}");
                    call.RequestStream.CompleteAsync().GetAwaiter().GetResult();
                    return true;
                case P.ServerMessage.BodyOneofCase.Instruction:
                    FedInstruction ins = Wire.FromProto(m.Instruction);
                    log($"round {ins.Round}: {ins.Kind}");
                    FedReply reply = (_client ?? throw new InvalidOperationException("instruction before welcome")).Handle(ins);
                    reply = beforeReply?.Invoke(ins, reply) ?? reply;
                    try
                    {
                        call.RequestStream.WriteAsync(new P.ClientMessage { Reply = Wire.ToProto(m.Instruction.Id, reply) }, cancel).GetAwaiter().GetResult();
                    }
                    catch (Exception e) when (e is RpcException { StatusCode: not StatusCode.Unauthenticated } or IOException or InvalidOperationException)
                    {
                        // The server went away while this client worked (killed, restarting with --resume): redial;
                        // a resumed server sends the unfinished round again.
                        log($"could not send the reply of round {ins.Round} ({e.GetType().Name})");
                        return false;
                    }
                    break;
            }
        }
        return false;
    }

    private SocketsHttpHandler Handler()
    {
        var handler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true };
        if (options.TrustedCertificate is { } path)
        {
            X509Certificate2 trusted = X509CertificateLoader.LoadCertificateFromFile(path);
            handler.SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, cert, _, errors) =>
                    errors == SslPolicyErrors.None || (cert is not null && cert.GetCertHashString() == trusted.GetCertHashString()),
            };
        }
        return handler;
    }
}
