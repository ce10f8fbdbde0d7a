using Spectre.Console;
using Spectre.Console.Cli;
using Tessera.Cli.Commands;

namespace Tessera.Cli;

/// <summary>The <c>tessera</c> command line. Exit codes: 0 ok, 1 run failed, 2 bad config or input.</summary>
public static class TesseraApp
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int BadInput = 2;

    public static void Configure(IConfigurator config)
    {
        config.SetApplicationName("tessera");
        config.AddCommand<ListCommand>("list").WithDescription("Methods and their presets.");
        config.AddCommand<RunCommand>("run").WithDescription("Run a method with a preset, a config file and --set overrides.")
            .WithExample("run", "classify")
            .WithExample("run", "classify", "--preset", "small", "--set", "data.dataset=fashion-mnist");
        config.AddCommand<SweepCommand>("sweep").WithDescription("Run a grid of configs x seeds and draw the method's sweep figures and table.")
            .WithExample("sweep", "arithmetic", "--preset", "small", "--grid", "data.format=plain,reverse", "--grid", "data.trainSize=500,1000,2000,4000");
        config.AddCommand<PlotCommand>("plot").WithDescription("Redraw a run's figures from its metrics.jsonl.");
        config.AddCommand<DataCommand>("data").WithDescription("Which datasets are found where, and how to get the missing ones.");
        config.AddBranch("fed", fed =>
        {
            fed.SetDescription("Federated runs over gRPC: a server and clients as separate processes.");
            fed.AddCommand<FedServeCommand>("serve").WithDescription("Serve a fedma run: wait for the clients, run the strategies, write the run directory.")
                .WithExample("fed", "serve", "--preset", "smoke", "--token-file", "fed.token");
            fed.AddCommand<FedJoinCommand>("join").WithDescription("Join a fedma run as client N and train on partition N.")
                .WithExample("fed", "join", "--client", "0", "--token-file", "fed.token");
        });
        config.AddCommand<QuickstartCommand>("quickstart").WithDescription("Run every method's quick check and print one table.");
        config.AddCommand<LaunchCommand>("launch").WithDescription("Run a command on N Open MPI ranks (mpiexec with the right environment).")
            .WithExample("launch", "-n", "4", "--", "run", "accordion", "--preset", "small")
            .WithExample("launch", "-n", "2", "--", "comm-check");
        config.AddCommand<MpiRunCommand>("mpi-run").IsHidden();
        config.AddCommand<MpiCheckCommand>("mpi-check").IsHidden();
    }

    public static int Run(string[] args)
    {
        var app = new CommandApp();
        app.Configure(config =>
        {
            Configure(config);
            config.PropagateExceptions();
        });
        try
        {
            return app.Run(args);
        }
        catch (CommandAppException e)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {e.Message}");
            return BadInput;
        }
    }
}
