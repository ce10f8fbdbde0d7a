using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Tessera.Comm;
using Tessera.Experiments;
using Tessera.Training;

namespace Tessera.Methods.Accordion;

/// <summary>
/// One worker of a data-parallel run (spec §2.2). Every worker builds the same model from the seed (then takes rank 0's
/// parameters), trains on its own shard with its own augmentation stream (seed, step, rank), hands its gradients to the
/// <see cref="GradientReducer"/> and applies the same SGD update, so the replicas stay identical (checked with a
/// parameter checksum). Worker 0 accumulates its raw local gradients for the ACCORDION detector, decides the levels and
/// broadcasts them; only worker 0 writes the run directory (metrics, checkpoints). A checkpoint holds every worker's
/// state (model buffers, momentum, error feedback, Q, draw counters), gathered to worker 0, so a resumed run continues
/// exactly. In-process workers compute one at a time through <c>gate</c>; the global torch generator is re-seeded per
/// (step, rank) inside it, so runs are deterministic.
/// </summary>
public sealed class DataParallelTrainer
{
    private readonly AccordionConfig _config;
    private readonly ICommunicator _comm;
    private readonly AccordionData _data;
    private readonly RunContext? _ctx;
    private readonly SemaphoreSlim? _gate;

    /// <param name="ctx">The run context on rank 0; null on every other rank.</param>
    /// <param name="gate">Serialises the compute of in-process workers; null under MPI.</param>
    public DataParallelTrainer(AccordionConfig config, ICommunicator comm, AccordionData data, RunContext? ctx, SemaphoreSlim? gate)
    {
        (_config, _comm, _data, _ctx, _gate) = (config, comm, data, ctx, gate);
        if (comm.Rank == 0 && ctx is null)
        {
            throw new ArgumentException("Rank 0 needs the run context.", nameof(ctx));
        }
    }

    private bool Root => _comm.Rank == 0;

