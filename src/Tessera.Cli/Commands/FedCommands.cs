using System.ComponentModel;
using System.Text.Json.Nodes;
using Spectre.Console;
using Spectre.Console.Cli;
using Tessera.Experiments;
using Tessera.Federated.Grpc;
using Tessera.Methods.FedMA;
using Tessera.Training;

namespace Tessera.Cli.Commands;

/// <summary>Options shared by <c>fed serve</c> and <c>fed join</c>.</summary>
public class FedSettings : CommandSettings
{
    [CommandOption("--token <TOKEN>")]
    [Description("Shared secret of the federation (prefer --token-file: a command line is visible to other users).")]
    public string? Token { get; init; }

    [CommandOption("--token-file <FILE>")]
    [Description("File whose first line is the shared secret.")]
    public string? TokenFile { get; init; }

    [CommandOption("--max-message-mb <MB>")]
    [Description("Largest gRPC message either side accepts.")]
    [DefaultValue(256)]
    public int MaxMessageMb { get; init; } = 256;

    /// <summary>The token from --token or --token-file.</summary>
    public string ReadToken()
    {
        if (TokenFile is { } file)
        {
            string path = Path.GetFullPath(file);
            if (!File.Exists(path))
            {
                throw new InputException($"Token file '{path}' does not exist: write the federation's shared secret on its first line.");
            }
            string token = File.ReadLines(path).FirstOrDefault()?.Trim() ?? "";
            return token.Length > 0 ? token : throw new InputException($"Token file '{path}' is empty: write the shared secret on its first line.");
        }
        return string.IsNullOrEmpty(Token)
            ? throw new InputException("The federation needs a shared token: pass --token-file FILE (or --token TOKEN) on the server and every client.")
            : Token;
    }
}

/// <summary><c>tessera fed serve</c>: the server of a federated FedMA/FedAvg/FedProx run over gRPC.</summary>
public sealed class FedServeCommand(IAnsiConsole console) : TesseraCommand<FedServeCommand.Settings>(console)
{
    public sealed class Settings : FedSettings
    {
        [CommandOption("--preset <NAME>")]
        [Description("Preset from configs/fedma/<name>.json (smoke, small, r1, lstm, ...).")]
        public string? Preset { get; init; }

        [CommandOption("--config <FILE>")]
        [Description("JSON config file applied after the preset.")]
        public string? Config { get; init; }

        [CommandOption("--set <KEY=VALUE>")]
        [Description("Override one config key (repeatable; applied last).")]
        public string[] Set { get; init; } = [];

        [CommandOption("--seed <N>")]
        [Description("Shorthand for --set seed=N.")]
        public long? Seed { get; init; }

        [CommandOption("--run-dir <DIR>")]
        [Description("Write the run here instead of runs/fedma/<time>_<preset>_s<seed>.")]
        public string? RunDir { get; init; }

        [CommandOption("--runs-root <DIR>")]
        [Description("Parent of the generated run directories (default: runs).")]
        [DefaultValue("runs")]
        public string RunsRoot { get; init; } = "runs";

        [CommandOption("--resume <RUN_DIR>")]
        [Description("Continue a run after its last completed round, with its saved config.")]
        public string? Resume { get; init; }

        [CommandOption("--host <ADDRESS>")]
        [Description("Address to bind. Loopback unless you mean to accept clients from other machines (then use --cert).")]
        [DefaultValue("127.0.0.1")]
        public string Host { get; init; } = "127.0.0.1";

        [CommandOption("--port <PORT>")]
        [DefaultValue(50051)]
        public int Port { get; init; } = 50051;

        [CommandOption("--cert <PFX>")]
        [Description("PKCS#12 certificate: serve over TLS.")]
        public string? Cert { get; init; }

        [CommandOption("--cert-password <PASSWORD>")]
        public string? CertPassword { get; init; }
    }

    protected override int Run(Settings s, CancellationToken cancel)
    {
        var experiment = (FedmaExperiment)Registry.Get("fedma");
        string token = s.ReadToken();
        if (s.Cert is { } cert && !File.Exists(cert))
        {
            throw new InputException($"Certificate '{Path.GetFullPath(cert)}' does not exist: pass a PKCS#12 (.pfx) file to --cert.");
        }
        (FedmaConfig config, RunDirectory dir) = s.Resume is null ? Fresh(experiment, s) : Resumed(experiment, s);
        Console.MarkupLineInterpolated($"[bold]fedma server[/] on {s.Host}:{s.Port} → {dir.Path}");
        JsonObject summary = ConsoleSink.Show(Console, sink =>
        {
            using RunContext ctx = s.Resume is null ? RunContext.Start(dir, sink, cancel) : RunContext.Resume(dir, sink, cancel);
            Runtime.Apply(config);
            ctx.WriteEnv(experiment.Name, config.Threads);
            using FederatedData data = FedData.Build(config);
            ctx.Info(data.Description);
            FedArchitecture arch = FedmaExperiment.Architecture(config, data);
            using var transport = new GrpcServerTransport(new GrpcServerOptions
            {
                Host = s.Host,
                Port = s.Port,
                Token = token,
                CertificateFile = s.Cert,
                CertificatePassword = s.CertPassword,
                MaxMessageBytes = s.MaxMessageMb * 1024 * 1024,
                RunConfig = ConfigLoader.ToJson(config),
            }, ctx.Info);
            JsonObject result = FedmaExperiment.RunServer(config, ctx, transport, arch, data);
            ctx.Finish(result);
            return result;
        });
        IReadOnlyList<string> plots = FigureRenderer.RenderRun(experiment, dir);
        var table = new Table().AddColumns("summary", "value");
        foreach ((string key, JsonNode? value) in summary)
        {
            table.AddRow(Markup.Escape(key), Markup.Escape(value?.ToJsonString() ?? "null"));
        }
        Console.Write(table);
        Console.WriteLine($"run directory: {dir.Path} ({plots.Count} plots in plots/)");
        return TesseraApp.Ok;
    }

