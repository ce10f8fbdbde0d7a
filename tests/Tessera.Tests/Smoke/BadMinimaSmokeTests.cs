using System.Text.Json.Nodes;
using Tessera.Experiments;
using Tessera.Methods.BadMinima;
using Tessera.Tests.Support;

namespace Tessera.Tests.Smoke;

/// <summary>One uninterrupted run of the S0 smoke preset through the CLI, shared by the smoke tests.</summary>
public sealed class BadMinimaSmokeRun : IDisposable
{
    public BadMinimaSmokeRun()
    {
        (ExitCode, Output) = TesseraCli.Run("run", "bad-minima", "--preset", "smoke", "--run-dir", Dir);
    }

    public string Root { get; } = Directory.CreateTempSubdirectory("tessera-badminima-smoke-").FullName;

    public string Dir => Path.Combine(Root, "whole");

    public int ExitCode { get; }

    public string Output { get; }

    public void Dispose() => Directory.Delete(Root, recursive: true);
}

[Trait("Category", Cat.Smoke)]
public sealed class BadMinimaSmokeTests(BadMinimaSmokeRun run) : IClassFixture<BadMinimaSmokeRun>
{
    private static JsonObject Summary(params string[] path) =>
        (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine([.. path, "summary.json"])))!;

    private static (long, string, string, double, string) Row(MetricRecord m) =>
        (m.Step, m.Split, m.Metric, m.Value, string.Join(",", m.Extra?.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key}={kv.Value}") ?? []));

    [Fact]
    public void RunBadMinima_Smoke_PassesTheSpecS0Checks()
    {
        // Spec §6.5 (S0: n = 300, R = 4, ρ = 0.1, MLP-BN 128-128, 2000 test images).
        Assert.True(run.ExitCode == 0, run.Output);
        JsonObject p1 = Summary(run.Dir, "s0", "phase1");
        Assert.Equal(1200, p1["adversarial_rows"]!.GetValue<long>());                 // N·R rows
        Assert.Equal(78, p1["zeroed_per_copy"]!.GetValue<int>());                     // floor(784·0.1) distinct values per copy
        Assert.InRange(p1["label_agreement"]!.GetValue<double>(), 0.05, 0.15);        // ≈ 10% ± 5% agree with the true label
        Assert.True(p1["adversarial_acc"]!.GetValue<double>() >= 0.99, p1.ToJsonString());   // phase 1 memorises the random labels
        Assert.True(p1["test_acc"]!.GetValue<double>() <= 0.25, p1.ToJsonString());          // θ_adv is near chance on the true labels
        Assert.True(p1["norm"]!.GetValue<double>() > p1["theta0_norm"]!.GetValue<double>());  // ‖θ_adv‖ > ‖θ_0‖
        JsonObject aiVanilla = Summary(run.Dir, "s0", "vanilla", "adversarial");
        Assert.True(aiVanilla["train_acc"]!.GetValue<double>() >= 0.95, aiVanilla.ToJsonString());
        JsonObject summary = Summary(run.Dir);
        Assert.Equal(["vanilla", "all"], summary["table"]!.AsObject().Select(kv => kv.Key));
        Assert.DoesNotContain("null", summary["table"]!.ToJsonString());               // no NaN anywhere in the table
        Assert.All(MetricsWriter.Read(Path.Combine(run.Dir, "metrics.jsonl")), m => Assert.True(double.IsFinite(m.Value), $"{m.Metric}"));
        foreach (string plot in new[] { "acc_vanilla", "acc_all", "final_test_acc", "final_param_norm", "phase1" })
        {
            Assert.True(File.Exists(Path.Combine(run.Dir, "plots", plot + ".png")), plot);
        }
        Assert.Contains("| vanilla |", File.ReadAllText(Path.Combine(run.Dir, "table.md")));
    }

    [Fact]
    public void RunBadMinima_SameSeedTwice_IdenticalMetrics()
    {
        string again = Path.Combine(run.Root, "again");

        (int code, string output) = TesseraCli.Run("run", "bad-minima", "--preset", "smoke", "--run-dir", again);

        Assert.True(code == 0, output);
        Assert.Equal(MetricsWriter.Read(Path.Combine(run.Dir, "metrics.jsonl")).Select(Row), MetricsWriter.Read(Path.Combine(again, "metrics.jsonl")).Select(Row));
    }

    [Fact]
    public void RunBadMinima_KilledDuringTheGrid_ResumeSkipsFinishedCellsAndEndsLikeAnUninterruptedRun()
    {
        // Given: the smoke grid killed with SIGKILL once the first cell has finished and the second has a checkpoint
        string killed = Path.Combine(run.Root, "killed");
        string firstCell = Path.Combine(killed, "s0", "vanilla", "random"), secondCell = Path.Combine(killed, "s0", "vanilla", "adversarial");
        using (var process = TesseraCli.Start(Path.Combine(run.Root, "killed.log"), "run", "bad-minima", "--preset", "smoke", "--run-dir", killed))
        {
            while (!(File.Exists(Path.Combine(firstCell, "summary.json")) && File.Exists(Path.Combine(secondCell, "checkpoints", "latest.json")))
                && !process.HasExited)
            {
                Thread.Sleep(10);
            }
            process.Kill();
            process.WaitForExit();
        }
        Assert.False(File.Exists(Path.Combine(secondCell, "summary.json")), "the second cell finished before the run could be killed");
        DateTime phase1At = File.GetLastWriteTimeUtc(Path.Combine(killed, "s0", "phase1", "summary.json"));
        DateTime firstAt = File.GetLastWriteTimeUtc(Path.Combine(firstCell, "summary.json"));

        // When
        using (var resumed = TesseraCli.Start(Path.Combine(run.Root, "resumed.log"), "run", "bad-minima", "--resume", killed))
        {
            resumed.WaitForExit();
            Assert.Equal(0, resumed.ExitCode);
        }

        // Then: phase 1 and the first cell were not redone, the second continued from its checkpoint, and every metric of
        // the grid equals the uninterrupted run's, bit for bit
        Assert.Equal(phase1At, File.GetLastWriteTimeUtc(Path.Combine(killed, "s0", "phase1", "summary.json")));
        Assert.Equal(firstAt, File.GetLastWriteTimeUtc(Path.Combine(firstCell, "summary.json")));
        Assert.NotNull(RunDirectory.Open(secondCell).ReadEnv()!["resumedAt"]);
        Assert.Equal(MetricsWriter.Read(Path.Combine(run.Dir, "metrics.jsonl")).Select(Row), MetricsWriter.Read(Path.Combine(killed, "metrics.jsonl")).Select(Row));
        Assert.Equal(Summary(run.Dir)["table"]!.ToJsonString(), Summary(killed)["table"]!.ToJsonString());
    }

    [Fact]
    public void RunBadMinima_UnknownRegularizer_ExitCode2NamingTheKey()
    {
        (int code, string output) = TesseraCli.Run("run", "bad-minima", "--preset", "smoke", "--set", "grid.settings=[\"vanilla\",\"dropout\"]",
            "--run-dir", Path.Combine(run.Root, "bad"));

        Assert.Equal(2, code);
        Assert.Contains("grid.settings", output);
    }
}

[Trait("Category", Cat.Slow)]
public sealed class BadMinimaQuickstartTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("tessera-badminima-quick-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Quickstart_BadMinima_ReportsTheGapsAndWhetherTheyHold()
    {
        // About 2 minutes on an idle 2-core machine: F1's configuration on one seed, vanilla and momentum.
        QuickstartLine line = new BadMinimaExperiment().Quickstart(RunDirectory.Create(Path.Combine(_root, "quickstart"), _root, "q", "q", 0),
            NullSink.Instance);

        Assert.Contains("pts vanilla", line.Measured);
        Assert.True(line.Holds, line.Measured);
    }
}
