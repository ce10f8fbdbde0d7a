using Tessera.Data;
using Tessera.Training;

namespace Tessera.Methods.FedMA;

/// <summary>One client-side training job: which layers train, for how long, with which SGD settings, and FedProx's μ.</summary>
public sealed record LocalTrainSpec(int Epochs, double Lr, double Momentum, double WeightDecay, int BatchSize, double ProximalMu = 0)
{
    /// <summary>Parameters whose name starts with one of these prefixes train; null = all. Others are frozen: they are
    /// not given to the optimizer and get no gradient, so neither momentum nor weight decay can move them.</summary>
    public string[]? Trainable { get; init; }

    public ConfigMap ToConfig() => new ConfigMap()
        .Set("epochs", Epochs).Set("lr", Lr).Set("momentum", Momentum).Set("weight_decay", WeightDecay)
        .Set("batch_size", BatchSize).Set("proximal_mu", ProximalMu)
        .Set("trainable", Trainable is null ? "*" : string.Join(",", Trainable));

    public static LocalTrainSpec FromConfig(ConfigMap c)
    {
        ArgumentNullException.ThrowIfNull(c);
        string trainable = c.String("trainable", "*");
        return new LocalTrainSpec(c.Int("epochs"), c.Double("lr"), c.Double("momentum", 0.9), c.Double("weight_decay", 0), c.Int("batch_size"),
            c.Double("proximal_mu", 0))
        {
            Trainable = trainable == "*" ? null : trainable.Split(',', StringSplitOptions.RemoveEmptyEntries),
        };
    }
}

/// <summary>
/// Local SGD on one client's data: shuffled mini-batches (order from (seed, epoch)), one dispose scope per step,
/// optional proximal term (μ/2)·Σ‖w − w_global‖² against the weights the round started from (FedProx). Many short
/// jobs per run and no checkpoints, so this is a plain loop rather than <see cref="Trainer"/>.
/// </summary>
public static class LocalTraining
{
    /// <summary>Trains <paramref name="model"/> in place; returns the mean loss of the last epoch (NaN for 0 epochs).</summary>
    public static double Run(nn.Module<Tensor, Tensor> model, ClientData data, LocalTrainSpec spec, long seed)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.Epochs == 0 || data.Count == 0)
        {
            return double.NaN;
        }
        var named = model.named_parameters().ToArray();
        var train = named.Where(p => spec.Trainable is null || spec.Trainable.Any(t => p.name.StartsWith(t + ".", StringComparison.Ordinal))).ToArray();
        var frozen = named.Except(train).ToArray();
        foreach (var (_, p) in frozen)
        {
            p.requires_grad_(false);
        }
        Tensor[] anchors = spec.ProximalMu > 0 ? train.Select(p => p.parameter.detach().clone().DetachFromDisposeScope()).ToArray() : [];
        try
        {
            using var optimizer = optim.SGD(train.Select(p => p.parameter), spec.Lr, spec.Momentum, weight_decay: spec.WeightDecay);
            model.train();
            long n = data.Count;
            long steps = (n + spec.BatchSize - 1) / spec.BatchSize;
            double lastEpoch = double.NaN;
            for (int epoch = 0; epoch < spec.Epochs; epoch++)
            {
                long[] order = ImageBatches.Permutation(seed, epoch, n);
                double sum = 0;
                for (long s = 0; s < steps; s++)
                {
                    TorchGc.SafePoint();
                    using var step = torch.NewDisposeScope();
                    StepSeeds.SeedGlobal(seed, (epoch * steps) + s);
                    long start = s * spec.BatchSize;
                    Tensor index = torch.tensor(order[(int)start..(int)Math.Min(start + spec.BatchSize, n)]);
                    optimizer.zero_grad();
                    Tensor loss = nn.functional.cross_entropy(model.call(data.X.index_select(0, index)), data.Y.index_select(0, index));
                    Tensor objective = spec.ProximalMu > 0 ? loss + Proximal(train.Select(p => (Tensor)p.parameter).ToArray(), anchors, spec.ProximalMu) : loss;
                    objective.backward();
                    optimizer.step();
                    double value = loss.item<float>();
                    if (!double.IsFinite(value))
                    {
                        throw new RunFailedException($"Local training diverged (loss {value}) at epoch {epoch + 1}; lower the learning rate.");
                    }
                    sum += value;
                }
                lastEpoch = sum / steps;
            }
            return lastEpoch;
        }
        finally
        {
            foreach (var (_, p) in frozen)
            {
                p.requires_grad_(true);
            }
            foreach (Tensor a in anchors)
            {
                a.Dispose();
            }
        }
    }

    /// <summary>FedProx's penalty (μ/2)·Σ_i ‖w_i − anchor_i‖².</summary>
    public static Tensor Proximal(IReadOnlyList<Tensor> weights, IReadOnlyList<Tensor> anchors, double mu)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(anchors);
        using var scope = torch.NewDisposeScope();
        Tensor total = torch.zeros([], weights.Count > 0 ? weights[0].dtype : ScalarType.Float32);
        for (int i = 0; i < weights.Count; i++)
        {
            total = total + (weights[i] - anchors[i]).pow(2).sum();
        }
        return (total * (mu / 2)).MoveToOuterDisposeScope();
    }
}
