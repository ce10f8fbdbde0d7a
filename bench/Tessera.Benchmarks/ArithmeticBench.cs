using System.Globalization;
using Tessera.Experiments;
using Tessera.Methods.Arithmetic;
using Tessera.Nn;
using Tessera.Training;
using TorchSharp.Modules;

namespace Tessera.Benchmarks;

/// <summary>
/// Training throughput of the arithmetic GPTs as a fraction of the machine's measured fp32 GEMM peak (MFU), and the
/// cost of Tessera's trainer over a bare TorchSharp loop doing the same updates.
/// </summary>
public static class ArithmeticBench
{
    private sealed record Shape(string Name, int Layers, int Heads, int Width, int Block, int Batch);

    private static readonly Shape[] Shapes =
    [
        new("model T (spec §6): L2 H4 d64, block 32, batch 64", 2, 4, 64, 32, 64),
        new("paper NanoGPT: L6 H6 d384, block 256, batch 8", 6, 6, 384, 256, 8),
    ];

    public static void Mfu()
    {
        double peak = GemmPeak();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"fp32 GEMM peak (best of 1024..4096 square): {peak / 1e9:F1} GFLOP/s"));
        foreach (Shape s in Shapes)
        {
            using var job = new Job(s);
            double seconds = Timing.MedianSeconds(job.Step, warmup: 3, repeats: s.Layers > 2 ? 7 : 30);
            double tokens = (double)s.Batch * s.Block;
            // nanoGPT's estimate: 6 N per token for the weights (forward + backward) plus 12 L T d for attention.
            double flopsPerToken = (6.0 * job.Model.NumParameters()) + (12.0 * s.Layers * s.Block * s.Width);
            double achieved = flopsPerToken * tokens / seconds;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{s.Name}: {seconds * 1e3:F1} ms/step, {tokens / seconds:F0} tokens/s, {achieved / 1e9:F1} GFLOP/s, MFU {achieved / peak:P1}"));
        }
    }

    public static void TrainerOverhead()
    {
        Shape s = Shapes[0];
        const int steps = 200;
        using var job = new Job(s);
        string root = Directory.CreateTempSubdirectory("tessera-bench-").FullName;
        int run = 0;
        void WithTrainer()
        {
            RunDirectory dir = RunDirectory.Create(Path.Combine(root, $"run{run++}"), root, "bench", "bench", 0);
            using RunContext ctx = RunContext.Start(dir, NullSink.Instance);
            new Trainer(job.Model, job.Optimizer, job.Loss, LrSchedules.WarmupCosine(3e-3, 100, steps, 3e-4),
                new TrainerOptions(steps, LogEvery: 50, GradClip: 1.0), ctx, 0).Run();
        }
        void Bare()
        {
            for (int i = 0; i < steps; i++)
            {
                job.Step();
            }
        }
        (double trainer, double bare) = Timing.Interleaved(WithTrainer, Bare, warmup: 1, repeats: 5);
        Directory.Delete(root, recursive: true);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"trainer overhead on {s.Name}, {steps} steps: trainer {trainer:F2} s vs bare loop {bare:F2} s -> {(trainer / bare) - 1:P1}"));
    }

    /// <summary>Best sustained fp32 matmul rate over a few square sizes.</summary>
    private static double GemmPeak()
    {
        using var noGrad = torch.no_grad();
        double best = 0;
        foreach (int n in new[] { 1024, 2048, 4096 })
        {
            using Tensor a = torch.randn(n, n), b = torch.randn(n, n);
            double seconds = Timing.MedianSeconds(() => torch.matmul(a, b).Dispose(), warmup: 2, repeats: n >= 4096 ? 3 : 7);
            best = Math.Max(best, 2.0 * n * n * n / seconds);
        }
        return best;
    }

    /// <summary>A model, its optimizer and a token stream, with the training step of the arithmetic experiment.</summary>
    private sealed class Job : IDisposable
    {
        private readonly Tensor _stream;
        private readonly int _batch;
        private readonly int _block;
        private readonly Generator _generator = new(0);
        private readonly Parameter[] _parameters;

        public Job(Shape s)
        {
            torch.random.manual_seed(0);
            Model = new GptModel(new GptConfig(s.Block, CharTokenizer.AllAscii.VocabSize, s.Layers, s.Heads, s.Width, 0, Bias: false, TiedHead: true));
            Init.Gpt2(Model);
            Optimizer = ArithmeticExperiment.CreateOptimizer(Model, new ArithmeticTrainConfig());
            string text = ArithmeticStream.Build(ArithmeticFormats.Create("reverse", Operation.Add),
                ArithmeticData.TableSplit(Operation.Add, 2, 4000, 10, 1337).Train, 1337);
            _stream = torch.tensor(CharTokenizer.AllAscii.Encode(text));
            (_batch, _block) = (s.Batch, s.Block);
            _parameters = Model.parameters().ToArray();
        }

        public GptModel Model { get; }

        public OptimizerHelper Optimizer { get; }

        public Tensor Loss(long step)
        {
            (Tensor x, Tensor y) = ArithmeticExperiment.Windows(_stream, _batch, _block, _generator);
            Tensor logits = Model.call(x);
            return nn.functional.cross_entropy(logits.reshape(-1, logits.shape[2]), y.reshape(-1));
        }

        /// <summary>One update as a bare loop would write it: zero_grad, loss, backward, clip, step.</summary>
        public void Step()
        {
            using var scope = torch.NewDisposeScope();
            Optimizer.zero_grad();
            Tensor loss = Loss(0);
            loss.backward();
            nn.utils.clip_grad_norm_(_parameters, 1.0);
            Optimizer.step();
        }

        public void Dispose()
        {
            Optimizer.Dispose();
            Model.Dispose();
            _stream.Dispose();
            _generator.Dispose();
        }
    }
}