    /// <summary>Trains; returns the run summary on rank 0 and null elsewhere.</summary>
    public JsonObject? Run()
    {
        AccordionConfig c = _config;
        int w = _comm.Size, rank = _comm.Rank;
        torch.set_num_threads(c.Threads);   // per thread: libtorch's intra-op setting is thread-local
        nn.Module<Tensor, Tensor> model;
        using (Compute())
        {
            torch.random.manual_seed(StepSeeds.For(c.Seed, -1, "init"));
            model = AccordionModels.Create(c.Model, _data.InputShape, _data.NumClasses);
        }
        using var modelOwner = model;
        model.train();
        (string Name, Tensor Param)[] named = model.named_parameters().Select(p => (p.name, (Tensor)p.parameter)).ToArray();
        Tensor[] parameters = named.Select(p => p.Param).ToArray();
        BroadcastFromWorker0(_comm, parameters);

        using var sgd = new DataParallelSgd(parameters);
        using var reducer = new GradientReducer(named, c.Compression, _comm, c.Seed, c.Train.BucketSize);
        bool[] compressible = reducer.Tensors.Select(t => t.Compressible).ToArray();
        bool batchVariant = c.Batch.Mode != "off";
        var controller = new AccordionController(compressible, c.Compression.Mode == "static-high" ? Level.High : Level.Low,
            c.Compression.Interval, c.Compression.Eta, c.Compression.LrDecayOverride, c.Compression.Mode == "accordion");
        var batchController = new AccordionController([true], c.Batch.Mode == "static-large" ? Level.High : Level.Low,
            c.Compression.Interval, c.Compression.Eta, c.Batch.LrDecayOverride, c.Batch.Mode == "accordion");
        var progress = new RunProgress();
        bool resumed = Resume(model, sgd, reducer, controller, batchController, progress);

        using var noGradAccumulators = new AccumulatorSet(Root ? parameters : []);
        long totalParams = reducer.Tensors.Sum(t => t.Numel);
        for (int epoch = progress.NextEpoch; epoch < c.Train.Epochs; epoch++)
        {
            var epochClock = Stopwatch.StartNew();
            double lrSched = EpochLr.At(c.Train.Lr, epoch), lrSchedNext = EpochLr.At(c.Train.Lr, epoch + 1);
            int globalBatch = !batchVariant ? c.Train.BatchPerWorker * w : batchController.Levels[0] == Level.Low ? c.Batch.Small : c.Batch.Large;
            int perWorker = globalBatch / w;
            double lr = batchVariant ? lrSched * globalBatch / c.Batch.Small : lrSched;
            long[] shard = _data.Shard(c.Seed, epoch, rank, w);
            int steps = (int)((shard.Length + perWorker - 1) / perWorker);
            Level[] levelsUsed = controller.Levels.ToArray();
            noGradAccumulators.Zero();
            double lossSum = 0, lossCount = 0, compute = 0, compress = 0, communicate = 0;
            long floats = 0;

            for (int t = 0; t < steps; t++)
            {
                _ctx?.Cancel.ThrowIfCancellationRequested();
                if (!resumed && rank == c.Debug.FailRank && progress.GlobalStep == c.Debug.FailAtStep)
                {
                    throw new InvalidOperationException($"injected failure at step {progress.GlobalStep} (debug.failRank={rank}, debug.failAtStep={c.Debug.FailAtStep})");
                }
                TorchGc.SafePoint();   // MPI ranks; in-process ranks collect in their barrier instead
                using var stepScope = torch.NewDisposeScope();
                double localLoss;
                using (Compute())
                {
                    var clock = Stopwatch.StartNew();
                    torch.random.manual_seed(StepSeeds.For(c.Seed, progress.GlobalStep, $"global-{rank}"));
                    foreach (Tensor p in parameters)
                    {
                        p.grad?.zero_();
                    }
                    ReadOnlySpan<long> batch = shard.AsSpan(t * perWorker, Math.Min(perWorker, shard.Length - (t * perWorker)));
                    using Generator augment = StepSeeds.Generator(c.Seed, progress.GlobalStep, $"augment-{rank}");
                    (Tensor x, Tensor y) = _data.Batch(batch, augment);
                    Tensor loss = nn.functional.cross_entropy(model.call(x), y);
                    loss.backward();
                    if (c.Train.ClipNorm > 0)
                    {
                        ClipLocal(parameters, c.Train.ClipNorm);
                    }
                    localLoss = loss.item<float>();
                    lossSum += localLoss * batch.Length;
                    lossCount += batch.Length;
                    // Worker 0's raw local gradient (before error feedback, aggregation and weight decay), re-weighted
                    // by B/B_small in the batch-size variant so that the norm does not jump when the batch changes.
                    noGradAccumulators.Add(parameters, batchVariant ? (double)globalBatch / c.Batch.Small : 1.0);
                    compute += clock.Elapsed.TotalSeconds;
                }
                if (!double.IsFinite(localLoss))
                {
                    throw new RunFailedException($"The training loss of worker {rank} became {localLoss} at step {progress.GlobalStep} (lr {lr:G3}). Lower train.lr.base.");
                }
                ReduceResult reduced = reducer.Reduce(progress.GlobalStep);
                compress += reduced.CompressSeconds;
                communicate += reduced.CommSeconds;
                floats += reduced.Floats;
                var update = Stopwatch.StartNew();
                sgd.Step(lr, c.Train.Momentum, c.Train.WeightDecay, c.Train.Nesterov);
                compute += update.Elapsed.TotalSeconds;
                progress.GlobalStep++;
                if (Root && progress.GlobalStep % Math.Max(1, c.Train.LogEvery) == 0)
                {
                    _ctx!.Log(progress.GlobalStep, "train_rank0", "loss", localLoss);
                }
                _ctx?.Progress("train", epoch + ((t + 1.0) / steps), c.Train.Epochs);
            }
            double trainSeconds = epochClock.Elapsed.TotalSeconds;

            // End of epoch: global train loss, the detector on worker 0 (broadcast), checksum, evaluation, checkpoint.
            Span<double> lossReduce = [lossSum, lossCount];
            _comm.AllReduceSum(lossReduce);
            double trainLoss = lossReduce[0] / lossReduce[1];
            double[]? norms = Root ? noGradAccumulators.Norms() : null;
            DecideLevels(epoch, norms, lrSched, lrSchedNext, controller, batchController, reducer);
            if (c.Train.ChecksumEvery > 0 && (epoch + 1) % c.Train.ChecksumEvery == 0)
            {
                CheckReplicas(parameters, epoch);
            }
            progress.Floats += floats;
            progress.Rounds += steps;
            progress.TrainSeconds += trainSeconds;
            progress.Compute += compute;
            progress.Compress += compress;
            progress.Comm += communicate;
            bool last = epoch == c.Train.Epochs - 1;
            ClassifierScore? score = null;
            if (last || (c.Train.EvalEvery > 0 && (epoch + 1) % c.Train.EvalEvery == 0))
            {
                score = EvaluateShards(_comm, model, _data.TestX, _data.TestY, _gate);
            }
            if (Root)
            {
                LogEpoch(epoch, steps, globalBatch, lr, trainLoss, floats, trainSeconds, compute, compress, communicate, levelsUsed,
                    norms!, controller, batchController, reducer, score, progress);
            }
            progress.NextEpoch = epoch + 1;
            if (last || (c.Train.CheckpointEvery > 0 && (epoch + 1) % c.Train.CheckpointEvery == 0))
            {
                SaveCheckpoint(model, sgd, reducer, controller, batchController, progress);
            }
        }
        return Root ? Summary(reducer, totalParams, progress) : null;
    }

