using System.Text.Json.Nodes;
using Tessera.Experiments;
using Tessera.Tests.Support;

namespace Tessera.Tests.Smoke;

[Trait("Category", Cat.Smoke)]
public sealed class AccordionSmokeTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("tessera-accordion-smoke-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static JsonObject Summary(string dir) => (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")))!;

    private static double[] Losses(string dir) =>
        MetricsWriter.Read(Path.Combine(dir, "metrics.jsonl")).Where(m => m.Metric == "loss" && m.Split is "train" or "train_rank0").Select(m => m.Value).ToArray();

    [Fact]
    public void RunAccordion_Smoke_PassesSpecCheckR0a()
    {
        // R0 (a), spec §6 check 5: finite losses, last-epoch loss <= 0.7x the first, LOW in epochs 0-2 (start + epoch-0
        // check) and 4 (LR override at the end of epoch 3); counted floats = 32 steps x the per-step cost of the levels.
        string dir = Path.Combine(_root, "r0a");

        (int code, string output) = TesseraCli.Run("run", "accordion", "--preset", "smoke", "--run-dir", dir);

        Assert.True(code == 0, output);
        JsonObject s = Summary(dir);
        double first = s["first_epoch_train_loss"]!.GetValue<double>(), last = s["final_train_loss"]!.GetValue<double>();
        Assert.True(double.IsFinite(first) && last <= 0.7 * first, s.ToJsonString());
        JsonArray epochs = s["epochs_log"]!.AsArray();
        Assert.Equal(6, epochs.Count);
        foreach (int e in new[] { 0, 1, 2, 4 })
        {
            Assert.Equal("LL", epochs[e]!["levels"]!.GetValue<string>());
        }
        Assert.EndsWith("lr-drop", epochs[3]!["reason"]!.GetValue<string>());
        long low = s["floats_per_step_low"]!.GetValue<long>(), high = s["floats_per_step_high"]!.GetValue<long>();
        Assert.Equal(2_238, low);      // 128x784 at rank 2: (128+784)·2; 10x128: (10+128)·2; biases 138 raw
        Assert.Equal(1_188, high);
        long perStepLowTensors = (912 * 2) + (138 * 2), perStepHighTensors = 912 + 138;
        long expected = epochs.Sum(e =>
        {
            string levels = e!["levels"]!.GetValue<string>();
            long cost = 138 + (levels[0] == 'L' ? 912 * 2 : 912) + (levels[1] == 'L' ? 138 * 2 : 138);
            return 32L * cost;
        });
        Assert.True(perStepLowTensors + 138 == low && perStepHighTensors + 138 == high);
        Assert.Equal(expected, s["floats_total"]!.GetValue<long>());
        foreach (string plot in new[] { "acc_vs_floats.png", "levels.png", "loss.png" })
        {
            Assert.True(File.Exists(Path.Combine(dir, "plots", plot)), plot);
        }

        // Same seed again: identical losses (to 1e-6).
        string again = Path.Combine(_root, "r0a-again");
        Assert.Equal(0, TesseraCli.Run("run", "accordion", "--preset", "smoke", "--run-dir", again).ExitCode);
        double[] l1 = Losses(dir), l2 = Losses(again);
        Assert.Equal(l1.Length, l2.Length);
        Assert.All(l1.Zip(l2), p => Assert.True(Math.Abs(p.First - p.Second) <= 1e-6));
    }

    [Fact]
    public void RunAccordion_SmokeTopK_SelectsCountsAndLearns()
    {
        // R0 (b): TopK 99 % <-> 2 % with error feedback; per step 2·K·W per compressed tensor + the raw biases.
        string dir = Path.Combine(_root, "r0b");

        (int code, string output) = TesseraCli.Run("run", "accordion", "--preset", "smoke-topk", "--run-dir", dir);

        Assert.True(code == 0, output);
        JsonObject s = Summary(dir);
        Assert.Equal(402_598, s["floats_per_step_low"]!.GetValue<long>());   // 2·2·(99,348 + 1,267) + 138
        Assert.Equal(8_266, s["floats_per_step_high"]!.GetValue<long>());    // 2·2·(2,007 + 25) + 138
        Assert.Equal(3 * 32 * 402_598L, s["floats_total"]!.GetValue<long>());  // 3 epochs, all LOW (start, check, no check)
        Assert.True(s["final_train_loss"]!.GetValue<double>() < 0.7 * s["first_epoch_train_loss"]!.GetValue<double>(), s.ToJsonString());
        Assert.True(s["test_acc"]!.GetValue<double>() > 0.5, s.ToJsonString());
    }

    [Fact]
    public void RunAccordion_KilledAndResumed_EndsExactlyLikeAnUninterruptedRun()
    {
        // Given: an uninterrupted smoke run, and the same run killed (SIGKILL) after its checkpoint of epoch 3
        string whole = Path.Combine(_root, "whole"), killed = Path.Combine(_root, "killed");
        string[] args = ["run", "accordion", "--preset", "smoke"];
        using (var full = TesseraCli.Start(Path.Combine(_root, "whole.log"), [.. args, "--run-dir", whole]))
        {
            full.WaitForExit();
            Assert.Equal(0, full.ExitCode);
        }
        using (var run = TesseraCli.Start(Path.Combine(_root, "killed.log"), [.. args, "--run-dir", killed]))
        {
            string checkpoints = Path.Combine(killed, "checkpoints");
            while (Tessera.Training.Checkpoint.Latest(checkpoints) is not { Step: >= 96 } && !run.HasExited)
            {
                Thread.Sleep(10);
            }
            run.Kill(entireProcessTree: true);
            run.WaitForExit();
        }
        Assert.False(File.Exists(Path.Combine(killed, "summary.json")), "the run finished before it could be killed");

        // When
        using (var resumed = TesseraCli.Start(Path.Combine(_root, "resumed.log"), "run", "accordion", "--resume", killed))
        {
            resumed.WaitForExit();
            Assert.Equal(0, resumed.ExitCode);
        }

        // Then: the same metrics (losses, floats, levels, detector norms, accuracy), bit for bit
        static IEnumerable<(long, string, string, double, string?)> V(string d) =>
            MetricsWriter.Read(Path.Combine(d, "metrics.jsonl")).Where(m => m.Split != "time").Select(m => (m.Step, m.Split, m.Metric, m.Value, m.Get("tensor")));
        Assert.Equal(V(whole), V(killed));
    }

    [Fact]
    public void RunAccordion_BadMode_ExitCode2NamingTheKey()
    {
        (int code, string output) = TesseraCli.Run("run", "accordion", "--preset", "smoke", "--set", "compression.mode=sometimes",
            "--run-dir", Path.Combine(_root, "bad"));

        Assert.Equal(2, code);
        Assert.Contains("compression.mode", output);
    }

    [Fact]
    public void Quickstart_Accordion_WritesItsLine()
    {
        (int code, string output) = TesseraCli.Run("quickstart", "--only", "accordion", "--runs-root", _root);

        Assert.True(code == 0, output);
        string report = Directory.GetFiles(_root, "report.md", SearchOption.AllDirectories).Single();
        Assert.Contains("ACCORDION 2↔1", File.ReadAllText(report));
    }
}
