using System.ComponentModel;
using System.Text.Json.Nodes;
using Spectre.Console;
using Spectre.Console.Cli;
using Tessera.Experiments;
using Tessera.Training;

namespace Tessera.Cli.Commands;

public sealed class RunCommand(IAnsiConsole console) : TesseraCommand<RunCommand.Settings>(console)
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<method>")]
        [Description("Method to run (tessera list).")]
        public string Method { get; init; } = "";

        [CommandOption("--preset <NAME>")]
        [Description("Preset from configs/<method>/<name>.json (smoke, small, ...). Default: the method's defaults.")]
        public string? Preset { get; init; }

        [CommandOption("--config <FILE>")]
        [Description("JSON config file applied after the preset.")]
        public string? Config { get; init; }

        [CommandOption("--set <KEY=VALUE>")]
        [Description("Override one config key, e.g. --set train.lr=3e-4 (repeatable; applied last).")]
        public string[] Set { get; init; } = [];

        [CommandOption("--seed <N>")]
        [Description("Shorthand for --set seed=N.")]
        public long? Seed { get; init; }

        [CommandOption("--threads <N>")]
        [Description("Shorthand for --set threads=N (libtorch threads).")]
        public int? Threads { get; init; }

        [CommandOption("--run-dir <DIR>")]
        [Description("Write the run here instead of runs/<method>/<time>_<preset>_s<seed>.")]
        public string? RunDir { get; init; }

        [CommandOption("--runs-root <DIR>")]
        [Description("Parent of the generated run directories (default: runs).")]
        [DefaultValue("runs")]
        public string RunsRoot { get; init; } = "runs";

        [CommandOption("--resume <RUN_DIR>")]
        [Description("Continue a run from its latest checkpoint, with its saved config.")]
        public string? Resume { get; init; }
    }

    protected override int Run(Settings s, CancellationToken cancel)
    {
        IExperiment experiment = Registry.Get(s.Method);
        (IRunConfig config, RunDirectory dir) = s.Resume is null ? Fresh(experiment, s, Arguments) : Resumed(experiment, s);
        Console.MarkupLineInterpolated($"[bold]{experiment.Name}[/] → {dir.Path}");

        JsonObject summary;
        try
        {
            summary = ConsoleSink.Show(Console, sink =>
            {
                using RunContext ctx = s.Resume is null ? RunContext.Start(dir, sink, cancel) : RunContext.Resume(dir, sink, cancel);
                Runtime.Apply(config);
                ctx.WriteEnv(experiment.Name, config.Threads);
                JsonObject result = experiment.Run(config, ctx);
                ctx.Finish(result);
                return result;
            });
        }
        catch (InputException) when (s.Resume is null && Checkpoint.Latest(dir.CheckpointsDir) is null)
        {
            Directory.Delete(dir.Path, recursive: true);   // refused before any progress: leave nothing behind
            throw;
        }

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

    internal static (IRunConfig, RunDirectory) Fresh(IExperiment experiment, Settings s, IReadOnlyList<string> arguments)
    {
        IReadOnlyList<ConfigLayer> layers = Presets.Layers(experiment.Name, s.Preset, s.Config);
        var overrides = s.Set.ToList();
        if (s.Seed is { } seed)
        {
            overrides.Add($"seed={seed}");
        }
        if (s.Threads is { } threads)
        {
            overrides.Add($"threads={threads}");
        }
        IRunConfig config = experiment.LoadConfig(layers, overrides);
        RunDirectory dir = RunDirectory.Create(s.RunDir, s.RunsRoot, experiment.Name, s.Preset ?? "default", config.Seed);
        dir.WriteConfig(ConfigLoader.ToJson(config));
        dir.WriteCommand(["tessera", .. arguments]);
        return (config, dir);
    }

    internal static (IRunConfig, RunDirectory) Resumed(IExperiment experiment, Settings s)
    {
        if (s.Preset is not null || s.Config is not null || s.Set.Length > 0 || s.Seed is not null || s.Threads is not null || s.RunDir is not null)
        {
            throw new InputException("--resume continues a run with the config saved in its run directory; " +
                "drop --preset, --config, --set, --seed, --threads and --run-dir.");
        }
        RunDirectory dir = RunDirectory.Open(s.Resume!);
        string? method = dir.ReadEnv()?["method"]?.GetValue<string>();
        if (method is not null && method != experiment.Name)
        {
            throw new InputException($"'{dir.Path}' is a '{method}' run, not '{experiment.Name}': use tessera run {method} --resume {s.Resume}.");
        }
        IRunConfig config = experiment.BindConfig(JsonNode.Parse(File.ReadAllText(dir.ConfigFile))!, dir.ConfigFile);
        return (config, dir);
    }
}