    /// <summary>
    /// The test score of worker 0's model, computed by all workers: each evaluates its contiguous 1/W of the data with
    /// worker 0's BatchNorm statistics (its own are put back afterwards, so training does not change) and the counts
    /// are summed. Under MPI this is W times less work per rank than worker 0 evaluating alone while the others wait.
    /// The accuracy is worker 0's; the mean loss can differ from a one-worker evaluation in the last digits (other
    /// batch boundaries). Every worker gets the same score.
    /// </summary>
    /// <param name="gate">Serialises the compute of in-process workers; null under MPI.</param>
    internal static ClassifierScore EvaluateShards(ICommunicator comm, nn.Module<Tensor, Tensor> model, Tensor images, Tensor labels,
        SemaphoreSlim? gate)
    {
        Tensor[] statistics = model.buffers().Where(b => b.dtype == ScalarType.Float32).ToArray();
        Tensor[] own = statistics.Select(b => b.detach().clone()).ToArray();
        BroadcastFromWorker0(comm, statistics);
        long n = images.shape[0], start = n * comm.Rank / comm.Size, end = n * (comm.Rank + 1) / comm.Size;
        ClassifierScore shard;
        using (Hold(gate))
        {
            shard = Evaluation.Classifier(model, images.narrow(0, start, end - start), labels.narrow(0, start, end - start));
        }
        using (torch.no_grad())
        {
            foreach ((Tensor buffer, Tensor saved) in statistics.Zip(own))
            {
                buffer.copy_(saved);
                saved.Dispose();
            }
        }
        Span<double> sums = [Math.Round(shard.Accuracy * shard.Count), shard.Loss * shard.Count, shard.Count];
        comm.AllReduceSum(sums);
        return new ClassifierScore(sums[0] / sums[2], sums[1] / sums[2], (long)sums[2]);
    }

    /// <summary>Scales this worker's gradient to total norm <paramref name="maxNorm"/> when it is larger (libtorch's
    /// clip_grad_norm_): local clipping before compression and accumulation (spec pitfall 12). The tensors are the
    /// model's <see cref="Parameter"/>s.</summary>
    internal static void ClipLocal(Tensor[] parameters, double maxNorm) => nn.utils.clip_grad_norm_(parameters.Cast<Parameter>(), maxNorm);

    /// <summary>Holds the compute gate (in-process workers take turns) for the duration of a using block.</summary>
    private GateLease Compute() => Hold(_gate);

    private static GateLease Hold(SemaphoreSlim? gate)
    {
        gate?.Wait();
        return new GateLease(gate);
    }

    private readonly struct GateLease(SemaphoreSlim? gate) : IDisposable
    {
        public void Dispose() => gate?.Release();
    }

