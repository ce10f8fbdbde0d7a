using System.Text.Json.Nodes;
using Tessera.Tests.Support;

namespace Tessera.Tests.Smoke;

[Trait("Category", Cat.Smoke)]
public sealed class ArithmeticSmokeTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("tessera-arith-smoke-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static JsonObject Summary(string dir) => (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")))!;

    [Fact]
    public void Quickstart_Arithmetic_ReverseRunPassesSpecCheckR0_AndBothRunsHavePlots()
    {
        // The quickstart trains the R0 smoke preset twice (reverse, plain). R0 (spec §6): 2-digit reverse, N=4000,
        // 1200 iterations of model T: >= 40% exact match, final loss < 1.05.
        (int code, string output) = TesseraCli.Run("quickstart", "--only", "arithmetic", "--runs-root", _root);

        Assert.True(code == 0, output);
        string root = Path.GetDirectoryName(Directory.GetFiles(_root, "report.md", SearchOption.AllDirectories).Single())!;
        string reverse = Path.Combine(root, "arithmetic", "reverse"), plain = Path.Combine(root, "arithmetic", "plain");
        JsonObject s = Summary(reverse);
        Assert.True(s["test_acc"]!.GetValue<double>() >= 0.40, s.ToJsonString());
        Assert.True(s["final_train_loss"]!.GetValue<double>() < 1.05, s.ToJsonString());
        Assert.True(File.Exists(Path.Combine(reverse, "samples.txt")));
        Assert.All(new[] { reverse, plain }, d => Assert.True(File.Exists(Path.Combine(d, "plots", "acc_by_carries.png")), d));
        Assert.Contains("| arithmetic |", File.ReadAllText(Path.Combine(root, "report.md")));
    }

    [Fact]
    public void SweepArithmetic_TinyGrid_WritesTableAndPlots_AndResumeRunsNothingTwice()
    {
        string dir = Path.Combine(_root, "sweep");
        string[] args = ["sweep", "arithmetic", "--preset", "smoke", "--set", "train.iters=30", "--set", "data.testSize=20",
            "--set", "eval.trainSample=20", "--grid", "data.format=plain,reverse", "--grid", "data.trainSize=200,400", "--jobs", "2", "--run-dir", dir];

        (int code, string output) = TesseraCli.Run(args);

        Assert.True(code == 0, output);
        string table = File.ReadAllText(Path.Combine(dir, "table.md"));
        Assert.Contains("| reverse | this sweep |", table);
        Assert.Contains("N=400", table);
        Assert.True(File.Exists(Path.Combine(dir, "plots", "sample_efficiency.png")));
        Assert.Equal(4, Directory.GetFiles(dir, "summary.json", SearchOption.AllDirectories).Length - 1);

        DateTime before = File.GetLastWriteTimeUtc(Path.Combine(dir, "plain_200_s0", "summary.json"));
        Assert.Equal(0, TesseraCli.Run("sweep", "arithmetic", "--resume", dir).ExitCode);
        Assert.Equal(before, File.GetLastWriteTimeUtc(Path.Combine(dir, "plain_200_s0", "summary.json")));
    }

    [Fact]
    public void Sweep_BadGridKey_ExitCode2BeforeRunningAnything()
    {
        string dir = Path.Combine(_root, "bad");
        (int code, string output) = TesseraCli.Run("sweep", "arithmetic", "--grid", "data.formatt=plain", "--run-dir", dir);

        Assert.Equal(2, code);
        Assert.Contains("data.formatt", output);
        Assert.False(Directory.Exists(dir));
    }

    [Fact]
    public void RunLrmc_Smoke_PassesSpecCheckR4()
    {
        // R4 (spec §6): success rises from <= 0.1 to >= 0.9 within a factor 1.6 of k; the 50% point grows with n.
        string dir = Path.Combine(_root, "lrmc");

        (int code, string output) = TesseraCli.Run("run", "lrmc", "--preset", "smoke", "--run-dir", dir);

        Assert.True(code == 0, output);
        JsonObject s = Summary(dir);
        double[] halves = new[] { "n20", "n50", "n100" }.Select(n => s[n]!["k_half"]!.GetValue<double>()).ToArray();
        Assert.True(halves[0] < halves[1] && halves[1] < halves[2], s.ToJsonString());
        Assert.All(new[] { "n20", "n50", "n100" }, n => Assert.True(s[n]!["ratio_90_to_10"]!.GetValue<double>() <= 1.6, s.ToJsonString()));
    }
}
