using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Tessera.Experiments;
using Tessera.Methods.FedMA;
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

    [Fact]
    public void FedServe_KilledAndResumed_ContinuesAfterItsLastRound_LikeAnUninterruptedRun()
    {
        // Given: an in-process reference, and the same FedAvg run over gRPC (server + 2 client processes) whose server
        // is killed with SIGKILL after its first checkpointed round
        string[] config = ["--preset", "smoke", "--set", "data.clients=2", "--set", "run.strategies=[\"fedavg\"]", "--set", "fedavg.rounds=6"];
        string reference = Path.Combine(_root, "inproc"), dir = Path.Combine(_root, "grpc"), token = Path.Combine(_root, "token");
        (int code, string output) = TesseraCli.Run(["run", "fedma", .. config, "--run-dir", reference]);
        Assert.True(code == 0, output);
        File.WriteAllText(token, "s3cret\n");
        string port = Loopback.FreePort().ToString(CultureInfo.InvariantCulture);
        Process[] clients = [.. Enumerable.Range(0, 2).Select(c => TesseraCli.Start(Path.Combine(_root, $"client{c}.log"),
            "fed", "join", "--client", c.ToString(CultureInfo.InvariantCulture), "--server", $"http://127.0.0.1:{port}", "--token-file", token, "--retry-seconds", "300"))];
        string Logs() => string.Join("\n", Directory.GetFiles(_root, "*.log").Order().Select(f => $"--- {Path.GetFileName(f)}\n{File.ReadAllText(f)}"));
        long killedAfter;
        try
        {
            using (Process server = TesseraCli.Start(Path.Combine(_root, "server.log"), ["fed", "serve", .. config, "--run-dir", dir, "--port", port, "--token-file", token]))
            {
                string checkpoints = Path.Combine(dir, "checkpoints");
                while (ServerCheckpoint.Latest(checkpoints) is null && !server.HasExited)
                {
                    Thread.Sleep(10);
                }
                server.Kill();
                server.WaitForExit();
                killedAfter = ServerCheckpoint.Latest(checkpoints)?.Round ?? throw new InvalidOperationException("no checkpoint: " + Logs());
            }
            Assert.False(File.Exists(Path.Combine(dir, "summary.json")), "the server finished before it could be killed");

            // When: the server restarts from its run directory and the clients redial it
            using (Process resumed = TesseraCli.Start(Path.Combine(_root, "resumed.log"), "fed", "serve", "--resume", dir, "--port", port, "--token-file", token))
            {
                Assert.True(resumed.WaitForExit(TimeSpan.FromMinutes(5)), "the resumed server did not finish: " + Logs());
                Assert.Equal(0, resumed.ExitCode);
            }
            foreach (Process c in clients)
            {
                Assert.True(c.WaitForExit(TimeSpan.FromMinutes(2)), "a client did not finish: " + Logs());
                Assert.Equal(0, c.ExitCode);
            }
        }
        finally
        {
            foreach (Process c in clients)
            {
                if (!c.HasExited)
                {
                    c.Kill();
                }
                c.Dispose();
            }
        }

        // Then: it continued after the checkpointed round; every round is logged once, with the in-process values
        var env = (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "env.json")))!;
        Assert.Equal(killedAfter, env["resumedAt"]![0]!.GetValue<long>());
        MetricRecord[] Accuracy(string run) => [.. MetricsWriter.Read(Path.Combine(run, "metrics.jsonl")).Where(m => m.Split == "fedavg" && m.Metric == "acc")];
        MetricRecord[] expected = Accuracy(reference), actual = Accuracy(dir);
        Assert.Equal(Enumerable.Range(0, 7).Select(r => (long)r), actual.Select(m => m.Step));
        Assert.Equal(expected.Select(m => m.Step), actual.Select(m => m.Step));
        Assert.All(expected.Zip(actual), p => Assert.Equal(p.First.Value, p.Second.Value, 1e-5));
    }
}
