namespace Tessera.Experiments;

/// <summary>Where a run reports while it works. The CLI renders it (Spectre progress bar or plain lines);
/// tests record it. Trainers and experiments never touch the console.</summary>
public interface IRunSink
{
    /// <summary>Progress of a named task (e.g. "train reverse N=1000"); called often, the sink throttles.</summary>
    void Progress(string task, double done, double total);

    /// <summary>A line worth keeping in a log (evaluation summaries, phase changes).</summary>
    void Info(string line);

    /// <summary>A metric was recorded (already written to metrics.jsonl).</summary>
    void Metric(MetricRecord record);
}

/// <summary>Discards everything. For library use without a UI.</summary>
public sealed class NullSink : IRunSink
{
    public static readonly NullSink Instance = new();

    public void Progress(string task, double done, double total)
    {
    }

    public void Info(string line)
    {
    }

    public void Metric(MetricRecord record)
    {
    }
}

/// <summary>Keeps everything in memory, for tests.</summary>
public sealed class RecordingSink : IRunSink
{
    private readonly object _gate = new();

    public List<string> Lines { get; } = [];

    public List<MetricRecord> Metrics { get; } = [];

    public void Progress(string task, double done, double total)
    {
    }

    public void Info(string line)
    {
        lock (_gate)
        {
            Lines.Add(line);
        }
    }

    public void Metric(MetricRecord record)
    {
        lock (_gate)
        {
            Metrics.Add(record);
        }
    }
}
