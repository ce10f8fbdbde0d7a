using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using Spectre.Console;
using Spectre.Console.Cli;
using Tessera.Mpi;

namespace Tessera.Cli.Commands;

/// <summary>
/// <c>tessera launch -n N -- run accordion ...</c>: starts the command on N Open MPI ranks through <c>mpiexec</c>, with
/// the environment this kind of machine needs (root allowed, oversubscription when N exceeds the cores,
/// <c>--bind-to none</c>, <c>TERM=dumb</c>, shared memory and loopback only unless <c>--hosts</c> is given) and
/// <c>cores / N</c> libtorch threads per rank. Only rank 0 writes the run directory and prints progress. A rank that
/// fails prints its rank and error and ends the whole job.
/// </summary>
public sealed class LaunchCommand(IAnsiConsole console) : TesseraCommand<LaunchCommand.Settings>(console)
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("-n|--ranks <N>")]
        [Description("Number of MPI ranks (workers).")]
        [DefaultValue(2)]
        public int Ranks { get; init; } = 2;

        [CommandOption("--threads-per-rank <T>")]
        [Description("libtorch threads per rank for a new run (default: cores / ranks, at least 1).")]
        public int? ThreadsPerRank { get; init; }

        [CommandOption("--hosts <LIST>")]
        [Description("Comma-separated hosts for mpiexec -H (multi-machine; needs passwordless ssh and the same paths).")]
        public string? Hosts { get; init; }

        [CommandOption("--mca <KEY=VALUE>")]
        [Description("An Open MPI parameter, passed as --mca KEY VALUE (repeatable), e.g. btl_tcp_if_include=eth0.")]
        public string[] Mca { get; init; } = [];

        [CommandOption("--dry-run")]
        [Description("Print the mpiexec command line and exit.")]
        public bool DryRun { get; init; }
    }

    protected override int Run(Settings s, CancellationToken cancel)
    {
        if (s.Ranks < 1)
        {
            throw new InputException($"-n must be at least 1 (got {s.Ranks}).");
        }
        List<string> rankArgs = RankArguments(Remaining, s.Ranks, s.ThreadsPerRank ?? Math.Max(1, Environment.ProcessorCount / s.Ranks));
        var mpiArgs = new List<string>();
        if (s.Hosts is not null)
        {
            mpiArgs.AddRange(["-H", s.Hosts]);
        }
        foreach (string m in s.Mca)
        {
            int eq = m.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new InputException($"--mca '{m}': expected KEY=VALUE, e.g. --mca btl_tcp_if_include=eth0.");
            }
            mpiArgs.AddRange(["--mca", m[..eq], m[(eq + 1)..]]);
        }
        var options = new MpiLaunchOptions { Ranks = s.Ranks, LocalOnly = s.Hosts is null && s.Mca.Length == 0, MpiArgs = mpiArgs };
        ProcessStartInfo info = MpiLauncher.StartInfo(options, [.. SelfProcess.Command(), .. rankArgs], redirect: true);
        Console.Profile.Out.Writer.WriteLine($"launch: {MpiLauncher.Describe(info, options)}");   // unwrapped: a command to copy
        if (s.DryRun)
        {
            return TesseraApp.Ok;
        }
        using var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => Forward(e.Data);
        process.ErrorDataReceived += (_, e) => Forward(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using CancellationTokenRegistration kill = cancel.Register(() => process.Kill(entireProcessTree: true));
        process.WaitForExit();
        int code = process.ExitCode;
        if (code != 0)
        {
            Console.MarkupLineInterpolated($"[red]launch:[/] mpiexec exited with code {code}");
        }
        return code switch
        {
            0 => TesseraApp.Ok,
            TesseraApp.BadInput => TesseraApp.BadInput,
            _ => TesseraApp.Failed,
        };
    }

    private readonly object _gate = new();

    private void Forward(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_gate)
        {
            // Verbatim: the ranks format their own lines, and wrapping them to the console width splits messages.
            Console.Profile.Out.Writer.WriteLine(line);
        }
    }

    /// <summary>Maps the command after <c>--</c> to the hidden per-rank command: <c>run M ...</c> → <c>mpi-run M ...</c>
    /// (with <c>--threads</c> added for a new run that does not set it), <c>comm-check</c> → <c>mpi-check</c>.</summary>
    internal static List<string> RankArguments(IReadOnlyList<string> remaining, int ranks, int threadsPerRank)
    {
        if (remaining.Count == 0 || remaining[0] is not ("run" or "comm-check"))
        {
            throw new InputException("launch needs the command to run on every rank after --, e.g. " +
                "tessera launch -n 4 -- run accordion --preset small (or: tessera launch -n 2 -- comm-check).");
        }
        if (remaining[0] == "comm-check")
        {
            return ["mpi-check"];
        }
        var args = new List<string> { "mpi-run" };
        args.AddRange(remaining.Skip(1));
        bool resume = remaining.Contains("--resume");
        if (!resume && !remaining.Contains("--threads"))
        {
            args.AddRange(["--threads", threadsPerRank.ToString(CultureInfo.InvariantCulture)]);
        }
        if (!resume && !remaining.Any(a => a.StartsWith("workers=", StringComparison.Ordinal)))
        {
            args.AddRange(["--set", $"workers={ranks}"]);
        }
        return args;
    }
}