    /// <summary>Overwrites the given float32 tensors (parameters or buffers) with worker 0's values.</summary>
    private static void BroadcastFromWorker0(ICommunicator comm, Tensor[] tensors)
    {
        using var noGrad = torch.no_grad();
        foreach (Tensor p in tensors)
        {
            if (p.dtype != ScalarType.Float32)
            {
                throw new NotSupportedException("Data-parallel training broadcasts float32 tensors only.");
            }
            using Tensor flat = p.detach().contiguous().reshape(-1).clone();
            comm.Broadcast(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(flat.bytes), 0);
            p.copy_(flat.view_as(p));
        }
    }

    /// <summary>Worker 0 runs the controller(s); the levels travel as an int vector, so every worker switches alike.</summary>
    private void DecideLevels(int epoch, double[]? norms, double lrNow, double lrNext, AccordionController controller,
        AccordionController batchController, GradientReducer reducer)
    {
        int n = controller.Levels.Length;
        var message = new int[n + 1];
        if (Root)
        {
            Level[] next = controller.EndEpoch(epoch, norms!, lrNow, lrNext);
            double global = Math.Sqrt(norms!.Sum(v => v * v));
            Level[] batch = batchController.EndEpoch(epoch, [global], lrNow, lrNext);
            for (int j = 0; j < n; j++)
            {
                message[j] = (int)next[j];
            }
            message[n] = (int)batch[0];
        }
        _comm.Broadcast(message.AsSpan(), 0);
        Level[] levels = message.Take(n).Select(v => (Level)v).ToArray();
        if (!Root)
        {
            controller.SetLevels(levels);
            batchController.SetLevels([(Level)message[n]]);
        }
        for (int j = 0; j < n; j++)
        {
            if (reducer.Tensors[j].Compressible)
            {
                reducer.SetLevel(j, levels[j]);
            }
        }
    }

    /// <summary>Every worker must hold bit-identical parameters: compares a float64 checksum across workers.</summary>
    private void CheckReplicas(Tensor[] parameters, int epoch)
    {
        double sum = 0;
        using (torch.no_grad())
        {
            for (int i = 0; i < parameters.Length; i++)
            {
                using Scalar factor = (1.0 + (i % 7)).ToScalar();
                using Tensor s = parameters[i].to(ScalarType.Float64).mul(factor).sum();
                sum += s.item<double>();
            }
        }
        byte[][] all = _comm.AllGatherBytes(BitConverter.GetBytes(sum));
        for (int r = 1; r < all.Length; r++)
        {
            if (!all[r].AsSpan().SequenceEqual(all[0]))
            {
                throw new RunFailedException(string.Create(CultureInfo.InvariantCulture,
                    $"The model replicas diverged after epoch {epoch}: parameter checksum {BitConverter.ToDouble(all[0]):R} on worker 0, {BitConverter.ToDouble(all[r]):R} on worker {r}."));
            }
        }
    }

