using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Spectre.Console;
using Spectre.Console.Cli;
using Tessera.Experiments;

namespace Tessera.Cli.Commands;

/// <summary>
/// Runs a grid of a method's configs (axes × seeds), each cell a normal run directory inside the sweep directory,
/// as child processes (<c>--jobs</c> at a time; one thread each by default), then draws the method's sweep figures
/// and table. Cells that finished are kept: the same command with <c>--resume</c> runs only what is missing.
/// </summary>
public sealed class SweepCommand(IAnsiConsole console) : TesseraCommand<SweepCommand.Settings>(console)
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<method>")]
        public string Method { get; init; } = "";

        [CommandOption("--preset <NAME>")]
        public string? Preset { get; init; }

        [CommandOption("--config <FILE>")]
        public string? Config { get; init; }

        [CommandOption("--set <KEY=VALUE>")]
        [Description("Override for every cell (repeatable).")]
        public string[] Set { get; init; } = [];

        [CommandOption("--grid <KEY=V1,V2>")]
        [Description("An axis of the grid, e.g. --grid data.format=plain,reverse (repeatable).")]
        public string[] Grid { get; init; } = [];

        [CommandOption("--seeds <LIST>")]
        [Description("Seeds, comma separated (default: 0).")]
        [DefaultValue("0")]
        public string Seeds { get; init; } = "0";

        [CommandOption("--jobs <N>")]
        [Description("Cells run at the same time (default: the number of cores).")]
        public int? Jobs { get; init; }

        [CommandOption("--run-dir <DIR>")]
        public string? RunDir { get; init; }

        [CommandOption("--runs-root <DIR>")]
        [DefaultValue("runs")]
        public string RunsRoot { get; init; } = "runs";

        [CommandOption("--resume <SWEEP_DIR>")]
        [Description("Finish an interrupted sweep: run only the cells without a summary.")]
        public string? Resume { get; init; }
    }

    protected override int Run(Settings s, CancellationToken cancel)
    {
        IExperiment experiment = Registry.Get(s.Method);
        (SweepPlan plan, RunDirectory dir) = s.Resume is null ? Plan(experiment, s) : (SweepPlan.Load(Path.Combine(s.Resume, "sweep.json")), RunDirectory.Open(s.Resume, "sweep.json"));
        IReadOnlyList<SweepCell> cells = plan.Cells();
        int jobs = Math.Max(1, s.Jobs ?? Environment.ProcessorCount);
        Console.MarkupLineInterpolated($"[bold]sweep {experiment.Name}[/]: {cells.Count} runs, {jobs} at a time → {dir.Path}");

        var failed = new List<string>();
        ConsoleSink.Show(Console, sink =>
        {
            int done = cells.Count(c => File.Exists(Path.Combine(dir.Path, c.Name, "summary.json")));
            sink.Progress("sweep", done, cells.Count);
            Parallel.ForEach(cells.Where(c => !File.Exists(Path.Combine(dir.Path, c.Name, "summary.json"))),
                new ParallelOptions { MaxDegreeOfParallelism = jobs, CancellationToken = cancel }, cell =>
                {
                    string log = Path.Combine(dir.Path, "logs", $"{cell.Name}.txt");
                    int code = RunCell(plan, cell, Path.Combine(dir.Path, cell.Name), log, cancel);
                    lock (failed)
                    {
                        if (code != 0)
                        {
                            failed.Add($"{cell.Name} (exit {code}, see {log})");
                        }
                        sink.Info($"{cell.Name}: {(code == 0 ? Headline(Path.Combine(dir.Path, cell.Name)) : $"failed with exit code {code}")}");
                        sink.Progress("sweep", ++done, cells.Count);
                    }
                });
            return 0;
        });

        IReadOnlyList<SweepResult> results = cells
            .Where(c => File.Exists(Path.Combine(dir.Path, c.Name, "summary.json")))
            .Select(c => new SweepResult(c, (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(dir.Path, c.Name, "summary.json")))!))
            .ToArray();
        Report(experiment, dir, results);
        foreach (string f in failed)
        {
            Console.MarkupLineInterpolated($"[red]failed:[/] {f}");
        }
        return failed.Count == 0 ? TesseraApp.Ok : TesseraApp.Failed;
    }

    private (SweepPlan, RunDirectory) Plan(IExperiment experiment, Settings s)
    {
        if (s.Grid.Length == 0)
        {
            throw new InputException("A sweep needs at least one --grid key=v1,v2,... axis.");
        }
        long[] seeds = s.Seeds.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(v => long.TryParse(v, CultureInfo.InvariantCulture, out long seed) ? seed : throw new InputException($"--seeds: '{v}' is not an integer."))
            .ToArray();
        var plan = new SweepPlan(experiment.Name, s.Preset, s.Config is null ? null : Path.GetFullPath(s.Config), s.Set,
            s.Grid.Select(SweepPlan.ParseAxis).ToArray(), seeds);

        // Fail fast on a bad key or value: bind every cell's config before starting anything.
        foreach (SweepCell cell in plan.Cells())
        {
            experiment.LoadConfig(Presets.Layers(plan.Method, plan.Preset, plan.ConfigFile), [.. cell.Overrides, $"seed={cell.Seed}"]);
        }
        RunDirectory dir = RunDirectory.Create(s.RunDir, s.RunsRoot, $"{experiment.Name}-sweep", s.Preset ?? "default", seeds[0]);
        plan.Save(Path.Combine(dir.Path, "sweep.json"));
        dir.WriteCommand(["tessera", .. Arguments]);
        return (plan, dir);
    }

    /// <summary>Runs one cell as <c>tessera run</c> in a child process (resuming it if it has a checkpoint); its output
    /// goes to logs/&lt;cell&gt;.txt.</summary>
    private static int RunCell(SweepPlan plan, SweepCell cell, string cellDir, string log, CancellationToken cancel)
    {
        var args = new List<string> { "run", plan.Method };
        if (Directory.Exists(Path.Combine(cellDir, "checkpoints")) && File.Exists(Path.Combine(cellDir, "config.json")))
        {
            args.AddRange(["--resume", cellDir]);
        }
        else
        {
            if (Directory.Exists(cellDir))
            {
                Directory.Delete(cellDir, recursive: true);   // started but never checkpointed: start over
            }
            if (plan.Preset is not null)
            {
                args.AddRange(["--preset", plan.Preset]);
            }
            if (plan.ConfigFile is not null)
            {
                args.AddRange(["--config", plan.ConfigFile]);
            }
            foreach (string o in cell.Overrides)
            {
                args.AddRange(["--set", o]);
            }
            args.AddRange(["--seed", cell.Seed.ToString(CultureInfo.InvariantCulture), "--run-dir", cellDir]);
        }
        Directory.CreateDirectory(Path.GetDirectoryName(log)!);
        using Process process = SelfProcess.Start(args, log);
        using CancellationTokenRegistration kill = cancel.Register(() => process.Kill(entireProcessTree: true));
        process.WaitForExit();
        return process.ExitCode;
    }

    private static string Headline(string cellDir)
    {
        JsonObject summary = RunDirectory.Open(cellDir).ReadSummary();
        return string.Join(", ", summary.Where(kv => kv.Key.EndsWith("acc", StringComparison.Ordinal) && kv.Value is JsonValue)
            .Select(kv => $"{kv.Key} {Stats.Percent(kv.Value!.GetValue<double>())}%"));
    }

    private void Report(IExperiment experiment, RunDirectory dir, IReadOnlyList<SweepResult> results)
    {
        var rows = new JsonArray(results.Select(r => (JsonNode)new JsonObject
        {
            ["cell"] = r.Cell.Name,
            ["seed"] = r.Cell.Seed,
            ["overrides"] = new JsonArray(r.Cell.Overrides.Select(o => (JsonNode)JsonValue.Create(o)!).ToArray()),
            ["summary"] = r.Summary.DeepClone(),
        }).ToArray());
        dir.WriteSummary(new JsonObject { ["method"] = experiment.Name, ["cells"] = rows });
        if (experiment is not ISweepReport report || results.Count == 0)
        {
            return;
        }
        string table = report.SweepTable(results);
        RunDirectory.WriteAtomically(Path.Combine(dir.Path, "table.md"), table);
        IReadOnlyList<string> plots = FigureRenderer.Render(report.SweepFigures(results), dir.PlotsDir);
        Console.WriteLine(table);
        Console.WriteLine($"sweep: {dir.Path} (table.md, {plots.Count} plots in plots/)");
    }
}
