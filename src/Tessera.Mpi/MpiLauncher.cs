using System.Diagnostics;

namespace Tessera.Mpi;

/// <summary>How to start a job with <see cref="MpiLauncher"/>.</summary>
public sealed record MpiLaunchOptions
{
    /// <summary>Number of processes (ranks).</summary>
    public int Ranks { get; init; } = 2;

    /// <summary>All ranks on this machine: shared-memory transport only and Open MPI's own traffic on loopback
    /// (no listener on the network). Turn off for multi-host runs or a TCP benchmark.</summary>
    public bool LocalOnly { get; init; } = true;

    /// <summary>Extra arguments for mpiexec, placed before the program (e.g. <c>--mca btl tcp,self</c>, <c>-H a,b</c>).</summary>
    public IReadOnlyList<string> MpiArgs { get; init; } = [];

    /// <summary>Per-rank command prefix; when set, the job is started in MPMD form, one program per rank
    /// (<c>-n 1 prefix(0) cmd : -n 1 prefix(1) cmd ...</c>), e.g. <c>ip netns exec ns{r}</c>.</summary>
    public Func<int, IReadOnlyList<string>>? RankPrefix { get; init; }

    /// <summary>Extra environment variables for mpiexec and the ranks.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();
}

/// <summary>
/// Starts <c>mpiexec</c> (Open MPI) with what this kind of machine needs (MPI.md): root allowed
/// (<c>OMPI_ALLOW_RUN_AS_ROOT</c>), oversubscription when there are more ranks than cores, <c>--bind-to none</c> (Open
/// MPI would pin each rank to one core, and libtorch's threads with it), <c>TERM=dumb</c> (no terminal escape codes in
/// rank output) and, for local jobs, shared memory plus loopback only.
/// </summary>
public static class MpiLauncher
{
    /// <summary>The full path of mpiexec on PATH, or null.</summary>
    public static string? FindMpiexec()
    {
        foreach (string dir in (System.Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(dir, "mpiexec");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }

    /// <summary>The environment variables a job gets (besides the inherited ones).</summary>
    public static Dictionary<string, string> JobEnvironment(MpiLaunchOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var env = new Dictionary<string, string>
        {
            ["OMPI_ALLOW_RUN_AS_ROOT"] = "1",
            ["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1",
            ["TERM"] = "dumb",
        };
        if (options.Ranks > System.Environment.ProcessorCount)
        {
            env["OMPI_MCA_rmaps_base_oversubscribe"] = "1";
        }
        if (options.LocalOnly)
        {
            env["OMPI_MCA_btl"] = "self,vader";
            env["OMPI_MCA_oob_tcp_if_include"] = "lo";
        }
        foreach ((string k, string v) in options.Environment)
        {
            env[k] = v;
        }
        return env;
    }

    /// <summary>The mpiexec arguments that start <paramref name="command"/> (program and its arguments) on every rank.</summary>
    public static List<string> Arguments(MpiLaunchOptions options, IReadOnlyList<string> command)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(command);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.Ranks);
        var args = new List<string> { "--bind-to", "none" };
        if (options.Ranks > System.Environment.ProcessorCount)
        {
            args.Add("--oversubscribe");
        }
        args.AddRange(options.MpiArgs);
        if (options.RankPrefix is null)
        {
            args.AddRange(["-n", options.Ranks.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            args.AddRange(command);
            return args;
        }
        for (int r = 0; r < options.Ranks; r++)
        {
            if (r > 0)
            {
                args.Add(":");
            }
            args.AddRange(["-n", "1"]);
            args.AddRange(options.RankPrefix(r));
            args.AddRange(command);
        }
        return args;
    }

    /// <summary>A start info for <c>mpiexec</c>; throws <see cref="InputException"/> when Open MPI is not installed.</summary>
    public static ProcessStartInfo StartInfo(MpiLaunchOptions options, IReadOnlyList<string> command, bool redirect = false)
    {
        string mpiexec = FindMpiexec()
            ?? throw new InputException("mpiexec was not found on PATH: install Open MPI with 'apt-get install openmpi-bin'.");
        var info = new ProcessStartInfo(mpiexec)
        {
            UseShellExecute = false,
            RedirectStandardOutput = redirect,
            RedirectStandardError = redirect,
        };
        foreach (string a in Arguments(options, command))
        {
            info.ArgumentList.Add(a);
        }
        foreach ((string k, string v) in JobEnvironment(options))
        {
            info.Environment[k] = v;
        }
        return info;
    }

    /// <summary>The command line a user could paste to start the same job (environment first).</summary>
    public static string Describe(ProcessStartInfo info, MpiLaunchOptions options)
    {
        ArgumentNullException.ThrowIfNull(info);
        IEnumerable<string> env = JobEnvironment(options).Select(kv => $"{kv.Key}={kv.Value}");
        return string.Join(' ', env.Append(info.FileName).Concat(info.ArgumentList).Select(Quote));
    }

    private static string Quote(string a) => a.Length > 0 && a.All(c => char.IsLetterOrDigit(c) || "-_./=,:@%+".Contains(c)) ? a : $"'{a.Replace("'", "'\\''", StringComparison.Ordinal)}'";
}
