using Spectre.Console;
using Spectre.Console.Cli;
using Tessera.Training;

namespace Tessera.Cli.Commands;

/// <summary>Maps failures to exit codes: bad input 2 (with the one-paragraph message), failed run 1.</summary>
public abstract class TesseraCommand<TSettings>(IAnsiConsole console) : Command<TSettings> where TSettings : CommandSettings
{
    protected IAnsiConsole Console { get; } = console;

    /// <summary>The command line as typed (after the program name), for a run's command.txt.</summary>
    protected IReadOnlyList<string> Arguments { get; private set; } = [];

    /// <summary>The arguments after <c>--</c> (e.g. the command <c>tessera launch</c> starts on every rank).</summary>
    protected IReadOnlyList<string> Remaining { get; private set; } = [];

    public sealed override int Execute(CommandContext context, TSettings settings, CancellationToken cancellationToken)
    {
        Arguments = context.Arguments;
        Remaining = context.Remaining.Raw;
        try
        {
            return Run(settings, cancellationToken);
        }
        catch (InputException e)
        {
            Console.MarkupLineInterpolated($"[red]error:[/] {e.Message}");
            return TesseraApp.BadInput;
        }
        catch (RunFailedException e)
        {
            Console.MarkupLineInterpolated($"[red]run failed:[/] {e.Message}");
            return TesseraApp.Failed;
        }
        catch (OperationCanceledException)
        {
            Console.MarkupLine("[yellow]cancelled[/]");
            return TesseraApp.Failed;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Console.MarkupLineInterpolated($"[red]run failed with an unexpected error:[/] {e.GetType().Name}: {e.Message}");
            Console.WriteLine(e.StackTrace ?? "");
            return TesseraApp.Failed;
        }
    }

    protected abstract int Run(TSettings settings, CancellationToken cancel);
}
