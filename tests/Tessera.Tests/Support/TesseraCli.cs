using System.Diagnostics;
using Spectre.Console.Cli.Testing;
using Tessera.Cli;

namespace Tessera.Tests.Support;

/// <summary>Runs the real <c>tessera</c> CLI: in-process (CommandAppTester) or as a child process.</summary>
public static class TesseraCli
{
    public static (int ExitCode, string Output) Run(params string[] args)
    {
        var app = new CommandAppTester();
        app.Configure(TesseraApp.Configure);
        CommandAppResult result = app.Run(args);
        return (result.ExitCode, result.Output);
    }

    /// <summary>Starts the CLI from the test's output folder as a child process; its output goes to <paramref name="log"/>.</summary>
    public static Process Start(string log, params string[] args) => SelfProcess.Start(args, log);
}
