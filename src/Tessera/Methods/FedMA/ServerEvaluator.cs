using Tessera.Training;

namespace Tessera.Methods.FedMA;

/// <summary>Centralised evaluation on the server's test set (Flower's <c>evaluate_fn</c>): single models and the
/// ensemble of several (uniform mean of their softmax outputs, §3). One module per width vector is kept and reloaded.</summary>
public sealed class ServerEvaluator(FedArchitecture arch, ClientData test, int batchSize) : IDisposable
{
    private readonly Dictionary<string, nn.Module<Tensor, Tensor>> _models = [];

    public ClassifierScore Evaluate(ArrayRecord weights) =>
        Evaluation.Classifier(Build(weights), test.X, test.Y, batchSize);

    /// <summary>Accuracy and mean cross-entropy of the averaged softmax of <paramref name="members"/>.</summary>
    public ClassifierScore Ensemble(IReadOnlyList<ArrayRecord> members)
    {
        ArgumentNullException.ThrowIfNull(members);
        using var noGrad = torch.no_grad();
        long n = test.Count;
        using Tensor sum = torch.zeros([n, test.NumClasses]);
        foreach (ArrayRecord member in members)
        {
            nn.Module<Tensor, Tensor> model = Build(member);
            for (long start = 0; start < n; start += batchSize)
            {
                TorchGc.SafePoint();
                using var scope = torch.NewDisposeScope();
                long len = Math.Min(batchSize, n - start);
                sum.narrow(0, start, len).add_(nn.functional.softmax(model.call(test.X.narrow(0, start, len)), 1));
            }
        }
        using var scope2 = torch.NewDisposeScope();
        Tensor p = sum / members.Count;
        double loss = nn.functional.nll_loss(p.clamp_min(1e-12).log(), test.Y, reduction: nn.Reduction.Sum).item<float>();
        long correct = p.argmax(1).eq(test.Y).sum().item<long>();
        return new ClassifierScore(n == 0 ? 0 : (double)correct / n, n == 0 ? 0 : loss / n, n);
    }

    private nn.Module<Tensor, Tensor> Build(ArrayRecord weights)
    {
        int[] widths = arch.WidthsOf(weights);
        string key = string.Join(",", widths);
        if (!_models.TryGetValue(key, out nn.Module<Tensor, Tensor>? model))
        {
            _models[key] = model = arch.Create(widths);
        }
        ModelWeights.Load(model, weights);
        model.eval();
        return model;
    }

    public void Dispose()
    {
        foreach (var m in _models.Values)
        {
            m.Dispose();
        }
        _models.Clear();
    }
}
