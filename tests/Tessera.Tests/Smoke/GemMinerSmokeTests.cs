using System.Text.Json.Nodes;
using Tessera.Experiments;
using Tessera.Tests.Support;
using Tessera.Training;

namespace Tessera.Tests.Smoke;

[Trait("Category", Cat.Smoke)]
public sealed class GemMinerSmokeTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("tessera-gm-smoke-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static JsonObject Summary(string dir) => (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")))!;

    [Fact]
    public void RunGemMiner_Smoke_PassesSpecCheckS0()
    {
        // S0 (spec §6): MLP 784-64-32-10, 5k/1k Fashion-MNIST, E = 6, T = 1 (5 events) to 10 %, lambda 1e-4.
        string dir = Path.Combine(_root, "s0");

        (int code, string output) = TesseraCli.Run("run", "gem-miner", "--preset", "smoke", "--run-dir", dir);

        Assert.True(code == 0, output);
        JsonObject s = Summary(dir);
        var t = (JsonObject)s["tickets"]!["gem-miner@0.1"]!;
        long n = s["prunable_weights"]!.GetValue<long>();
        Assert.Equal(784 * 64 + 64 * 32 + 32 * 10, n);

        // density(Q) after the events: 63.10 / 39.81 / 25.12 / 15.85 / 10.00 % — never above by more than one weight;
        // below by at most one weight per event so far (each event freezes ⌈r·|A|⌉, rounding up).
        double[] expected = [0.6310, 0.3981, 0.2512, 0.1585, 0.1000];
        JsonArray events = (JsonArray)t["freeze_events"]!;
        Assert.Equal([1, 2, 3, 4, 5], events.Select(e => e!["epoch"]!.GetValue<int>()));
        for (int j = 0; j < 5; j++)
        {
            double kept = events[j]!["flag_density"]!.GetValue<double>() * n;
            double target = Math.Pow(0.1, (j + 1) / 5.0) * n;
            Assert.InRange(kept, target - (j + 1), target + 1);
            Assert.Equal(expected[j], kept / n, 3);
        }

        // Rare gem before any weight training, finetunable, weights never trained while mining, masks hold.
        Assert.True(t["pre_ft_acc"]!.GetValue<double>() >= 0.30, t.ToJsonString());
        Assert.True(t["post_ft_acc"]!.GetValue<double>() >= 0.70, t.ToJsonString());
        Assert.True(t["weights_unchanged_by_mining"]!.GetValue<bool>());
        Assert.Equal(0, t["pruned_weights_nonzero_after_finetune"]!.GetValue<long>());
        Assert.Equal(0, t["kept_zero_weights"]!.GetValue<long>());
        Assert.True(t["sanity"]!["random"]!["pre_ft_acc"]!.GetValue<double>() <= 0.20, t.ToJsonString());

        // The mining loss decreases (mean of the first vs the last ten logged losses of the mining phase).
        IReadOnlyList<MetricRecord> metrics = MetricsWriter.Read(Path.Combine(dir, "metrics.jsonl"));
        double[] mining = metrics.Where(m => m.Split == "train" && m.Metric == "loss" && m.Step <= 240).Select(m => m.Value).ToArray();
        Assert.True(mining[^10..].Average() < mining[..10].Average(), $"{mining[0]} -> {mining[^1]}");
        foreach (string plot in new[] { "acc_vs_density", "pre_ft_acc_vs_density", "mining_density", "layer_density", "sanity_vs_density" })
        {
            Assert.True(File.Exists(Path.Combine(dir, "plots", plot + ".png")), plot);
        }
    }

    [Fact]
    public void RunGemMiner_KilledDuringFineTuningAndResumed_EndsExactlyLikeAnUninterruptedRun()
    {
        // Given: an uninterrupted smoke run at 1 thread, and the same run killed with SIGKILL during fine-tuning
        // (mining is steps 1..240, fine-tuning 241..480; a checkpoint every epoch of 40 steps)
        string whole = Path.Combine(_root, "whole"), killed = Path.Combine(_root, "killed");
        string[] args = ["run", "gem-miner", "--preset", "smoke", "--threads", "1"];
        using (var full = TesseraCli.Start(Path.Combine(_root, "whole.log"), [.. args, "--run-dir", whole]))
        {
            full.WaitForExit();
            Assert.Equal(0, full.ExitCode);
        }
        long killedAfter;
        using (var run = TesseraCli.Start(Path.Combine(_root, "killed.log"), [.. args, "--run-dir", killed]))
        {
            string checkpoints = Path.Combine(killed, "checkpoints");
            while (Checkpoint.Latest(checkpoints) is not { Step: >= 280 } && !run.HasExited)
            {
                Thread.Sleep(20);
            }
            run.Kill();
            run.WaitForExit();
            killedAfter = Checkpoint.Latest(checkpoints)!.Step;
        }
        Assert.False(File.Exists(Path.Combine(killed, "summary.json")), "the run finished before it could be killed");

        // When
        using (var resumed = TesseraCli.Start(Path.Combine(_root, "resumed.log"), "run", "gem-miner", "--resume", killed))
        {
            resumed.WaitForExit();
            Assert.Equal(0, resumed.ExitCode);
        }

        // Then: the masks, BatchNorm statistics and optimizer state came back: every metric is the uninterrupted run's
        var env = (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(killed, "env.json")))!;
        Assert.Equal(killedAfter, env["resumedAt"]![0]!.GetValue<long>());
        static (long, string, string, double, string)[] Numbers(string dir) =>
            MetricsWriter.Read(Path.Combine(dir, "metrics.jsonl")).Where(m => !m.Metric.Contains("wall", StringComparison.Ordinal))
                .Select(m => (m.Step, m.Split, m.Metric, m.Value, string.Join(",", m.Extra?.Select(e => e.Value) ?? []))).ToArray();
        Assert.Equal(Numbers(whole), Numbers(killed));
        Assert.Equal(Summary(whole)["tickets"]!["gem-miner@0.1"]!["sanity"]!.ToJsonString(),
            Summary(killed)["tickets"]!["gem-miner@0.1"]!["sanity"]!.ToJsonString());
    }

    [Fact]
    public void RunGemMiner_DensityAsAPercentage_ExitCode2NamingTheKey()
    {
        // Pitfall 1: densities are fractions of weights KEPT; 1.44 is not a valid density.
        (int code, string output) = TesseraCli.Run("run", "gem-miner", "--preset", "smoke", "--set", "prune.densities=[1.44]",
            "--run-dir", Path.Combine(_root, "bad"));

        Assert.Equal(2, code);
        Assert.Contains("prune.densities", output);
    }

    [Fact]
    public void Quickstart_GemMiner_Holds()
    {
        (int code, string output) = TesseraCli.Run("quickstart", "--only", "gem-miner", "--runs-root", _root);

        Assert.True(code == 0, output);
        string report = File.ReadAllText(Directory.GetFiles(_root, "report.md", SearchOption.AllDirectories).Single());
        Assert.Contains("| gem-miner |", report);
        Assert.Contains("| yes |", report);
    }
}