    private (FedmaConfig, RunDirectory) Fresh(IExperiment experiment, Settings s)
    {
        var overrides = s.Set.ToList();
        if (s.Seed is { } seed)
        {
            overrides.Add($"seed={seed}");
        }
        var config = (FedmaConfig)experiment.LoadConfig(Presets.Layers(experiment.Name, s.Preset, s.Config), overrides);
        RunDirectory dir = RunDirectory.Create(s.RunDir, s.RunsRoot, experiment.Name, s.Preset ?? "default", config.Seed);
        dir.WriteConfig(ConfigLoader.ToJson(config));
        dir.WriteCommand(["tessera", .. Arguments]);
        return (config, dir);
    }

    private static (FedmaConfig, RunDirectory) Resumed(IExperiment experiment, Settings s)
    {
        if (s.Preset is not null || s.Config is not null || s.Set.Length > 0 || s.Seed is not null || s.RunDir is not null)
        {
            throw new InputException("--resume continues a run with the config saved in its run directory; drop --preset, --config, --set, --seed and --run-dir.");
        }
        RunDirectory dir = RunDirectory.Open(s.Resume!);
        var config = (FedmaConfig)experiment.BindConfig(JsonNode.Parse(File.ReadAllText(dir.ConfigFile))!, dir.ConfigFile);
        return (config, dir);
    }
}

/// <summary><c>tessera fed join</c>: one client of a federated run; trains on its own partition and answers the server.</summary>
public sealed class FedJoinCommand(IAnsiConsole console) : TesseraCommand<FedJoinCommand.Settings>(console)
{
    public sealed class Settings : FedSettings
    {
        [CommandOption("--server <URL>")]
        [Description("http://host:port (plaintext, loopback) or https://host:port (TLS).")]
        [DefaultValue("http://127.0.0.1:50051")]
        public string Server { get; init; } = "http://127.0.0.1:50051";

        [CommandOption("--client <N>")]
        [Description("This client's partition index (its id is client-N).")]
        public int Client { get; init; } = -1;

        [CommandOption("--trust-cert <FILE>")]
        [Description("Certificate (PEM or DER) to trust for TLS, e.g. the server's self-signed one.")]
        public string? TrustCert { get; init; }

        [CommandOption("--retry-seconds <S>")]
        [Description("How long to keep dialling an unreachable server (e.g. while it restarts with --resume).")]
        [DefaultValue(60)]
        public int RetrySeconds { get; init; } = 60;
    }

    protected override int Run(Settings s, CancellationToken cancel)
    {
        if (s.Client < 0)
        {
            throw new InputException("--client N is required: the index of this client's data partition (0 .. clients-1).");
        }
        string token = s.ReadToken();
        FederatedData? data = null;
        FedClient? client = null;
        try
        {
            var federation = new GrpcFederationClient(new GrpcClientOptions
            {
                Server = s.Server,
                ClientId = ClientIds.Of(s.Client),
                Token = token,
                TrustedCertificate = s.TrustCert,
                MaxMessageBytes = s.MaxMessageMb * 1024 * 1024,
                RetryFor = TimeSpan.FromSeconds(s.RetrySeconds),
            }, json =>
            {
                var config = (FedmaConfig)Registry.Get("fedma").BindConfig(JsonNode.Parse(json)!, $"run config from {s.Server}");
                Runtime.Apply(config);
                data = FedData.Build(config);
                if (s.Client >= data.Clients.Count)
                {
                    throw new InputException($"--client {s.Client} is out of range: the run has {data.Clients.Count} clients (0 .. {data.Clients.Count - 1}).");
                }
                FedArchitecture arch = FedmaExperiment.Architecture(config, data);
                client = new FedClient(s.Client, arch, data.Clients[s.Client], config.Seed, config.Train.EvalBatchSize);
                return client.App();
            }, line => Console.WriteLine(line));
            return federation.Run(cancel) switch
            {
                ClientExit.Finished => TesseraApp.Ok,
                ClientExit.Unauthenticated => throw new InputException($"The server {s.Server} refused the token: use the federation's shared token."),
                _ => throw new RunFailedException($"The server {s.Server} could not be reached within {s.RetrySeconds} s."),
            };
        }
        finally
        {
            client?.Dispose();
            data?.Dispose();
        }
    }
}