    private void LogEpoch(int epoch, int steps, int globalBatch, double lr, double trainLoss, long floats, double trainSeconds, double compute,
        double compress, double communicate, Level[] levelsUsed, double[] norms, AccordionController controller,
        AccordionController batchController, GradientReducer reducer, ClassifierScore? score, RunProgress progress)
    {
        RunContext ctx = _ctx!;
        long step = progress.GlobalStep;
        string e = epoch.ToString(CultureInfo.InvariantCulture);
        ctx.Log(step, "train", "loss", trainLoss, ("epoch", e));
        ctx.Log(step, "train", "lr", lr, ("epoch", e));
        ctx.Log(step, "comm", "floats", floats, ("epoch", e));
        ctx.Log(step, "comm", "floats_cum", progress.Floats, ("epoch", e));
        ctx.Log(step, "comm", "rounds", steps, ("epoch", e));
        ctx.Log(step, "comm", "batch", globalBatch, ("epoch", e));
        ctx.Log(step, "time", "train_s", trainSeconds, ("epoch", e));
        ctx.Log(step, "time", "train_cum_s", progress.TrainSeconds, ("epoch", e));
        ctx.Log(step, "time", "compute_s", compute, ("epoch", e));
        ctx.Log(step, "time", "compress_s", compress, ("epoch", e));
        ctx.Log(step, "time", "comm_s", communicate, ("epoch", e));
        int compressible = 0, low = 0;
        var map = new StringBuilder();
        foreach (GradientTensor t in reducer.Tensors)
        {
            ctx.Log(step, "detector", "norm", norms[t.Index], ("epoch", e), ("tensor", t.Name));
            if (controller.LastRatios is { } ratios)
            {
                ctx.Log(step, "detector", "ratio", ratios[t.Index], ("epoch", e), ("tensor", t.Name));
            }
            if (t.Compressible)
            {
                compressible++;
                low += levelsUsed[t.Index] == Level.Low ? 1 : 0;
                map.Append(levelsUsed[t.Index] == Level.Low ? 'L' : 'H');
                ctx.Log(step, "level", "param", reducer.Parameter(levelsUsed[t.Index]), ("epoch", e), ("tensor", t.Name));
            }
        }
        progress.LowPairs += low;
        progress.Pairs += compressible;
        var record = new JsonObject
        {
            ["epoch"] = epoch,
            ["step"] = step,
            ["lr"] = lr,
            ["batch"] = globalBatch,
            ["rounds"] = steps,
            ["train_loss"] = trainLoss,
            ["floats"] = floats,
            ["floats_cum"] = progress.Floats,
            ["train_cum_s"] = Math.Round(progress.TrainSeconds, 3),
            ["levels"] = map.ToString(),
            ["reason"] = controller.LastReason.Length > 0 ? controller.LastReason : batchController.LastReason,
        };
        if (controller.LastRatios is { } r && controller.LastReason.StartsWith("check", StringComparison.Ordinal))
        {
            record["ratios"] = new JsonArray(reducer.Tensors.Where(t => t.Compressible).Select(t => (JsonNode)Math.Round(r[t.Index], 4)).ToArray());
        }
        string accText = "";
        if (score is { } s)
        {
            ctx.Log(step, "test", "acc", s.Accuracy, ("epoch", e));
            ctx.Log(step, "test", "loss", s.Loss, ("epoch", e));
            record["test_acc"] = s.Accuracy;
            record["test_loss"] = s.Loss;
            accText = string.Create(CultureInfo.InvariantCulture, $", test acc {s.Accuracy:P2}");
            if (_data.Vocabulary is not null)
            {
                double bitsPerChar = s.Loss / Math.Log(2);
                ctx.Log(step, "test", "bpc", bitsPerChar, ("epoch", e));
                record["test_bpc"] = bitsPerChar;
                accText += string.Create(CultureInfo.InvariantCulture, $", validation {bitsPerChar:F4} bits/char");
            }
            progress.BestAcc = Math.Max(progress.BestAcc, s.Accuracy);
            progress.LastAcc = s.Accuracy;
        }
        progress.Records.Add(record);
        ctx.Info(string.Create(CultureInfo.InvariantCulture,
            $"epoch {epoch + 1}/{_config.Train.Epochs}: loss {trainLoss:F4}, lr {lr:G3}, batch {globalBatch}, levels {map}, {floats / 1e6:F2} M floats{accText} ({trainSeconds:F1} s: compute {compute:F1}, compress {compress:F1}, comm {communicate:F1})"));
    }

    private void SaveCheckpoint(nn.Module model, DataParallelSgd sgd, GradientReducer reducer, AccordionController controller,
        AccordionController batchController, RunProgress progress)
    {
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
        {
            foreach ((string name, Tensor t) in model.state_dict())
            {
                writer.Write(name);
                TensorIo.Write(writer, t);
            }
            sgd.Save(writer);
            reducer.Save(writer);
        }
        byte[][] blobs = _comm.AllGatherBytes(buffer.ToArray());
        if (!Root)
        {
            return;
        }
        var state = new JsonObject
        {
            ["progress"] = progress.Save(),
            ["controller"] = controller.Save(),
            ["batchController"] = batchController.Save(),
            ["workers"] = _comm.Size,
        };
        Checkpoint.Save(_ctx!.Dir.CheckpointsDir, progress.GlobalStep, _ctx.WallSeconds, model, null, state, keep: 2, extraFiles: dir =>
        {
            for (int r = 0; r < blobs.Length; r++)
            {
                File.WriteAllBytes(Path.Combine(dir, $"worker-{r}.bin"), blobs[r]);
            }
        });
    }

