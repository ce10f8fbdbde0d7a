using System.Globalization;
using System.Text.Json.Nodes;
using Tessera.Experiments;

namespace Tessera.Methods.FedMA;

/// <summary>
/// FedMA (Wang et al., ICLR 2020) and its baselines in a federated simulation: every client is a <see cref="FedClient"/>
/// behind the <see cref="InProcessTransport"/>, and the server (<see cref="FedmaRunner"/>) talks to them only through
/// messages, exactly as over gRPC (<c>tessera fed serve</c> / <c>tessera fed join</c>).
/// </summary>
public sealed class FedmaExperiment : Experiment<FedmaConfig>
{
    public override string Name => "fedma";

    public override string Description => "Federated matched averaging (BBP-MAP, layer-wise FedMA, with communication) vs FedAvg, FedProx, ensemble, one-shot matching.";

    public override string Reference => "src/Tessera/Methods/FedMA/README.md";

    public override JsonObject Run(FedmaConfig config, RunContext ctx)
    {
        using FederatedData data = FedData.Build(config);
        ctx.Info(data.Description);
        FedArchitecture arch = Architecture(config, data);
        FedClient[] clients = data.Clients.Select((d, j) => new FedClient(j, arch, d, config.Seed, config.Train.EvalBatchSize)).ToArray();
        try
        {
            using var transport = new InProcessTransport(clients.Select(c => KeyValuePair.Create(ClientIds.Of(c.Index), (IFederatedClient)c.App())));
            return RunServer(config, ctx, transport, arch, data);
        }
        finally
        {
            foreach (FedClient c in clients)
            {
                c.Dispose();
            }
        }
    }

    /// <summary>The server side on any transport (the gRPC server calls this with its own transport).</summary>
    public static JsonObject RunServer(FedmaConfig config, RunContext ctx, IFederationTransport transport, FedArchitecture arch, FederatedData data)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(ctx);
        ArgumentNullException.ThrowIfNull(arch);
        ArgumentNullException.ThrowIfNull(data);
        for (int l = 0; l < arch.MatchedLayers && ctx.ResumeStep == 0; l++)
        {
            ctx.Log(0, "local", "width", arch.LocalWidths[l], ("layer", arch.Layers[l].Name));
        }
        using var runner = new FedmaRunner(config, ctx, transport, arch, data.Test);
        JsonObject summary = runner.Run();
        summary["data"] = data.Description;
        summary["model"] = config.Model.Name;
        return summary;
    }

    /// <summary>The model family of a config for the data's input shape.</summary>
    public static FedArchitecture Architecture(FedmaConfig config, FederatedData data)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(data);
        return config.Model.Name switch
        {
            "vgg9" => FedArchitecture.Vgg9(data.Channels, data.Height, data.NumClasses, config.Model.Widths),
            "lstm" => FedArchitecture.Lstm(FedData.Vocabulary.Length, config.Model.Embed, config.Model.Hidden, FedData.Vocabulary.Length),
            _ => FedArchitecture.LeNet(data.Channels, data.Height, data.Width, data.NumClasses, config.Model.Widths),
        };
    }

    /// <summary>Accuracy vs rounds and vs bytes for every strategy (one-shot baselines as flat lines), widths per layer,
    /// and the standard loss curve.</summary>
    public override IEnumerable<Figure> Figures(IReadOnlyList<MetricRecord> metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        MetricRecord[] acc = metrics.Where(m => m.Metric == "acc" && m.Extra is null && double.IsFinite(m.Value)).ToArray();
        string[] roundBased = acc.GroupBy(m => m.Split).Where(g => g.Count() > 1 || metrics.Any(m => m.Split == g.Key && m.Metric == "bytes"))
            .Select(g => g.Key).ToArray();
        double maxRound = acc.Length == 0 ? 1 : Math.Max(1, acc.Max(m => m.Step));
        var byRound = new List<FigureSeries>();
        foreach (var g in acc.GroupBy(m => m.Split))
        {
            MetricRecord[] pts = g.OrderBy(m => m.Step).ToArray();
            byRound.Add(roundBased.Contains(g.Key)
                ? new FigureSeries(g.Key, pts.Select(m => (double)m.Step).ToArray(), pts.Select(m => m.Value).ToArray())
                : new FigureSeries(g.Key, [0, maxRound], [pts[^1].Value, pts[^1].Value]));
        }
        if (byRound.Count > 0)
        {
            yield return new Figure("acc_vs_rounds", "Test accuracy vs communication rounds (FedMA: round 0 = first pass)", "round", "test accuracy", byRound);
        }
        var byBytes = new List<FigureSeries>();
        foreach (string split in roundBased)
        {
            var bytes = metrics.Where(m => m.Split == split && m.Metric == "bytes").ToDictionary(m => m.Step, m => m.Value);
            MetricRecord[] pts = acc.Where(m => m.Split == split && bytes.ContainsKey(m.Step)).OrderBy(m => m.Step).ToArray();
            if (pts.Length > 0)
            {
                byBytes.Add(new FigureSeries(split, pts.Select(m => bytes[m.Step] / 1e6).ToArray(), pts.Select(m => m.Value).ToArray()));
            }
        }
        if (byBytes.Count > 0)
        {
            yield return new Figure("acc_vs_bytes", "Test accuracy vs transmitted parameters (both directions, all clients)", "MB sent", "test accuracy", byBytes);
        }
        MetricRecord[] widths = metrics.Where(m => m.Metric == "width" && m.Get("layer") is not null).ToArray();
        if (widths.Length > 0)
        {
            string[] layers = widths.Select(m => m.Get("layer")!).Distinct().ToArray();
            var series = widths.GroupBy(m => (m.Split, m.Step)).Where(g => g.Key.Split != "fedma" || g.Key.Step == 0 || g.Key.Step == widths.Where(w => w.Split == "fedma").Max(w => w.Step))
                .Select(g => new FigureSeries(g.Key.Split == "local" ? "local" : $"{g.Key.Split} round {g.Key.Step}",
                    layers.Select((_, i) => (double)i).ToArray(),
                    layers.Select(l => g.FirstOrDefault(m => m.Get("layer") == l)?.Value ?? 0).ToArray()))
                .ToArray();
            yield return new Figure("global_widths", "Width per matched layer", "layer", "width", series, Categories: layers);
        }
        foreach (Figure f in Figure.Standard(metrics.Where(m => m.Metric == "loss").ToArray()))
        {
            yield return f;
        }
    }

    /// <summary>The headline in about a minute: on R0's heterogeneous split, one FedMA pass beats the mean local model
    /// and the naive average of independently initialised models (the permutation problem).</summary>
    public override QuickstartLine Quickstart(RunDirectory dir, IRunSink sink)
    {
        ArgumentNullException.ThrowIfNull(dir);
        JsonObject s = RunPreset("smoke", dir, sink);
        double local = s["locals"]!["mean_acc"]!.GetValue<double>();
        double naive = s["naive"]!["acc"]!.GetValue<double>();
        double pass = s["fedma"]!["acc"]![0]!.GetValue<double>();
        return new QuickstartLine("fedma",
            "matching hidden units before averaging (FedMA) beats the local models and naive averaging under label skew (R0: pass > 0.40 and > mean local)",
            string.Create(CultureInfo.InvariantCulture,
                $"J={s["clients"]}, LeNet-T on Fashion-MNIST: FedMA pass {pass:P1} vs mean local {local:P1}, naive average {naive:P1} ({s["wall_s"]} s)"),
            pass > 0.40 && pass > local && pass > naive);
    }
}
