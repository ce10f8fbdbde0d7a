using Tessera.Data;
using Tessera.Training;

namespace Tessera.Methods.FedMA;

/// <summary>The connected clients and seeded sampling (Flower's ClientManager).</summary>
public sealed class ClientManager(IFederationTransport transport, long seed)
{
    public IReadOnlyList<string> Available => transport.Connected.OrderBy(c => c, ClientIds.Comparer).ToArray();

    /// <summary>max(⌊fraction·available⌋, minimum) clients drawn without replacement from (seed, round); empty when fewer
    /// than <paramref name="minimum"/> are available.</summary>
    public IReadOnlyList<string> Sample(long round, double fraction, int minimum)
    {
        string[] available = [.. Available];
        int n = Math.Max((int)Math.Floor(fraction * available.Length), minimum);
        if (available.Length < minimum)
        {
            return [];
        }
        n = Math.Min(n, available.Length);
        if (n == available.Length)
        {
            return available;
        }
        new SeededRandom(StepSeeds.For(seed, round, "sample")).Shuffle(available.AsSpan());
        return available.Take(n).OrderBy(c => c, ClientIds.Comparer).ToArray();
    }
}

/// <summary>
/// A round-based strategy in Flower's shape: configure a round into per-client instructions, aggregate the results
/// (given the failures), with <see cref="RunRound"/> tying them together over a <see cref="Grid"/>.
/// </summary>
public abstract class Strategy
{
    public abstract string Name { get; }

    public abstract IReadOnlyList<(string ClientId, FedInstruction Instruction)> ConfigureFit(long round, ArrayRecord parameters, ClientManager clients);

    /// <summary>The new global parameters, or null when the round cannot be aggregated.</summary>
    public abstract (ArrayRecord? Parameters, ConfigMap Metrics) AggregateFit(long round, IReadOnlyList<ClientResult> results, IReadOnlyList<ClientFailure> failures);

    /// <summary>Configure → send and receive → aggregate. Throws <see cref="RoundFailedException"/> when the round
    /// cannot produce parameters.</summary>
    public virtual (ArrayRecord Parameters, ConfigMap Metrics, RoundReplies Replies) RunRound(long round, ArrayRecord parameters, Grid grid, ClientManager clients)
    {
        ArgumentNullException.ThrowIfNull(grid);
        var messages = ConfigureFit(round, parameters, clients);
        if (messages.Count == 0)
        {
            throw new RoundFailedException(round, $"not enough clients available ({clients.Available.Count} connected)");
        }
        RoundReplies replies = grid.SendAndReceive(messages);
        (ArrayRecord? aggregated, ConfigMap metrics) = AggregateFit(round, replies.Results, replies.Failures);
        if (aggregated is null)
        {
            string why = string.Join("; ", replies.Failures.Select(f => $"{f.ClientId}: {f.Reason}"));
            throw new RoundFailedException(round, $"{replies.Results.Count} results and {replies.Failures.Count} failures could not be aggregated ({why})");
        }
        return (aggregated, metrics, replies);
    }
}

/// <summary>A round produced no new parameters (too few results, or failures without accept_failures).</summary>
public sealed class RoundFailedException(long round, string reason) : Exception($"round {round} failed: {reason}")
{
    public long Round { get; } = round;
}

/// <summary>FedAvg settings (Flower's defaults where they apply).</summary>
public sealed record FedAvgOptions
{
    public double FractionFit { get; init; } = 1.0;

    public int MinFitClients { get; init; } = 2;

    public bool AcceptFailures { get; init; } = true;

    /// <summary>The local training each client runs per round.</summary>
    public LocalTrainSpec Train { get; init; } = new(1, 0.01, 0.9, 0, 64);
}

/// <summary>FedAvg: every sampled client trains the global model; the new model is Σ_j (n_j / Σn)·W_j.</summary>
public class FedAvg(FedAvgOptions options) : Strategy
{
    public FedAvgOptions Options { get; } = options;

    public override string Name => "fedavg";

    /// <summary>The per-client fit config (FedProx adds μ).</summary>
    protected virtual ConfigMap FitConfig(long round) => Options.Train.ToConfig().Set("round", round);

    public override IReadOnlyList<(string, FedInstruction)> ConfigureFit(long round, ArrayRecord parameters, ClientManager clients)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(clients);
        IReadOnlyList<string> sample = clients.Sample(round, Options.FractionFit, Options.MinFitClients);
        var layout = ModelWeights.Layout(parameters);
        return sample.Select(c => (c, new FedInstruction(MessageKinds.Fit, round, parameters, FitConfig(round)) { Expect = layout })).ToArray();
    }

    public override (ArrayRecord?, ConfigMap) AggregateFit(long round, IReadOnlyList<ClientResult> results, IReadOnlyList<ClientFailure> failures)
    {
        ArgumentNullException.ThrowIfNull(results);
        ArgumentNullException.ThrowIfNull(failures);
        var metrics = new ConfigMap().Set("results", results.Count).Set("failures", failures.Count);
        if (results.Count == 0 || results.Count < Options.MinFitClients || (failures.Count > 0 && !Options.AcceptFailures))
        {
            return (null, metrics);
        }
        ArrayRecord average = LayerOps.WeightedAverage(results.Select(r => r.Reply.Arrays).ToArray(),
            results.Select(r => (double)Math.Max(r.Reply.NumExamples, 0)).ToArray());
        double examples = results.Sum(r => (double)r.Reply.NumExamples);
        double loss = results.Where(r => r.Reply.Metrics.ContainsKey("loss")).Sum(r => r.Reply.Metrics.Double("loss") * r.Reply.NumExamples) / examples;
        metrics.Set("train_loss", loss);
        return (average, metrics);
    }
}

/// <summary>FedProx: FedAvg whose clients add (μ/2)·‖w − w_global‖² to their loss (μ travels in the fit config).</summary>
public sealed class FedProx(FedAvgOptions options, double mu) : FedAvg(options)
{
    public double Mu { get; } = mu;

    public override string Name => "fedprox";

    protected override ConfigMap FitConfig(long round) => base.FitConfig(round).Set("proximal_mu", Mu);
}
