using System.Globalization;
using System.Text.Json.Nodes;
using Spectre.Console;
using Spectre.Console.Cli;
using Tessera.Comm;
using Tessera.Experiments;
using Tessera.Methods.Accordion;
using Tessera.Mpi;

namespace Tessera.Cli.Commands;

/// <summary>
/// The hidden per-rank side of <c>tessera launch -- run ...</c> (started by mpiexec, one process per rank). Rank 0 builds
/// the config and the run directory exactly as <c>tessera run</c> does and sends the resolved config to the other ranks;
/// only rank 0 writes the run directory and prints. Any exception on any rank prints the rank and the error and aborts
/// the whole job (MPI_Abort), so nothing waits forever.
/// </summary>
public sealed class MpiRunCommand(IAnsiConsole console) : TesseraCommand<RunCommand.Settings>(console)
{
    protected override int Run(RunCommand.Settings s, CancellationToken cancel) =>
        MpiRuntime.Run(comm => RunRank(comm, s, cancel), e => e is InputException ? TesseraApp.BadInput : TesseraApp.Failed);

    private int RunRank(MpiCommunicator comm, RunCommand.Settings s, CancellationToken cancel)
    {
        IExperiment experiment = Registry.Get(s.Method);
        if (experiment is not IDistributedExperiment distributed)
        {
            throw new InputException($"Method '{s.Method}' runs in one process; only {string.Join(", ", Registry.All.OfType<IDistributedExperiment>().Select(e => e.Name))} run under launch.");
        }
        IRunConfig config;
        RunDirectory? dir = null;
        if (comm.Rank == 0)
        {
            (config, dir) = s.Resume is null ? RunCommand.Fresh(experiment, s, LaunchArguments(comm.Size)) : RunCommand.Resumed(experiment, s);
            comm.BroadcastString(ConfigLoader.ToJson(config), 0);
        }
        else
        {
            string json = comm.BroadcastString(null, 0);
            config = experiment.BindConfig(JsonNode.Parse(json)!, "the config sent by rank 0");
        }
        Runtime.Apply(config);
        if (comm.Rank != 0)
        {
            distributed.RunRank(config, comm, null);
            return TesseraApp.Ok;
        }

        Console.MarkupLineInterpolated($"[bold]{experiment.Name}[/] on {comm.Size} MPI ranks → {dir!.Path}");
        JsonObject summary = ConsoleSink.Show(Console, sink =>
        {
            using RunContext ctx = s.Resume is null ? RunContext.Start(dir, sink, cancel) : RunContext.Resume(dir, sink, cancel);
            ctx.WriteEnv(experiment.Name, config.Threads);
            JsonObject env = dir.ReadEnv()!;
            env["mpiRanks"] = comm.Size;
            dir.WriteEnv(env);
            JsonObject result = distributed.RunRank(config, comm, ctx)!;
            ctx.Finish(result);
            return result;
        });
        IReadOnlyList<string> plots = FigureRenderer.RenderRun(experiment, dir);
        foreach (string key in new[] { "test_acc", "best_test_acc", "floats_total_m", "rounds", "low_fraction", "train_s", "comm_s" })
        {
            if (summary[key] is JsonNode v)
            {
                Console.WriteLine($"{key}: {v.ToJsonString()}");
            }
        }
        Console.WriteLine($"run directory: {dir.Path} ({plots.Count} plots in plots/)");
        return TesseraApp.Ok;
    }

    /// <summary>The command as the user typed it, for command.txt.</summary>
    private IReadOnlyList<string> LaunchArguments(int size) =>
        ["launch", "-n", size.ToString(CultureInfo.InvariantCulture), "--", "run", .. Arguments.SkipWhile(a => a == "mpi-run")];
}

/// <summary>The hidden per-rank side of <c>tessera launch -n N -- comm-check</c>: checks every collective on MPI and
/// prints one line per rank.</summary>
public sealed class MpiCheckCommand(IAnsiConsole console) : TesseraCommand<MpiCheckCommand.Settings>(console)
{
    public sealed class Settings : CommandSettings
    {
    }

    protected override int Run(Settings s, CancellationToken cancel) =>
        MpiRuntime.Run(comm =>
        {
            IReadOnlyList<string> problems = CommunicatorCheck.Run(comm);
            string line = CommunicatorCheck.Report(comm, problems);
            // Every rank reports; lines go through rank order so the output reads top to bottom.
            byte[][] lines = comm.AllGatherBytes(System.Text.Encoding.UTF8.GetBytes(line));
            if (comm.Rank == 0)
            {
                foreach (byte[] l in lines)
                {
                    Console.WriteLine(System.Text.Encoding.UTF8.GetString(l));
                }
            }
            comm.Barrier();
            if (problems.Count > 0)
            {
                throw new InvalidOperationException(line);
            }
            return TesseraApp.Ok;
        });
}
