using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Tessera.Experiments;

/// <summary>
/// One run's folder: <c>config.json</c>, <c>command.txt</c>, <c>env.json</c>, <c>metrics.jsonl</c>,
/// <c>summary.json</c>, <c>checkpoints/</c>, <c>plots/</c>. Only the process that owns the run writes it.
/// </summary>
public sealed class RunDirectory
{
    private RunDirectory(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
    }

    public string Path { get; }

    public string ConfigFile => System.IO.Path.Combine(Path, "config.json");

    public string CommandFile => System.IO.Path.Combine(Path, "command.txt");

    public string EnvFile => System.IO.Path.Combine(Path, "env.json");

    public string MetricsFile => System.IO.Path.Combine(Path, "metrics.jsonl");

    public string SummaryFile => System.IO.Path.Combine(Path, "summary.json");

    public string CheckpointsDir => System.IO.Path.Combine(Path, "checkpoints");

    public string PlotsDir => System.IO.Path.Combine(Path, "plots");

    /// <summary>Creates <paramref name="explicitPath"/>, or <c>runs/&lt;method&gt;/&lt;yyyyMMdd-HHmmss&gt;_&lt;preset&gt;_s&lt;seed&gt;</c>
    /// (with a numeric suffix if that exists). An explicit path must be empty or absent.</summary>
    public static RunDirectory Create(string? explicitPath, string runsRoot, string method, string preset, long seed)
    {
        string path = explicitPath ?? UniquePath(System.IO.Path.Combine(runsRoot, method,
            $"{DateTime.Now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}_{preset}_s{seed}"));
        if (Directory.Exists(path) && Directory.EnumerateFileSystemEntries(path).Any())
        {
            throw new InputException($"Run directory '{System.IO.Path.GetFullPath(path)}' already exists and is not empty. " +
                "Pick another --run-dir, or continue that run with --resume.");
        }
        return Prepare(path);
    }

    /// <summary>A child run inside this one (sweep cells, quickstart entries).</summary>
    public RunDirectory Child(string name) => Prepare(System.IO.Path.Combine(Path, name));

    /// <summary>Opens an existing run (for --resume and plotting); a sweep directory is recognised by its sweep.json.</summary>
    public static RunDirectory Open(string path, string marker = "config.json")
    {
        var dir = new RunDirectory(path);
        if (!File.Exists(System.IO.Path.Combine(dir.Path, marker)))
        {
            throw new InputException($"'{dir.Path}' is not a Tessera {(marker == "config.json" ? "run" : "sweep")} directory: it has no {marker}.");
        }
        return dir;
    }

    private static RunDirectory Prepare(string path)
    {
        var dir = new RunDirectory(path);
        Directory.CreateDirectory(dir.Path);
        Directory.CreateDirectory(dir.CheckpointsDir);
        Directory.CreateDirectory(dir.PlotsDir);
        return dir;
    }

    private static string UniquePath(string path)
    {
        string candidate = path;
        for (int i = 2; Directory.Exists(candidate); i++)
        {
            candidate = $"{path}-{i}";
        }
        return candidate;
    }

    public void WriteConfig(string json) => WriteAtomically(ConfigFile, json);

    public void WriteCommand(IEnumerable<string> argv) =>
        WriteAtomically(CommandFile, string.Join(' ', argv.Select(a => a.Contains(' ', StringComparison.Ordinal) ? $"\"{a}\"" : a)) + "\n");

    public void WriteSummary(JsonObject summary) => WriteAtomically(SummaryFile, summary.ToJsonString(Indented));

    public JsonObject ReadSummary() =>
        File.Exists(SummaryFile) && JsonNode.Parse(File.ReadAllText(SummaryFile)) is JsonObject o ? o
            : throw new InputException($"'{SummaryFile}' is missing: the run did not finish.");

    public void WriteEnv(JsonObject env) => WriteAtomically(EnvFile, env.ToJsonString(Indented));

    public JsonObject? ReadEnv() =>
        File.Exists(EnvFile) ? JsonNode.Parse(File.ReadAllText(EnvFile)) as JsonObject : null;

    internal static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>Write to a temporary file, then rename: a crash never leaves a half-written file behind.</summary>
    public static void WriteAtomically(string path, string text)
    {
        string tmp = path + ".tmp";
        File.WriteAllText(tmp, text);
        File.Move(tmp, path, overwrite: true);
    }
}