    /// <summary>Worker 0 reads the latest checkpoint (when the run context resumes) and sends each worker its state.</summary>
    private bool Resume(nn.Module model, DataParallelSgd sgd, GradientReducer reducer, AccordionController controller,
        AccordionController batchController, RunProgress progress)
    {
        Checkpoint.Info? checkpoint = Root && _ctx!.ResumeStep > 0 ? Checkpoint.Latest(_ctx.Dir.CheckpointsDir) : null;
        if (Root && _ctx!.ResumeStep > 0 && checkpoint is null)
        {
            throw new InputException($"'{_ctx.Dir.CheckpointsDir}' holds no checkpoint to resume from.");
        }
        string stateJson = _comm.BroadcastString(Root ? checkpoint?.State.ToJsonString() ?? "" : null, 0);
        if (stateJson.Length == 0)
        {
            return false;
        }
        var state = (JsonObject)JsonNode.Parse(stateJson)!;
        int workers = state["workers"]!.GetValue<int>();
        if (workers != _comm.Size)
        {
            throw new InputException($"The checkpoint was written by {workers} workers; resume it with {workers} (got {_comm.Size}).");
        }
        byte[]? mine = null;
        for (int r = 0; r < _comm.Size; r++)
        {
            byte[]? blob = Root ? File.ReadAllBytes(Path.Combine(checkpoint!.Dir, $"worker-{r}.bin")) : null;
            byte[] received = _comm.BroadcastBytes(blob, 0);
            if (r == _comm.Rank)
            {
                mine = received;
            }
        }
        using var reader = new BinaryReader(new MemoryStream(mine!));
        foreach ((string name, Tensor t) in model.state_dict())
        {
            string stored = reader.ReadString();
            if (stored != name)
            {
                throw new InputException($"The checkpoint in '{checkpoint?.Dir}' does not match the model ('{stored}' where '{name}' was expected).");
            }
            TensorIo.ReadInto(reader, t, name);
        }
        sgd.Load(reader);
        reducer.Load(reader);
        progress.Load(state["progress"]!.AsObject());
        controller.Load(state["controller"]!.AsObject());
        batchController.Load(state["batchController"]!.AsObject());
        _ctx?.Info($"resumed after epoch {progress.NextEpoch} (step {progress.GlobalStep}) from {checkpoint!.Dir}");
        return true;
    }

    private JsonObject Summary(GradientReducer reducer, long totalParams, RunProgress progress)
    {
        AccordionConfig c = _config;
        var levels = new JsonObject();
        int k = 0;
        foreach (GradientTensor t in reducer.Tensors.Where(t => t.Compressible))
        {
            int index = k++;
            levels[t.Name] = string.Concat(progress.Records.Select(r => r!["levels"]!.GetValue<string>()[index]));
        }
        var summary = new JsonObject
        {
            ["mode"] = c.Batch.Mode != "off" ? $"batch-{c.Batch.Mode}" : c.Compression.Mode,
            ["compressor"] = c.Compression.Mode == "none" ? "none" : c.Compression.Kind,
            ["low"] = c.Compression.Low,
            ["high"] = c.Compression.High,
            ["workers"] = _comm.Size,
            ["model"] = c.Model.Name,
            ["dataset"] = c.Data.Dataset,
            ["parameters"] = totalParams,
            ["tensors"] = reducer.Tensors.Count,
            ["compressible_tensors"] = reducer.Tensors.Count(t => t.Compressible),
            ["floats_per_step_low"] = reducer.Tensors.Sum(t => reducer.Cost(t.Index, Level.Low)),
            ["floats_per_step_high"] = reducer.Tensors.Sum(t => reducer.Cost(t.Index, Level.High)),
            ["epochs"] = c.Train.Epochs,
            ["steps"] = progress.GlobalStep,
            ["rounds"] = progress.Rounds,
            ["floats_total"] = progress.Floats,
            ["floats_total_m"] = Math.Round(progress.Floats / 1e6, 4),
            ["low_fraction"] = progress.Pairs == 0 ? 0 : Math.Round((double)progress.LowPairs / progress.Pairs, 4),
            ["test_acc"] = progress.LastAcc,
            ["best_test_acc"] = progress.BestAcc,
            ["final_train_loss"] = progress.Records.Count > 0 ? progress.Records[^1]!["train_loss"]!.DeepClone() : null,
            ["first_epoch_train_loss"] = progress.Records.Count > 0 ? progress.Records[0]!["train_loss"]!.DeepClone() : null,
            ["train_s"] = Math.Round(progress.TrainSeconds, 2),
            ["compute_s"] = Math.Round(progress.Compute, 2),
            ["compress_s"] = Math.Round(progress.Compress, 2),
            ["comm_s"] = Math.Round(progress.Comm, 2),
            ["levels"] = levels,
            ["epochs_log"] = progress.Records.DeepClone(),
        };
        if (progress.Records.LastOrDefault(r => r!["test_bpc"] is not null) is { } lastText)
        {
            summary["test_bpc"] = lastText["test_bpc"]!.DeepClone();   // text: the last validation bits/char
        }
        return summary;
    }

