using Tessera.Training;

namespace Tessera.Methods.FedMA;

/// <summary>Centralised evaluation on the server's test set (Flower's <c>evaluate_fn</c>): single models and the
/// ensemble of several (uniform mean of their softmax outputs, §3).</summary>
public sealed class ServerEvaluator(FedArchitecture arch, ClientData test, int batchSize)
{
    public ClassifierScore Evaluate(ArrayRecord weights)
    {
        using nn.Module<Tensor, Tensor> model = Build(weights);
        return Evaluation.Classifier(model, test.X, test.Y, batchSize);
    }

    /// <summary>Accuracy and mean cross-entropy of the averaged softmax of <paramref name="members"/>.</summary>
    public ClassifierScore Ensemble(IReadOnlyList<ArrayRecord> members)
    {
        ArgumentNullException.ThrowIfNull(members);
        var models = members.Select(Build).ToArray();
        try
        {
            using var noGrad = torch.no_grad();
            long n = test.Count, correct = 0;
            double lossSum = 0;
            for (long start = 0; start < n; start += batchSize)
            {
                using var scope = torch.NewDisposeScope();
                long len = Math.Min(batchSize, n - start);
                Tensor x = test.X.narrow(0, start, len), y = test.Y.narrow(0, start, len);
                Tensor p = torch.stack(models.Select(m => nn.functional.softmax(m.call(x), 1)).ToArray()).mean([0]);   // (B, K)
                lossSum += nn.functional.nll_loss(p.clamp_min(1e-12).log(), y, reduction: nn.Reduction.Sum).item<float>();
                correct += p.argmax(1).eq(y).sum().item<long>();
            }
            return new ClassifierScore(n == 0 ? 0 : (double)correct / n, n == 0 ? 0 : lossSum / n, n);
        }
        finally
        {
            foreach (var m in models)
            {
                m.Dispose();
            }
        }
    }

    private nn.Module<Tensor, Tensor> Build(ArrayRecord weights)
    {
        nn.Module<Tensor, Tensor> model = arch.Create(arch.WidthsOf(weights));
        ModelWeights.Load(model, weights);
        model.eval();
        return model;
    }
}
