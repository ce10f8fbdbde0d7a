using Spectre.Console;
using Spectre.Console.Cli;
using Tessera.Experiments;

namespace Tessera.Cli.Commands;

public sealed class ListCommand(IAnsiConsole console) : TesseraCommand<ListCommand.Settings>(console)
{
    public sealed class Settings : CommandSettings
    {
    }

    protected override int Run(Settings settings, CancellationToken cancel)
    {
        var table = new Table().AddColumns("method", "presets", "what it does", "reference");
        foreach (IExperiment e in Registry.All)
        {
            table.AddRow(Markup.Escape(e.Name), Markup.Escape(string.Join(", ", Presets.For(e.Name))),
                Markup.Escape(e.Description), Markup.Escape(e.Reference));
        }
        Console.Write(table);
        Console.WriteLine("Without --preset a method runs on its defaults (see its README). Example: tessera run classify --preset smoke");
        return TesseraApp.Ok;
    }
}