    /// <summary>Counters that run across epochs and go into checkpoints.</summary>
    private sealed class RunProgress
    {
        public int NextEpoch { get; set; }

        public long GlobalStep { get; set; }

        public long Floats { get; set; }

        public long Rounds { get; set; }

        public long LowPairs { get; set; }

        public long Pairs { get; set; }

        public double TrainSeconds { get; set; }

        public double Compute { get; set; }

        public double Compress { get; set; }

        public double Comm { get; set; }

        public double BestAcc { get; set; }

        public double LastAcc { get; set; }

        public JsonArray Records { get; private set; } = [];

        public JsonObject Save() => new()
        {
            ["nextEpoch"] = NextEpoch,
            ["globalStep"] = GlobalStep,
            ["floats"] = Floats,
            ["rounds"] = Rounds,
            ["lowPairs"] = LowPairs,
            ["pairs"] = Pairs,
            ["trainSeconds"] = TrainSeconds,
            ["compute"] = Compute,
            ["compress"] = Compress,
            ["comm"] = Comm,
            ["bestAcc"] = BestAcc,
            ["lastAcc"] = LastAcc,
            ["records"] = Records.DeepClone(),
        };

        public void Load(JsonObject o)
        {
            NextEpoch = o["nextEpoch"]!.GetValue<int>();
            GlobalStep = o["globalStep"]!.GetValue<long>();
            Floats = o["floats"]!.GetValue<long>();
            Rounds = o["rounds"]!.GetValue<long>();
            LowPairs = o["lowPairs"]!.GetValue<long>();
            Pairs = o["pairs"]!.GetValue<long>();
            TrainSeconds = o["trainSeconds"]!.GetValue<double>();
            Compute = o["compute"]!.GetValue<double>();
            Compress = o["compress"]!.GetValue<double>();
            Comm = o["comm"]!.GetValue<double>();
            BestAcc = o["bestAcc"]!.GetValue<double>();
            LastAcc = o["lastAcc"]!.GetValue<double>();
            Records = o["records"]!.AsArray().DeepClone().AsArray();
        }
    }

    /// <summary>Worker 0's epoch sums of raw local gradients, one per parameter (empty on other workers).</summary>
    private sealed class AccumulatorSet : IDisposable
    {
        private readonly Tensor[] _sums;

        public AccumulatorSet(Tensor[] parameters)
        {
            _sums = parameters.Select(p => torch.zeros_like(p).DetachFromDisposeScope()).ToArray();
        }

        public void Zero()
        {
            foreach (Tensor s in _sums)
            {
                s.zero_();
            }
        }

        public void Add(Tensor[] parameters, double weight)
        {
            using var noGrad = torch.no_grad();
            using Scalar alpha = weight.ToScalar();
            for (int i = 0; i < _sums.Length; i++)
            {
                _sums[i].add_(parameters[i].grad!, alpha: alpha);
            }
        }

        /// <summary>‖Σ_t g_t‖₂ (Frobenius) per tensor.</summary>
        public double[] Norms() => _sums.Select(s =>
        {
            using Tensor n = s.to(ScalarType.Float64).norm();
            return n.item<double>();
        }).ToArray();

        public void Dispose()
        {
            foreach (Tensor s in _sums)
            {
                s.Dispose();
            }
        }
    }
}
