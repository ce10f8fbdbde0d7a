using System.Globalization;
using Tessera.Methods.Accordion;
using Tessera.Training;

namespace Tessera.Benchmarks;

/// <summary>
/// Evaluation time of a small CNN by batch size: FMNIST-CNN over 2,000 random 28x28 images in batches of 1,000 and in
/// batches of <see cref="Evaluation.DefaultBatchSize"/>, interleaved. The ratio shows what Tessera's default saves (large
/// batches make the convolution buffers exceed glibc's mmap threshold).
/// </summary>
public static class EvalBatchBench
{
    public static void Run()
    {
        torch.random.manual_seed(0);
        using var model = AccordionModels.Create(new AccordionModelConfig { Name = "fmnist-cnn" }, [1, 28, 28], 10);
        using Tensor images = torch.randn(2000, 1, 28, 28), labels = torch.randint(0, 10, [2000], dtype: ScalarType.Int64);
        (double large, double small) = Timing.Interleaved(
            () => Evaluation.Classifier(model, images, labels, batchSize: 1000),
            () => Evaluation.Classifier(model, images, labels),
            warmup: 1, repeats: 3);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"eval-batch fmnist-cnn, 2,000 images: batch 1000 {large:F2} s, batch {Evaluation.DefaultBatchSize} {small:F2} s: {large / small:F1}x"));
    }
}
