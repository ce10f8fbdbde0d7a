using Tessera.Training;

namespace Tessera.Methods.LoopedTf;

/// <summary>A fresh 2-layer ReLU network Linear(d→100) → ReLU → Linear(100→1) per prompt and prefix, trained by Adam
/// (lr 5e-3, 1000 steps), each step an MSE step on a random subset of min(10, i) of the i context points, sampled
/// without replacement (spec §3, the figure notebook's settings); prediction at x_i. Initialisation is PyTorch's
/// Linear default, U(−1/√fan_in, 1/√fan_in) for weights and biases. All prompts of a batch train at once as a batch
/// of independent networks: the loss is the sum over prompts of each prompt's own MSE, so every network gets exactly
/// its own gradient and Adam state. Hand-written on TorchSharp.</summary>
public sealed class NetworkByGradientDescent(long seed, int hidden = 100, int steps = 1000, double lr = 5e-3, int batch = 10) : IBaseline
{
    public string Name => "nn_gd";

    public Tensor Predict(Tensor xs, Tensor ys)
    {
        using var scope = torch.NewDisposeScope();
        long n = xs.shape[1];
        var columns = new List<Tensor> { torch.zeros([xs.shape[0]]) };
        for (int i = 1; i < n; i++)
        {
            columns.Add(FitPredict(xs[.., ..i, ..], ys[.., ..i], xs[.., i, ..], i));
        }
        return torch.stack(columns, dim: 1).MoveToOuterDisposeScope();
    }

    /// <summary>Trains one network per prompt on (x (B, m, d), y (B, m)) and predicts at query (B, d) → (B).</summary>
    public Tensor FitPredict(Tensor x, Tensor y, Tensor query, long stream = 0)
    {
        using var scope = torch.NewDisposeScope();
        long b = x.shape[0], m = x.shape[1], d = x.shape[2];
        using var g = new Generator((ulong)Training.StepSeeds.For(seed, stream, "nn_gd"));
        double b1 = 1 / Math.Sqrt(d), b2 = 1 / Math.Sqrt(hidden);
        Parameter Uniform(long[] shape, double bound) => new(((torch.rand(shape, generator: g) * 2) - 1).mul_(bound));
        var w1 = Uniform([b, d, hidden], b1);
        var c1 = Uniform([b, 1, hidden], b1);
        var w2 = Uniform([b, hidden, 1], b2);
        var c2 = Uniform([b, 1, 1], b2);
        Tensor Forward(Tensor input) => nn.functional.relu(input.bmm(w1) + c1).bmm(w2) + c2;   // (B, k, 1)
        using (var optimizer = optim.Adam([w1, c1, w2, c2], lr))
        {
            int k = (int)Math.Min(batch, m);
            for (int step = 0; step < steps; step++)
            {
                TorchGc.SafePoint();
                using var stepScope = torch.NewDisposeScope();
                var pick = torch.rand([b, m], generator: g).argsort(dim: 1)[.., ..k];                 // (B, k) without replacement
                var xb = x.gather(1, pick.unsqueeze(-1).expand(b, k, d));                              // (B, k, d)
                var yb = y.gather(1, pick);                                                            // (B, k)
                var loss = (Forward(xb).squeeze(-1) - yb).square().mean([1]).sum();
                optimizer.zero_grad();
                loss.backward();
                optimizer.step();
            }
        }
        using var noGrad = torch.no_grad();
        return Forward(query.unsqueeze(1)).reshape(b).MoveToOuterDisposeScope();
    }
}
