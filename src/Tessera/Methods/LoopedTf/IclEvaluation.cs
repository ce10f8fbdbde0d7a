using Tessera.Nn;
using Tessera.Training;

namespace Tessera.Methods.LoopedTf;

/// <summary>Normalised squared error per number of in-context examples (spec §2.9), computed in chunks of prompts
/// without autograd.</summary>
public static class IclEvaluation
{
    /// <summary>Mean over prompts of (pred − y)² per position, divided by <paramref name="normalizer"/>:
    /// preds and ys (P, n) → n values.</summary>
    public static double[] Errors(Tensor preds, Tensor ys, double normalizer)
    {
        using var scope = torch.NewDisposeScope();
        var err = (preds.to(ScalarType.Float64) - ys.to(ScalarType.Float64)).square().mean([0]) / normalizer;
        return err.data<double>().ToArray();
    }

    /// <summary>Predictions (P, n) of any model or baseline, <paramref name="batchSize"/> prompts at a time.</summary>
    public static Tensor Predict(Func<Tensor, Tensor, Tensor> predict, Tensor xs, Tensor ys, int batchSize)
    {
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        var parts = new List<Tensor>();
        for (long s = 0; s < xs.shape[0]; s += batchSize)
        {
            long len = Math.Min(batchSize, xs.shape[0] - s);
            parts.Add(predict(xs.narrow(0, s, len), ys.narrow(0, s, len)));
        }
        return torch.cat(parts, 0).MoveToOuterDisposeScope();
    }

    /// <summary>Normalised error of the looped model after every iteration 1..<paramref name="loops"/>, per position:
    /// result[t − 1][i]. Runs <paramref name="batchSize"/> prompts at a time; only the error sums are kept.</summary>
    public static double[][] LoopErrors(LoopedTransformer model, Tensor xs, Tensor ys, int loops, int batchSize, double normalizer)
    {
        bool wasTraining = model.training;
        model.eval();
        using var noGrad = torch.no_grad();
        long p = xs.shape[0], n = xs.shape[1];
        var sums = new double[loops * n];
        for (long s = 0; s < p; s += batchSize)
        {
            TorchGc.SafePoint();
            using var scope = torch.NewDisposeScope();
            long len = Math.Min(batchSize, p - s);
            var x = xs.narrow(0, s, len);
            var y = ys.narrow(0, s, len).to(ScalarType.Float64);
            Tensor[] preds = model.Loop(x, y.to(ScalarType.Float32), loops, 0);
            var sq = torch.stack(preds.Select(t => (t.to(ScalarType.Float64) - y).square().sum([0])).ToArray(), 0);  // (loops, n)
            double[] chunk = sq.data<double>().ToArray();
            for (int k = 0; k < chunk.Length; k++)
            {
                sums[k] += chunk[k];
            }
        }
        model.train(wasTraining);
        return Enumerable.Range(0, loops)
            .Select(t => Enumerable.Range(0, (int)n).Select(i => sums[(t * n) + i] / p / normalizer).ToArray())
            .ToArray();
    }
}
