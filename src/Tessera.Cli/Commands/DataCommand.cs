using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;
using Tessera.Data;

namespace Tessera.Cli.Commands;

public sealed class DataCommand(IAnsiConsole console) : TesseraCommand<DataCommand.Settings>(console)
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--root <DIR>")]
        [Description("Folder of downloaded datasets (default: $TESSERA_DATA, else ./data).")]
        public string? Root { get; init; }
    }

    protected override int Run(Settings s, CancellationToken cancel)
    {
        string root = s.Root ?? DatasetCatalog.DefaultDataRoot;
        var table = new Table().AddColumns("dataset", "kind", "found", "where");
        var missing = new List<DatasetInfo>();
        foreach (DatasetInfo d in DatasetCatalog.All)
        {
            bool present = d.IsPresent(root);
            table.AddRow(Markup.Escape(d.Name), d.Kind, present ? "[green]yes[/]" : "[yellow]no[/]", Markup.Escape(d.ExpectedLocation));
            if (!present)
            {
                missing.Add(d);
            }
        }
        Console.Write(table);
        foreach (DatasetInfo d in missing)
        {
            Console.MarkupLineInterpolated($"[yellow]{d.Name}[/]: {d.HowToGet}");
        }
        Console.WriteLine($"data root: {Path.GetFullPath(root)} (set TESSERA_DATA or --root to change it)");
        return TesseraApp.Ok;
    }
}
