using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Tessera.Training;

namespace Tessera.Experiments;

/// <summary>
/// What an experiment gets to run with: its run directory, the metrics log, the progress sink, and whether it
/// continues an earlier run. Owns metrics.jsonl while the run lasts.
/// </summary>
public sealed class RunContext : IDisposable
{
    private readonly MetricsWriter _metrics;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly double _wallOffset;

    private RunContext(RunDirectory dir, IRunSink sink, MetricsWriter metrics, double wallOffset, long resumeStep,
        CancellationToken cancel)
    {
        Dir = dir;
        Sink = sink;
        _metrics = metrics;
        _wallOffset = wallOffset;
        ResumeStep = resumeStep;
        Cancel = cancel;
    }

    public RunDirectory Dir { get; }

    public IRunSink Sink { get; }

    /// <summary>The step of the checkpoint a resumed run continues from; 0 for a fresh run.</summary>
    public long ResumeStep { get; }

    public CancellationToken Cancel { get; }

    /// <summary>Seconds since the run started, counting the time before a resume.</summary>
    public double WallSeconds => _wallOffset + _clock.Elapsed.TotalSeconds;

    public static RunContext Start(RunDirectory dir, IRunSink sink, CancellationToken cancel = default) =>
        new(dir, sink, MetricsWriter.Create(dir.MetricsFile), 0, 0, cancel);

    /// <summary>Continues a run from its latest checkpoint: metrics after that checkpoint are dropped, so the
    /// resumed run writes exactly what an uninterrupted run would have written.</summary>
    public static RunContext Resume(RunDirectory dir, IRunSink sink, CancellationToken cancel = default)
    {
        Checkpoint.Info? latest = Checkpoint.Latest(dir.CheckpointsDir);
        long step = latest?.Step ?? 0;
        return new RunContext(dir, sink, MetricsWriter.Resume(dir.MetricsFile, step), latest?.WallSeconds ?? 0, step, cancel);
    }

    /// <summary>Records one metric in metrics.jsonl and tells the sink.</summary>
    public void Log(long step, string split, string metric, double value, params (string Key, string Value)[] extra)
    {
        var record = new MetricRecord(step, split, metric, value, WallSeconds,
            extra.Length == 0 ? null : extra.ToDictionary(e => e.Key, e => e.Value));
        _metrics.Write(record);
        Sink.Metric(record);
    }

    public void Info(string line) => Sink.Info(line);

    public void Progress(string task, double done, double total) => Sink.Progress(task, done, total);

    /// <summary>env.json: method, versions, threads, CPU count, git commit, start time (end time is added by
    /// <see cref="Finish"/>).</summary>
    public void WriteEnv(string method, int threads)
    {
        JsonObject env = Dir.ReadEnv() ?? new JsonObject
        {
            ["method"] = method,
            ["started"] = DateTime.UtcNow.ToString("o", CultureInfo.InvariantCulture),
        };
        env["torchsharp"] = typeof(torch).Assembly.GetName().Version?.ToString();
        env["dotnet"] = RuntimeInformation.FrameworkDescription;
        env["os"] = RuntimeInformation.OSDescription;
        env["cpuCount"] = Environment.ProcessorCount;
        env["torchThreads"] = threads;
        env["gitCommit"] = GitCommit();
        if (ResumeStep > 0)
        {
            (env["resumedAt"] as JsonArray ?? (JsonArray)(env["resumedAt"] = new JsonArray())).Add(ResumeStep);
        }
        Dir.WriteEnv(env);
    }

    /// <summary>Writes summary.json (with the wall time) and the end time into env.json.</summary>
    public void Finish(JsonObject summary)
    {
        summary["wall_s"] = Math.Round(WallSeconds, 2);
        Dir.WriteSummary(summary);
        JsonObject env = Dir.ReadEnv() ?? [];
        env["finished"] = DateTime.UtcNow.ToString("o", CultureInfo.InvariantCulture);
        Dir.WriteEnv(env);
    }

    public void Dispose() => _metrics.Dispose();

    /// <summary>The commit of the enclosing git checkout, read from .git without running git.</summary>
    private static string? GitCommit()
    {
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            string head = Path.Combine(dir.FullName, ".git", "HEAD");
            if (!File.Exists(head))
            {
                continue;
            }
            string text = File.ReadAllText(head).Trim();
            if (!text.StartsWith("ref: ", StringComparison.Ordinal))
            {
                return text;
            }
            string refFile = Path.Combine(dir.FullName, ".git", text[5..]);
            return File.Exists(refFile) ? File.ReadAllText(refFile).Trim() : null;
        }
        return null;
    }
}
