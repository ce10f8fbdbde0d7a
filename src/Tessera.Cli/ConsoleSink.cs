using System.Diagnostics;
using Spectre.Console;
using Tessera.Experiments;

namespace Tessera.Cli;

/// <summary>Shows a run's progress: a Spectre progress bar on an interactive terminal, otherwise a plain line
/// every 10% (or every 30 s) so CI logs stay readable.</summary>
public sealed class ConsoleSink : IRunSink
{
    private readonly IAnsiConsole _console;
    private readonly ProgressContext? _progress;
    private readonly Dictionary<string, ProgressTask> _bars = [];
    private readonly Dictionary<string, (int Decile, double Seconds)> _plain = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly object _gate = new();

    private ConsoleSink(IAnsiConsole console, ProgressContext? progress) => (_console, _progress) = (console, progress);

    /// <summary>Runs <paramref name="work"/> with a sink suited to the console.</summary>
    public static T Show<T>(IAnsiConsole console, Func<IRunSink, T> work)
    {
        if (!console.Profile.Capabilities.Interactive)
        {
            return work(new ConsoleSink(console, null));
        }
        return console.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(p => work(new ConsoleSink(console, p)));
    }

    public void Progress(string task, double done, double total)
    {
        lock (_gate)
        {
            if (_progress is not null)
            {
                if (!_bars.TryGetValue(task, out ProgressTask? bar))
                {
                    bar = _bars[task] = _progress.AddTask(Markup.Escape(task), maxValue: total);
                }
                bar.MaxValue = total;
                bar.Value = done;
                return;
            }
            int decile = total > 0 ? (int)(10 * done / total) : 0;
            double now = _clock.Elapsed.TotalSeconds;
            (int Decile, double Seconds) last = _plain.GetValueOrDefault(task, (-1, 0));
            if (decile > last.Decile || now - last.Seconds > 30)
            {
                _plain[task] = (decile, now);
                _console.WriteLine($"[{task}] {done:0}/{total:0} ({(total > 0 ? done / total : 0):P0}, {now:F0} s)");
            }
        }
    }

    public void Info(string line)
    {
        lock (_gate)
        {
            _console.WriteLine(line);
        }
    }

    public void Metric(MetricRecord record)
    {
    }
}
