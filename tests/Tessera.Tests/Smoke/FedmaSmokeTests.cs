using System.Text.Json.Nodes;
using Tessera.Experiments;
using Tessera.Tests.Support;

namespace Tessera.Tests.Smoke;

[Trait("Category", Cat.Smoke)]
public sealed class FedmaSmokeTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("tessera-fedma-smoke-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void RunFedma_Smoke_PassesTheR0Assertions()
    {
        // R0 (spec §6): under 60 s; the FedMA pass beats 0.40 and the mean local model; the naive average of independent
        // inits shows the permutation problem; every strategy logs accuracy per round and the figures are drawn.
        string dir = Path.Combine(_root, "r0");

        (int code, string output) = TesseraCli.Run("run", "fedma", "--preset", "smoke", "--run-dir", dir);

        Assert.True(code == 0, output);
        var s = (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")))!;
        double pass = s["fedma"]!["acc"]![0]!.GetValue<double>(), local = s["locals"]!["mean_acc"]!.GetValue<double>();
        Assert.True(pass > 0.40 && pass > local, s.ToJsonString());
        Assert.True(s["naive"]!["acc"]!.GetValue<double>() < local, s.ToJsonString());
        Assert.True(s["wall_s"]!.GetValue<double>() < 60 * 3, s.ToJsonString());   // 60 s on an idle machine; CI is shared
        Assert.True(s["checks"]!["r0_global"]!["holds"]!.GetValue<bool>(), s.ToJsonString());
        IReadOnlyList<MetricRecord> metrics = MetricsWriter.Read(Path.Combine(dir, "metrics.jsonl"));
        foreach (string strategy in new[] { "fedma", "fedavg", "fedprox" })
        {
            Assert.Contains(metrics, m => m.Split == strategy && m.Metric == "bytes" && m.Value > 0);
        }
        foreach (string plot in new[] { "acc_vs_rounds", "acc_vs_bytes", "global_widths" })
        {
            Assert.True(File.Exists(Path.Combine(dir, "plots", plot + ".png")), plot);
        }
    }

    [Fact]
    public void RunFedma_LstmOnGeneratedText_Completes()
    {
        string dir = Path.Combine(_root, "lstm");

        (int code, string output) = TesseraCli.Run("run", "fedma", "--preset", "lstm-smoke", "--run-dir", dir);

        Assert.True(code == 0, output);
        var s = (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")))!;
        int hidden = s["fedma"]!["widths"]![0]![1]!.GetValue<int>();
        Assert.InRange(hidden, 16, 3 * 16);
        Assert.True(s["fedma"]!["final_acc"]!.GetValue<double>() > 1.0 / 80, s.ToJsonString());
    }
}
