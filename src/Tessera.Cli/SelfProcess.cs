using System.Diagnostics;

namespace Tessera.Cli;

/// <summary>Starts this same <c>tessera</c> program as a child process (for sweep cells), output to a log file.</summary>
public static class SelfProcess
{
    /// <summary>The program and leading arguments that start this CLI (the apphost, or <c>dotnet Tessera.Cli.dll</c>),
    /// for launchers that start it themselves (mpiexec).</summary>
    public static IReadOnlyList<string> Command()
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "Tessera.Cli.dll");
        string host = Path.Combine(AppContext.BaseDirectory, OperatingSystem.IsWindows() ? "Tessera.Cli.exe" : "Tessera.Cli");
        return File.Exists(host) ? [host] : ["dotnet", dll];
    }

    public static Process Start(IEnumerable<string> args, string logFile)
    {
        // Run through the apphost when there is one (dotnet run, published builds), else `dotnet tessera.dll`.
        string dll = Path.Combine(AppContext.BaseDirectory, "Tessera.Cli.dll");
        string host = Path.Combine(AppContext.BaseDirectory, OperatingSystem.IsWindows() ? "Tessera.Cli.exe" : "Tessera.Cli");
        var info = new ProcessStartInfo(File.Exists(host) ? host : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (!File.Exists(host))
        {
            info.ArgumentList.Add(dll);
        }
        foreach (string a in args)
        {
            info.ArgumentList.Add(a);
        }
        info.Environment["TERM"] = "dumb";
        var log = new StreamWriter(logFile, append: true) { AutoFlush = true };
        var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => Write(log, e.Data);
        process.ErrorDataReceived += (_, e) => Write(log, e.Data);
        process.Disposed += (_, _) => log.Dispose();
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static void Write(StreamWriter log, string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (log)
        {
            log.WriteLine(line);
        }
    }
}
