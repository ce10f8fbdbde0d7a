namespace Tessera.Methods.Pruning;

/// <summary>A labelled minibatch for data-dependent scores.</summary>
public readonly record struct LabelledBatch(Tensor X, Tensor Y);

/// <summary>
/// Pruning-at-initialisation scores, one tensor per masked layer (higher = more important), computed on the
/// weights as they are (pruned entries are zero). Every function leaves the model's weights, buffers (BatchNorm
/// statistics) and train/eval mode as it found them, and never touches <c>.grad</c>.
/// </summary>
public static class PruningScores
{
    /// <summary>Magnitude: |w|.</summary>
    public static Tensor[] Magnitude(MaskSet masks) => masks.Layers.Select(l => l.Weight.detach().abs()).ToArray();

    /// <summary>SNIP (Lee et al. 2019): |g ⊙ w| with g = ∂CE/∂w averaged over <paramref name="batches"/>, the model in
    /// training mode (BatchNorm on batch statistics; its running statistics are restored afterwards).</summary>
    public static Tensor[] Snip(nn.Module<Tensor, Tensor> model, MaskSet masks, IReadOnlyList<LabelledBatch> batches)
    {
        using var scope = torch.NewDisposeScope();
        Tensor[] g = Gradients(model, masks, batches, temperature: 1);
        return masks.Layers.Select((l, i) => g[i].mul(l.Weight.detach()).abs_().MoveToOuterDisposeScope()).ToArray();
    }

    /// <summary>GraSP (Wang et al. 2020) as an importance: the GraSP score is S = −w ⊙ (H g) and GraSP removes the
    /// largest S, so this returns −S = w ⊙ (H g) (keep the highest). g = ∂L/∂w and H g (Hessian-gradient product,
    /// double backprop of g·stopgrad(g)) are summed over the batches of L = CE(logits / T, y); T = 200 in GraSP's code.</summary>
    public static Tensor[] Grasp(nn.Module<Tensor, Tensor> model, MaskSet masks, IReadOnlyList<LabelledBatch> batches, double temperature = 200)
    {
        using var scope = torch.NewDisposeScope();
        Tensor[] hg = HessianGradient(model, masks, batches, temperature);
        return masks.Layers.Select((l, i) => l.Weight.detach().mul(hg[i]).MoveToOuterDisposeScope()).ToArray();
    }

    /// <summary>H g for GraSP, summed over the batches (exposed for the gradient check).</summary>
    public static Tensor[] HessianGradient(nn.Module<Tensor, Tensor> model, MaskSet masks, IReadOnlyList<LabelledBatch> batches, double temperature)
    {
        using var scope = torch.NewDisposeScope();
        using var state = new ModelStateGuard(model, train: true);
        Tensor[] g = Gradients(model, masks, batches, temperature);
        Parameter[] weights = masks.Layers.Select(l => l.Weight).ToArray();
        Tensor[] hg = weights.Select(w => torch.zeros_like(w)).ToArray();
        foreach (LabelledBatch b in batches)
        {
            Tensor loss = nn.functional.cross_entropy(model.call(b.X) / temperature, b.Y);
            var grads = torch.autograd.grad([loss], weights, retain_graph: true, create_graph: true);
            Tensor z = grads.Select((gi, i) => gi.mul(g[i]).sum()).Aggregate((a, c) => a + c);
            var second = torch.autograd.grad([z], weights);
            for (int i = 0; i < hg.Length; i++)
            {
                hg[i].add_(second[i].detach());
            }
        }
        return hg.Select(t => t.MoveToOuterDisposeScope()).ToArray();
    }

    /// <summary>∂L/∂w summed over the batches, L = CE(logits / T, y) / (number of batches), model in training mode.</summary>
    public static Tensor[] Gradients(nn.Module<Tensor, Tensor> model, MaskSet masks, IReadOnlyList<LabelledBatch> batches, double temperature = 1)
    {
        if (batches.Count == 0)
        {
            throw new ArgumentException("At least one batch is needed.", nameof(batches));
        }
        using var scope = torch.NewDisposeScope();
        using var state = new ModelStateGuard(model, train: true);
        Parameter[] weights = masks.Layers.Select(l => l.Weight).ToArray();
        Tensor[] sum = weights.Select(w => torch.zeros_like(w)).ToArray();
        foreach (LabelledBatch b in batches)
        {
            Tensor loss = nn.functional.cross_entropy(model.call(b.X) / temperature, b.Y) / batches.Count;
            var grads = torch.autograd.grad([loss], weights);
            for (int i = 0; i < sum.Length; i++)
            {
                sum[i].add_(grads[i]);
            }
        }
        return sum.Select(t => t.MoveToOuterDisposeScope()).ToArray();
    }

