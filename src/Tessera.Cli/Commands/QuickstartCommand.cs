using System.ComponentModel;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Spectre.Console;
using Spectre.Console.Cli;
using Tessera.Experiments;

namespace Tessera.Cli.Commands;

public sealed class QuickstartCommand(IAnsiConsole console) : TesseraCommand<QuickstartCommand.Settings>(console)
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--runs-root <DIR>")]
        [Description("Parent of the report directory (default: runs).")]
        [DefaultValue("runs")]
        public string RunsRoot { get; init; } = "runs";

        [CommandOption("--only <METHOD>")]
        [Description("Run only these methods (repeatable).")]
        public string[] Only { get; init; } = [];
    }

    protected override int Run(Settings s, CancellationToken cancel)
    {
        IReadOnlyList<IExperiment> experiments = s.Only.Length == 0 ? Registry.All : s.Only.Select(Registry.Get).ToArray();
        RunDirectory root = RunDirectory.Create(null, s.RunsRoot, "quickstart", "report", 0);
        Console.MarkupLineInterpolated($"[bold]tessera quickstart[/]: {experiments.Count} methods → {root.Path}");

        var lines = new List<QuickstartLine>();
        foreach (IExperiment experiment in experiments)
        {
            cancel.ThrowIfCancellationRequested();
            RunDirectory dir = root.Child(experiment.Name);
            QuickstartLine line;
            try
            {
                line = ConsoleSink.Show(Console, sink => experiment.Quickstart(dir, sink));
                RenderRuns(experiment, dir);
            }
            catch (InputException e)
            {
                // Typically a data set that is not installed: the line says how to get it; the other methods still run.
                line = new QuickstartLine(experiment.Name, "", $"not run: {e.Message}", false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                line = new QuickstartLine(experiment.Name, "", $"failed: {e.Message}", false);
            }
            lines.Add(line);
        }

        var table = new Table().AddColumns("method", "what the paper claims", "what this run measured", "holds");
        foreach (QuickstartLine l in lines)
        {
            table.AddRow(Markup.Escape(l.Method), Markup.Escape(l.PaperClaim), Markup.Escape(l.Measured), l.Holds ? "[green]yes[/]" : "[red]no[/]");
        }
        Console.Write(table);
        WriteReport(root, lines);
        Console.WriteLine($"report: {Path.Combine(root.Path, "report.md")}");
        return lines.All(l => !l.Measured.StartsWith("failed:", StringComparison.Ordinal)) ? TesseraApp.Ok : TesseraApp.Failed;
    }

    /// <summary>Draws the figures of every run a quickstart made: its own directory or the runs inside it (e.g. one
    /// per data format).</summary>
    private static void RenderRuns(IExperiment experiment, RunDirectory dir)
    {
        foreach (string metrics in Directory.EnumerateFiles(dir.Path, "metrics.jsonl", SearchOption.AllDirectories))
        {
            FigureRenderer.RenderRun(experiment, RunDirectory.Open(Path.GetDirectoryName(metrics)!, "metrics.jsonl"));
        }
    }

    private static void WriteReport(RunDirectory root, IReadOnlyList<QuickstartLine> lines)
    {
        var md = new StringBuilder("# Tessera quickstart\n\n");
        md.Append(CultureInfo.InvariantCulture, $"{DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores.\n\n");
        md.Append("| method | what the paper claims | what this run measured | holds |\n|---|---|---|---|\n");
        foreach (QuickstartLine l in lines)
        {
            md.Append(CultureInfo.InvariantCulture, $"| {l.Method} | {l.PaperClaim} | {l.Measured} | {(l.Holds ? "yes" : "no")} |\n");
        }
        md.Append("\nEach method's run directory (config, metrics, plots) is a sub-folder of this one.\n");
        RunDirectory.WriteAtomically(Path.Combine(root.Path, "report.md"), md.ToString());
        var json = new JsonArray(lines.Select(l => (JsonNode)new JsonObject
        {
            ["method"] = l.Method,
            ["paper_claim"] = l.PaperClaim,
            ["measured"] = l.Measured,
            ["holds"] = l.Holds,
        }).ToArray());
        root.WriteSummary(new JsonObject { ["lines"] = json });
    }
}
