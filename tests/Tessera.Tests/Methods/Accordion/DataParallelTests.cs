using System.Text.Json.Nodes;
using Tessera.Comm;
using Tessera.Experiments;
using Tessera.Methods.Accordion;
using Tessera.Nn;
using Tessera.Training;

namespace Tessera.Tests.Methods.Accordion;

/// <summary>The data-parallel trainer end to end on tiny synthetic runs (in-process workers).</summary>
public sealed class DataParallelTests : IDisposable
{
    private static readonly object InitLock = new();

    private readonly string _root = Directory.CreateTempSubdirectory("tessera-accordion-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    /// <summary>A run of a few hundred milliseconds: MLP 20-16-4 on 256 synthetic samples, W = 2, 4 epochs.</summary>
    private static AccordionConfig Tiny(string mode = "accordion", string kind = "powersgd", long seed = 42) => new()
    {
        Seed = seed,
        Workers = 2,
        Data = new AccordionDataConfig { Dataset = "synthetic", SyntheticTrain = 256, SyntheticTest = 64, SyntheticDim = 20, SyntheticClasses = 4, SyntheticMeanStd = 1 },
        Model = new AccordionModelConfig { Name = "mlp", Hidden = [16] },
        Train = new AccordionTrainConfig
        {
            Epochs = 4,
            BatchPerWorker = 16,
            WeightDecay = 1e-4,
            EvalEvery = 1,
            LogEvery = 1,
            Lr = new LrConfig { Base = 0.05, WarmupEpochs = 0, WarmupFactor = 1, Milestones = [3] },
        },
        Compression = new CompressionConfig { Kind = kind, Mode = mode, Low = kind == "topk" ? 0.5 : 2, High = kind == "topk" ? 0.1 : 1, Interval = 1 },
    };

    private (JsonObject Summary, IReadOnlyList<MetricRecord> Metrics) Run(AccordionConfig config, string name, bool resume = false)
    {
        string path = Path.Combine(_root, name);
        RunDirectory dir = resume ? RunDirectory.Open(path) : RunDirectory.Create(path, _root, "accordion", "test", config.Seed);
        if (!resume)
        {
            dir.WriteConfig(ConfigLoader.ToJson(config));
        }
        JsonObject summary;
        using (RunContext ctx = resume ? RunContext.Resume(dir, NullSink.Instance) : RunContext.Start(dir, NullSink.Instance))
        {
            Runtime.Apply(config);
            summary = new AccordionExperiment().Run(config, ctx);
        }
        return (summary, MetricsWriter.Read(dir.MetricsFile));
    }

    private static IEnumerable<(long, string, string, double, string?, string?)> Values(IReadOnlyList<MetricRecord> m) =>
        m.Where(r => r.Split != "time").Select(r => (r.Step, r.Split, r.Metric, r.Value, r.Get("epoch"), r.Get("tensor")));

    [Fact]
    public void Run_SameSeedTwice_IdenticalMetrics_OtherSeedDiffers()
    {
        var a = Run(Tiny(), "a");
        var b = Run(Tiny(), "b");
        var c = Run(Tiny(seed: 7), "c");

        Assert.Equal(Values(a.Metrics), Values(b.Metrics));
        Assert.NotEqual(a.Summary["final_train_loss"]!.GetValue<double>(), c.Summary["final_train_loss"]!.GetValue<double>());
        Assert.True(a.Summary["final_train_loss"]!.GetValue<double>() < 0.7 * a.Summary["first_epoch_train_loss"]!.GetValue<double>());
    }

    [Theory]
    [InlineData("powersgd")]
    [InlineData("topk")]
    public void Run_KilledAfterACheckpointAndResumed_EndsExactlyLikeAnUninterruptedRun(string kind)
    {
        // Given: an uninterrupted run, and the same run whose worker 1 fails at the first step of epoch 2 (after the
        // checkpoint of epoch 1); steps per epoch = 128 / 16 = 8
        var whole = Run(Tiny(kind: kind), "whole");
        AccordionConfig failing = Tiny(kind: kind) with { Debug = new DebugConfig { FailRank = 1, FailAtStep = 16 } };
        var e = Assert.Throws<RankFailedException>(() => Run(failing, "killed"));
        Assert.Contains("injected failure", e.Message);

        // When: resumed with the fault removed
        var resumed = Run(Tiny(kind: kind), "killed", resume: true);

        // Then: every metric (losses, floats, levels, norms, accuracy) equals the uninterrupted run's
        Assert.Equal(Values(whole.Metrics), Values(resumed.Metrics));
        Assert.Equal(whole.Summary["test_acc"]!.GetValue<double>(), resumed.Summary["test_acc"]!.GetValue<double>());
    }

    [Fact]
    public void EvaluateShards_WorkersWithTheirOwnBatchNormStatistics_ScoreWorkerZerosModelAndKeepTheirOwn()
    {
        // 64 samples over 3 workers (shards of 21, 21, 22): the shards and the sum must give worker 0's full evaluation,
        // although every worker holds other BatchNorm running statistics.
        torch.random.manual_seed(3);
        Tensor x = torch.randn(64, 6), y = torch.randint(0, 3, [64], dtype: ScalarType.Int64);

        var results = InProcessCommunicator.Run(3, comm =>
        {
            nn.Module<Tensor, Tensor> model;
            lock (InitLock)   // the global generator is shared by the worker threads: the same weights on every worker
            {
                torch.random.manual_seed(5);
                model = nn.Sequential(("fc1", nn.Linear(6, 8)), ("bn", nn.BatchNorm1d(8)), ("relu", nn.ReLU()), ("fc2", nn.Linear(8, 3)));
            }
            using (torch.no_grad())
            {
                model.call((x * (comm.Rank + 1)) + comm.Rank);   // this worker's own running statistics
            }
            Tensor[] before = model.buffers().Select(b => b.clone()).ToArray();
            ClassifierScore alone = Evaluation.Classifier(model, x, y);
            ClassifierScore shared = DataParallelTrainer.EvaluateShards(comm, model, x, y, gate: null);
            bool kept = model.buffers().Zip(before).All(p => p.First.equal(p.Second).all().item<bool>());
            return (Alone: alone, Shared: shared, Kept: kept);
        });

        Assert.All(results, r => Assert.True(r.Kept));
        Assert.All(results, r => Assert.Equal(results[0].Shared, r.Shared));
        Assert.Equal(64, results[0].Shared.Count);
        Assert.Equal(results[0].Alone.Accuracy, results[0].Shared.Accuracy);
        Assert.Equal(results[0].Alone.Loss, results[0].Shared.Loss, 1e-5);
        Assert.NotEqual(results[0].Alone.Loss, results[1].Alone.Loss);   // the statistics do matter
    }

    [Fact]
    public void Run_DetectorNorm_IsTheNormOfWorkerZerosRawGradientSum()
    {
        // Pitfall 1: with a learning rate too small to move the weights, the logged norm of each tensor must equal
        // ‖Σ_t g[0]_t‖ over worker 0's batches, computed here independently (same init, same shard).
        AccordionConfig config = Tiny() with
        {
            Train = Tiny().Train with { Epochs = 1, Momentum = 0, WeightDecay = 0, Lr = new LrConfig { Base = 1e-30, WarmupFactor = 1, WarmupEpochs = 0 } },
        };
        var run = Run(config, "norm");

        using var data = AccordionData.Load(config.Data, config.Seed);
        torch.random.manual_seed(Tessera.Training.StepSeeds.For(config.Seed, -1, "init"));
        using var model = AccordionModels.Create(config.Model, data.InputShape, data.NumClasses);
        long[] shard = data.Shard(config.Seed, 0, 0, 2);
        var sums = model.parameters().Select(p => torch.zeros_like(p)).ToArray();
        for (int t = 0; t * 16 < shard.Length; t++)
        {
            model.zero_grad();
            using var g = new Generator(1);
            (Tensor x, Tensor y) = data.Batch(shard.AsSpan(t * 16, 16), g);
            nn.functional.cross_entropy(model.call(x), y).backward();
            for (int i = 0; i < sums.Length; i++)
            {
                sums[i].add_(model.parameters().ElementAt(i).grad!);
            }
        }
        string[] names = model.named_parameters().Select(p => p.name).ToArray();
        for (int i = 0; i < names.Length; i++)
        {
            double logged = run.Metrics.Single(m => m.Metric == "norm" && m.Get("tensor") == names[i]).Value;
            Assert.Equal(sums[i].norm().item<float>(), logged, 4);
        }
    }

    [Fact]
    public void Reduce_PowerSgdRankAboveMatrixSize_Float64MatchesPlainDataParallelSgd()
    {
        // Pitfall 9: with r ≥ min(n, m) PowerSGD is exact, so 5 steps of compressed training of a float64 MLP must equal
        // plain data-parallel SGD on the averaged gradient (momentum and weight decay after aggregation) to 1e-8.
        const int workers = 2, steps = 5;
        var config = new CompressionConfig { Kind = "powersgd", Mode = "static-low", Low = 8, High = 1, Epsilon = 0 };
        double[][] compressed = InProcessCommunicator.Run(workers, comm =>
        {
            using var scope = torch.NewDisposeScope();
            using Mlp model = TinyDoubleMlp();
            Tensor[] ps = model.parameters().ToArray();
            using var reducer = new GradientReducer(model.named_parameters().Select(p => (p.name, (Tensor)p.parameter)).ToArray(), config, comm, 5);
            using var sgd = new DataParallelSgd(ps);
            for (int t = 0; t < steps; t++)
            {
                model.zero_grad();
                (Tensor x, Tensor y) = Batch(comm.Rank, t);
                nn.functional.cross_entropy(model.call(x), y).backward();
                reducer.Reduce(t);
                sgd.Step(0.1, 0.9, 1e-2, nesterov: false);
            }
            return ps.SelectMany(p => p.data<double>().ToArray()).ToArray();
        });

        using var refScope = torch.NewDisposeScope();
        using Mlp reference = TinyDoubleMlp();
        Tensor[] rp = reference.parameters().ToArray();
        using var refSgd = new DataParallelSgd(rp);
        for (int t = 0; t < steps; t++)
        {
            var mean = rp.Select(p => torch.zeros_like(p)).ToArray();
            for (int w = 0; w < workers; w++)
            {
                reference.zero_grad();
                (Tensor x, Tensor y) = Batch(w, t);
                nn.functional.cross_entropy(reference.call(x), y).backward();
                for (int i = 0; i < rp.Length; i++)
                {
                    mean[i].add_(rp[i].grad!, alpha: 1.0 / workers);
                }
            }
            for (int i = 0; i < rp.Length; i++)
            {
                rp[i].grad!.copy_(mean[i]);
            }
            refSgd.Step(0.1, 0.9, 1e-2, nesterov: false);
        }
        double[] expected = rp.SelectMany(p => p.data<double>().ToArray()).ToArray();
        foreach (double[] got in compressed)
        {
            Assert.Equal(expected.Length, got.Length);
            Assert.True(expected.Zip(got).All(z => Math.Abs(z.First - z.Second) < 1e-8),
                $"max diff {expected.Zip(got).Max(z => Math.Abs(z.First - z.Second))} at {Array.FindIndex(expected, i => true) + expected.Zip(got).Select((z, i) => (Math.Abs(z.First - z.Second), i)).Max().Item2}");
        }

        static Mlp TinyDoubleMlp()
        {
            lock (InitLock)   // worker threads share torch's global generator
            {
                torch.random.manual_seed(3);
                var m = new Mlp(6, [5], 3);
                m.to(ScalarType.Float64);
                return m;
            }
        }

        static (Tensor X, Tensor Y) Batch(int worker, int step)
        {
            using var g = new Generator((ulong)((worker * 100) + step + 1));
            return (torch.randn([4, 6], dtype: ScalarType.Float64, generator: g), torch.randint(0, 3, [4], generator: g));
        }
    }

    [Theory]
    [InlineData("powersgd")]
    [InlineData("topk")]
    public void Reduce_AfterWarmUp_LeavesNoLiveTensors(string kind)
    {
        var config = new CompressionConfig { Kind = kind, Mode = "static-low", Low = kind == "topk" ? 0.3 : 2, High = 1 };
        long[] live = InProcessCommunicator.Run(1, comm =>
        {
            using var model = new Mlp(8, [6], 3);
            Tensor[] ps = model.parameters().ToArray();
            using var reducer = new GradientReducer(model.named_parameters().Select(p => (p.name, (Tensor)p.parameter)).ToArray(), config, comm, 0);
            using var sgd = new DataParallelSgd(ps);
            using var x = torch.randn(5, 8);
            using var y = torch.tensor(new long[] { 0, 1, 2, 0, 1 });
            void Step(int t)
            {
                using var scope = torch.NewDisposeScope();
                model.zero_grad();
                nn.functional.cross_entropy(model.call(x), y).backward();
                reducer.Reduce(t);
                sgd.Step(0.1, 0.9, 1e-4, false);
            }
            Step(0);
            Step(1);
            DisposeScopeManager.Statistics.Reset();
            for (int t = 2; t < 7; t++)
            {
                Step(t);
            }
            return DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        });

        Assert.Equal(0, live[0]);
    }

    [Fact]
    public void Shard_EveryEpoch_PartitionsTheDataAmongWorkers()
    {
        var config = Tiny();
        using var data = AccordionData.Load(config.Data with { SyntheticTrain = 10 }, 1);

        long[][] shards = Enumerable.Range(0, 4).Select(r => data.Shard(1, 3, r, 4)).ToArray();

        Assert.All(shards, s => Assert.Equal(3, s.Length));                       // ceil(10 / 4), padded like DistributedSampler
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), shards.SelectMany(s => s).Distinct().Order());
        Assert.NotEqual(shards[0], data.Shard(1, 4, 0, 4));                       // reshuffled per epoch
    }

    [Fact]
    public void FirstPerClass_KeepsTheFirstImagesOfEachClassInOrder()
    {
        Assert.Equal([0L, 1L, 2L, 4L], AccordionData.FirstPerClass([0, 1, 0, 0, 1, 1], 2, 2));
    }

    [Fact]
    public void FromText_CutsShiftedWindowsOverASortedVocabulary()
    {
        // Train = the first 11 characters, validation = the next 4; bptt 3: ⌊10/3⌋ = 3 training windows, ⌊3/3⌋ = 1
        // validation window; the rest of the text is not used.
        var c = new AccordionDataConfig { Dataset = "text-file", TextTrainChars = 11, TextValChars = 4, Bptt = 3 };
        using var data = AccordionData.FromText(c, "cabcabcabca" + "bbca" + "ignored");

        Assert.Equal("abc", data.Vocabulary);                                    // token id = rank of the character
        Assert.Equal(3, data.NumClasses);
        Assert.Equal([3L, 3L], data.TrainX.shape);
        Assert.Equal([2L, 0L, 1L, 2L, 0L, 1L, 2L, 0L, 1L], data.TrainX.data<long>().ToArray());   // "cab cab cab"
        Assert.Equal([0L, 1L, 2L, 0L, 1L, 2L, 0L, 1L, 2L], data.TrainY.data<long>().ToArray());   // shifted by one: "abc abc abc"
        Assert.Equal([1L, 3L], data.TestX.shape);
        Assert.Equal([1L, 1L, 2L], data.TestX.data<long>().ToArray());           // "bbc"
        Assert.Equal([1L, 2L, 0L], data.TestY.data<long>().ToArray());           // "bca"
        using var generator = new torch.Generator(1);
        (Tensor x, Tensor y) = data.Batch([2, 0], generator);
        Assert.Equal([2L, 3L], x.shape);
        Assert.Equal([0L, 1L, 2L, 0L, 1L, 2L], y.data<long>().ToArray());        // targets flattened like the model's logits

        var tooShort = Assert.Throws<InputException>(() => AccordionData.FromText(c, "abcabc"));
        Assert.Contains("textTrainChars", tooShort.Message);
    }

    [Fact]
    public void ClipLocal_ScalesTheWholeGradientToTheLimitOnlyWhenAbove()
    {
        using var scope = torch.NewDisposeScope();
        Tensor a = new Parameter(torch.zeros(2)), b = new Parameter(torch.zeros(1));
        (a * torch.tensor(new float[] { 3, 0 })).sum().add((b * 4).sum()).backward();   // gradients (3, 0) and (4): norm 5

        DataParallelTrainer.ClipLocal([a, b], 2.5);
        Assert.Equal([1.5f, 0f], a.grad!.data<float>().ToArray(), (x, y) => Math.Abs(x - y) < 1e-5);   // × 2.5 / 5
        Assert.Equal(2f, b.grad!.item<float>(), 1e-5f);

        DataParallelTrainer.ClipLocal([a, b], 10);                                 // norm 2.5 ≤ 10: unchanged
        Assert.Equal(2f, b.grad!.item<float>(), 1e-5f);
    }

    [Fact]
    public void Step_NesterovStyle_StepsWithGradientPlusBuffer()
    {
        // Constant gradient 1, lr 1, μ 0.9, θ0 = 0: buf 1 → θ = −(1 + 1) = −2; buf 1.9 → θ = −2 − (1 + 1.9) = −4.9.
        // (PyTorch's Nesterov would give −1.9 and −4.61; heavy ball −1 and −2.9.)
        using var scope = torch.NewDisposeScope();
        Tensor p = torch.zeros(1, ScalarType.Float64, requires_grad: true);
        using var sgd = new DataParallelSgd([p]);
        p.grad = torch.ones(1, ScalarType.Float64);
        sgd.Step(1, 0.9, 0, nesterov: true);
        Assert.Equal(-2, p.item<double>(), 12);
        sgd.Step(1, 0.9, 0, nesterov: true);
        Assert.Equal(-4.9, p.item<double>(), 12);
    }

    [Fact]
    public void Run_CharLstmOnATextFile_LearnsAndReportsBitsPerCharacter()
    {
        // R4's path end to end on a small periodic text: 2 workers, TopK ACCORDION, local clipping, Nesterov-style momentum.
        string file = Path.Combine(_root, "corpus.txt");
        File.WriteAllText(file, string.Concat(Enumerable.Repeat("in the beginning was the word, and the word was good. ", 60)));
        var config = new AccordionConfig
        {
            Workers = 2,
            Data = new AccordionDataConfig { Dataset = "text-file", TextPath = file, TextTrainChars = 2400, TextValChars = 400, Bptt = 16 },
            Model = new AccordionModelConfig { Name = "char-lstm", Embed = 8, Hidden = [32] },
            Train = new AccordionTrainConfig
            {
                Epochs = 4,
                BatchPerWorker = 8,
                Nesterov = true,
                WeightDecay = 0,
                ClipNorm = 0.25,
                EvalEvery = 1,
                LogEvery = 1,
                Lr = new LrConfig { Base = 1.0, WarmupEpochs = 0, WarmupFactor = 1, Milestones = [3] },
            },
            Compression = new CompressionConfig { Kind = "topk", Mode = "accordion", Low = 0.99, High = 0.02, Interval = 2 },
        };
        config.Validate();

        (JsonObject s, IReadOnlyList<MetricRecord> metrics) = Run(config, "text");

        double[] bpc = metrics.Where(m => m.Split == "test" && m.Metric == "bpc").Select(m => m.Value).ToArray();
        double[] loss = metrics.Where(m => m.Split == "test" && m.Metric == "loss").Select(m => m.Value).ToArray();
        Assert.Equal(4, bpc.Length);
        Assert.All(bpc.Zip(loss), p => Assert.Equal(p.Second / Math.Log(2), p.First, 9));   // bits = nats / ln 2
        Assert.True(bpc[0] < Math.Log2(16) && bpc[^1] < 0.6 * bpc[0], string.Join(", ", bpc));   // 16 distinct characters
        Assert.Equal(bpc[^1], s["test_bpc"]!.GetValue<double>());
        Assert.Equal(4 * 10, s["rounds"]!.GetValue<long>());                      // ⌊2399/16⌋ = 149 windows: 75 per worker, 10 steps of 8
    }
}