    /// <summary>One SynFlow evaluation (Tanaka et al. 2020): with every parameter replaced by its absolute value and the
    /// model in eval mode, R = sum of the outputs for an all-ones input of shape (1, ..inputShape); score = (∂R/∂w) ⊙ w.
    /// With <paramref name="normalize"/>, each layer's |w| is divided by its mean row sum first: R and every score
    /// change by the same positive factor (the product of those constants), so the ranking is unchanged but deep
    /// nets no longer overflow float32.</summary>
    public static Tensor[] SynFlowScores(nn.Module<Tensor, Tensor> model, MaskSet masks, long[] inputShape, bool normalize = true)
    {
        using var scope = torch.NewDisposeScope();
        using var state = new ModelStateGuard(model, train: false);
        Parameter[] all = model.parameters().ToArray();
        Tensor[] saved = all.Select(p => p.detach().clone()).ToArray();
        try
        {
            using (torch.no_grad())
            {
                foreach (Parameter p in all)
                {
                    p.abs_();
                }
                if (normalize)
                {
                    foreach (MaskedLayer l in masks.Layers)
                    {
                        double rowSum = l.Weight.sum().to(ScalarType.Float64).item<double>() / l.Weight.shape[0];
                        if (rowSum > 0)
                        {
                            l.Weight.div_(rowSum);
                        }
                    }
                }
            }
            Parameter[] weights = masks.Layers.Select(l => l.Weight).ToArray();
            Tensor ones = torch.ones([1, .. inputShape], dtype: weights[0].dtype);
            Tensor r = model.call(ones).sum();
            var grads = torch.autograd.grad([r], weights);
            return weights.Select((w, i) => grads[i].mul(w.detach()).abs_().MoveToOuterDisposeScope()).ToArray();
        }
        finally
        {
            using var noGrad = torch.no_grad();
            for (int i = 0; i < all.Length; i++)
            {
                all[i].copy_(saved[i]);
            }
        }
    }

    /// <summary>SynFlow pruning: <paramref name="iterations"/> rounds; round t keeps the global top
    /// density^(t/iterations) fraction of the scores among the weights still kept (masks compound). Sets the masks
    /// (and zeroes the pruned weights) and returns the final density.</summary>
    /// <param name="largest">False keeps the lowest scores instead (the score-inversion sanity check).</param>
    public static double SynFlow(nn.Module<Tensor, Tensor> model, MaskSet masks, long[] inputShape, double density, int iterations = 100, bool largest = true)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(iterations);
        long total = masks.Total;
        for (int t = 1; t <= iterations; t++)
        {
            using var scope = torch.NewDisposeScope();
            Tensor[] scores = SynFlowScores(model, masks, inputShape);
            long keep = MaskSelection.KeepCount(total, Math.Pow(density, (double)t / iterations));
            Tensor[] current = masks.Snapshot();
            masks.Set(MaskSelection.GlobalTopK(scores, Math.Min(keep, masks.Kept), current, largest));
        }
        return masks.Density;
    }
}

/// <summary>Puts a model in train or eval mode and snapshots its buffers (BatchNorm running statistics); disposing
/// restores both, so a scoring pass has no side effect on the model.</summary>
internal sealed class ModelStateGuard : IDisposable
{
    private readonly nn.Module _model;
    private readonly bool _wasTraining;
    private readonly (Tensor Live, Tensor Saved)[] _buffers;

    public ModelStateGuard(nn.Module model, bool train)
    {
        _model = model;
        _wasTraining = model.training;
        _buffers = model.buffers()
            .Select(b => (b, b.detach().clone().DetachFromDisposeScope())).ToArray();
        model.train(train);
    }

    public void Dispose()
    {
        using (torch.no_grad())
        {
            foreach ((Tensor live, Tensor saved) in _buffers)
            {
                live.copy_(saved);
                saved.Dispose();
            }
        }
        _model.train(_wasTraining);
    }
}
