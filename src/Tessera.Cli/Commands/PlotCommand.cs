using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;
using Tessera.Experiments;

namespace Tessera.Cli.Commands;

public sealed class PlotCommand(IAnsiConsole console) : TesseraCommand<PlotCommand.Settings>(console)
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<run-dir>")]
        [Description("A run directory (holds config.json, env.json and metrics.jsonl).")]
        public string RunDir { get; init; } = "";
    }

    protected override int Run(Settings s, CancellationToken cancel)
    {
        RunDirectory dir = RunDirectory.Open(s.RunDir);
        string method = dir.ReadEnv()?["method"]?.GetValue<string>()
            ?? throw new InputException($"'{dir.EnvFile}' does not say which method made this run.");
        IReadOnlyList<string> plots = FigureRenderer.RenderRun(Registry.Get(method), dir);
        foreach (string png in plots)
        {
            Console.WriteLine(png);
        }
        Console.WriteLine($"{plots.Count} figures (PNG + SVG) in {dir.PlotsDir}");
        return TesseraApp.Ok;
    }
}
