using System.Text.Json.Nodes;
using Tessera.Experiments;
using Tessera.Tests.Support;
using Tessera.Training;

namespace Tessera.Tests.Smoke;

[Trait("Category", Cat.Smoke)]
public sealed class ClassifySmokeTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("tessera-smoke-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string RunDir(string name) => Path.Combine(_root, name);

    [Fact]
    public void RunClassify_Smoke_WritesTheWholeRunDirectory()
    {
        string dir = RunDir("smoke");

        (int code, string output) = TesseraCli.Run("run", "classify", "--preset", "smoke", "--run-dir", dir);

        Assert.True(code == 0, output);
        foreach (string file in new[] { "config.json", "command.txt", "env.json", "metrics.jsonl", "summary.json" })
        {
            Assert.True(File.Exists(Path.Combine(dir, file)), $"{file} missing");
        }
        IReadOnlyList<MetricRecord> metrics = MetricsWriter.Read(Path.Combine(dir, "metrics.jsonl"));
        Assert.Contains(metrics, m => m.Split == "test" && m.Metric == "acc");
        var summary = (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")))!;
        Assert.True(summary["test_acc"]!.GetValue<double>() > 0.9, summary.ToJsonString());
        Assert.True(File.Exists(Path.Combine(dir, "plots", "acc.png")));
        Assert.True(File.Exists(Path.Combine(dir, "plots", "acc.svg")));
        Assert.NotNull(Checkpoint.Latest(Path.Combine(dir, "checkpoints")));
        Assert.StartsWith("tessera run classify", File.ReadAllText(Path.Combine(dir, "command.txt")));
    }

    [Theory]
    [InlineData("train.lrr=1", "train.lrr")]
    [InlineData("train.lr=fast", "train.lr")]
    [InlineData("model.name=resnet", "resnet")]
    public void RunClassify_BadConfig_ExitCode2NamingTheKey(string assignment, string named)
    {
        (int code, string output) = TesseraCli.Run("run", "classify", "--preset", "smoke", "--set", assignment, "--run-dir", RunDir("bad"));

        Assert.Equal(2, code);
        Assert.Contains(named, output);
    }

    [Fact]
    public void Run_UnknownMethodOrPreset_ExitCode2()
    {
        Assert.Equal(2, TesseraCli.Run("run", "nosuchmethod").ExitCode);
        Assert.Equal(2, TesseraCli.Run("run", "classify", "--preset", "nosuchpreset", "--run-dir", RunDir("x")).ExitCode);
    }

    [Fact]
    public void RunClassify_MissingDataset_ExitCode2NamingTheFiles()
    {
        string empty = Directory.CreateDirectory(RunDir("empty-data")).FullName;

        (int code, string output) = TesseraCli.Run("run", "classify", "--set", "data.dataset=mnist", "--set", $"data.root={empty}",
            "--run-dir", RunDir("missing"));

        Assert.Equal(2, code);
        Assert.Contains("train-images-idx3-ubyte", output);
    }

    [Theory]
    [InlineData("magic")]
    [InlineData("truncated")]
    public void RunClassify_CorruptDataset_ExitCode2NamingTheFile(string damage)
    {
        // Given: an MNIST folder whose training images are damaged
        string mnist = Directory.CreateDirectory(Path.Combine(RunDir("data-" + damage), "mnist")).FullName;
        IdxFiles.WriteMnistLayout(mnist, trainCount: 20, testCount: 10);
        string images = Path.Combine(mnist, "train-images-idx3-ubyte");
        byte[] bytes = File.ReadAllBytes(images);
        File.WriteAllBytes(images, damage == "magic" ? [0, 0, 9, 9, .. bytes[4..]] : bytes[..(bytes.Length / 2)]);

        // When
        (int code, string output) = TesseraCli.Run("run", "classify", "--set", "data.dataset=mnist", "--set", $"data.root={Path.GetDirectoryName(mnist)}",
            "--set", "model.name=mlp", "--run-dir", RunDir("corrupt-" + damage));

        // Then
        Assert.Equal(2, code);
        Assert.Contains("train-images-idx3-ubyte", output);
    }

    [Fact]
    public void RunClassify_KilledAndResumed_EndsExactlyLikeAnUninterruptedRun()
    {
        // Given: an uninterrupted run at 1 thread, and the same run killed with SIGKILL after its first checkpoint
        string whole = RunDir("whole"), killed = RunDir("killed");
        string[] args = ["run", "classify", "--preset", "smoke", "--threads", "1", "--set", "train.checkpointEvery=10"];
        using (var full = TesseraCli.Start(Path.Combine(_root, "whole.log"), [.. args, "--run-dir", whole]))
        {
            full.WaitForExit();
            Assert.Equal(0, full.ExitCode);
        }
        long killedAfter;
        using (var run = TesseraCli.Start(Path.Combine(_root, "killed.log"), [.. args, "--run-dir", killed]))
        {
            string checkpoints = Path.Combine(killed, "checkpoints");
            while (Checkpoint.Latest(checkpoints) is not { Step: >= 20 } && !run.HasExited)
            {
                Thread.Sleep(20);
            }
            run.Kill();
            run.WaitForExit();
            killedAfter = Checkpoint.Latest(checkpoints)!.Step;
        }
        Assert.False(File.Exists(Path.Combine(killed, "summary.json")), "the run finished before it could be killed");

        // When
        using (var resumed = TesseraCli.Start(Path.Combine(_root, "resumed.log"), "run", "classify", "--resume", killed))
        {
            resumed.WaitForExit();
            Assert.Equal(0, resumed.ExitCode);
        }

        // Then: it restarted from the last checkpoint and every metric equals the uninterrupted run's, bit for bit
        var env = (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(killed, "env.json")))!;
        Assert.Equal(killedAfter, env["resumedAt"]![0]!.GetValue<long>());
        var expected = MetricsWriter.Read(Path.Combine(whole, "metrics.jsonl"));
        var actual = MetricsWriter.Read(Path.Combine(killed, "metrics.jsonl"));
        Assert.Equal(expected.Select(m => (m.Step, m.Split, m.Metric, m.Value)), actual.Select(m => (m.Step, m.Split, m.Metric, m.Value)));
    }

    [Fact]
    public void ListDataPlot_Commands_Work()
    {
        (int listCode, string list) = TesseraCli.Run("list");
        Assert.Equal(0, listCode);
        Assert.Contains("classify", list);

        (int dataCode, string data) = TesseraCli.Run("data");
        Assert.Equal(0, dataCode);
        Assert.Contains("fashion-mnist", data);

        string dir = RunDir("plot");
        Assert.Equal(0, TesseraCli.Run("run", "classify", "--preset", "smoke", "--set", "train.epochs=1", "--run-dir", dir).ExitCode);
        Directory.Delete(Path.Combine(dir, "plots"), recursive: true);
        Assert.Equal(0, TesseraCli.Run("plot", dir).ExitCode);
        Assert.True(File.Exists(Path.Combine(dir, "plots", "loss.png")));
    }

    [Fact]
    public void Quickstart_Classify_PrintsTableAndWritesReport()
    {
        (int code, string output) = TesseraCli.Run("quickstart", "--only", "classify", "--runs-root", _root);

        Assert.True(code == 0, output);
        Assert.Contains("what this run measured", output);
        string report = Directory.GetFiles(_root, "report.md", SearchOption.AllDirectories).Single();
        Assert.Contains("classify", File.ReadAllText(report));
    }
}
