using System.Text.Json.Nodes;
using Tessera.Tests.Support;

namespace Tessera.Tests.Smoke;

[Trait("Category", Cat.Smoke)]
public sealed class LoopedSmokeTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("tessera-looped-smoke-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void RunLooped_Smoke_PassesSpecCheckS()
    {
        // S (spec §6): on one fixed batch, last-50 mean loss <= 0.5 x first-50 for the looped model (observed
        // 0.21-0.25) and <= 0.3 x for the standard model (observed 0.02-0.05); every loss finite; evaluation written.
        string dir = Path.Combine(_root, "s");

        (int code, string output) = TesseraCli.Run("run", "looped", "--preset", "smoke", "--run-dir", dir);

        Assert.True(code == 0, output);
        var s = (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")))!;
        Assert.True(s["looped"]!["loss_ratio"]!.GetValue<double>() <= 0.5, s.ToJsonString());
        Assert.True(s["standard"]!["loss_ratio"]!.GetValue<double>() <= 0.3, s.ToJsonString());
        Assert.True(s["hard_checks_pass"]!.GetValue<bool>(), s.ToJsonString());
        Assert.Equal(7, s["err"]!["least_squares"]!.AsArray().Count);
        Assert.True(s["err"]!["least_squares"]![6]!.GetValue<double>() < 1e-6);   // d=3: exact from 3 points on
        Assert.True(File.Exists(Path.Combine(dir, "table.md")));
        Assert.True(File.Exists(Path.Combine(dir, "plots", "err_vs_examples.png")));
        Assert.True(File.Exists(Path.Combine(dir, "plots", "loop_curve.png")));
        Assert.True(File.Exists(Path.Combine(dir, "looped", "summary.json")));
        string[] lines = File.ReadAllLines(Path.Combine(dir, "looped", "metrics.jsonl"));
        Assert.Equal(200, lines.Count(l => l.Contains("\"metric\":\"loss\"", StringComparison.Ordinal)));
        Assert.DoesNotContain(lines, l => l.Contains("NaN", StringComparison.Ordinal));
    }

    [Fact]
    public void RunLooped_KilledAndResumed_FinishesFromCheckpoints()
    {
        // A finished child model is restored from its last checkpoint instead of being trained again.
        string dir = Path.Combine(_root, "resume");
        Assert.Equal(0, TesseraCli.Run("run", "looped", "--preset", "smoke", "--set", "train.steps=100", "--set", "standard.enabled=false",
            "--run-dir", dir).ExitCode);
        double first = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")))!["err"]!["looped@4"]![6]!.GetValue<double>();
        File.Delete(Path.Combine(dir, "summary.json"));

        (int code, string output) = TesseraCli.Run("run", "looped", "--resume", dir);

        Assert.True(code == 0, output);
        double again = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")))!["err"]!["looped@4"]![6]!.GetValue<double>();
        Assert.Equal(first, again);
    }
}
