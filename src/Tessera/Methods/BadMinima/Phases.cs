using System.Globalization;
using System.Text.Json.Nodes;
using Tessera.Data;
using Tessera.Experiments;
using Tessera.Methods.Classify;
using Tessera.Training;

namespace Tessera.Methods.BadMinima;

/// <summary>
/// The two phases as resumable child runs of a grid run. Each works in its own run directory (metrics.jsonl,
/// checkpoints/, summary.json): a directory with a summary is finished and never redone; one with a checkpoint is
/// continued from it (<see cref="RunContext.Resume"/>), exactly as an uninterrupted run would have gone on.
/// </summary>
internal static class Phases
{
    /// <summary>Phase 1b (spec §6.1): vanilla SGD on the adversarial set from θ_0, an eval-mode accuracy check on that
    /// set every phase1.checkEvery epochs, stop at phase1.stopAccuracy, at most phase1.maxEpochs. Writes θ_adv to
    /// <paramref name="thetaAdvFile"/> and returns the phase's summary.</summary>
    public static JsonObject Phase1(BadMinimaConfig config, BadMinimaData data, SeedData seedData, long seed, string theta0File,
        string thetaAdvFile, RunDirectory dir, RunContext parent)
    {
        if (File.Exists(dir.SummaryFile) && File.Exists(thetaAdvFile))
        {
            return dir.ReadSummary();
        }
        Phase1Config p = config.Phase1;
        AdversarialSet set = seedData.Adversarial!;
        Tensor advX = seedData.AdversarialX!, advY = set.Labels;
        using RunContext ctx = OpenChild(dir, parent, new JsonObject { ["phase"] = "phase1", ["seed"] = seed });
        using nn.Module<Tensor, Tensor> model = LoadModel(config, data, theta0File);
        using OptimizerHelper optimizer = Sgd(model, p.Lr, 0, 0);

        long stepsPerEpoch = (set.Count + p.BatchSize - 1) / p.BatchSize;
        var order = new EpochOrder(StepSeeds.For(seed, 0, "phase1-order"), set.Count);
        Tensor StepLoss(long step)
        {
            Tensor index = torch.tensor(order.Batch(step / stepsPerEpoch, step % stepsPerEpoch, p.BatchSize));
            return nn.functional.cross_entropy(model.call(advX.index_select(0, index)), advY.index_select(0, index));
        }

        var state = new JsonObject();
        void Score(long step)
        {
            ClassifierScore adv = Evaluation.Classifier(model, advX, advY, config.Data.EvalBatchSize);
            ClassifierScore test = Evaluation.Classifier(model, data.TestX, data.TestY, config.Data.EvalBatchSize);
            double norm = Complexity.ParameterNorm(model);
            ctx.Log(step, "adversarial", "acc", adv.Accuracy);
            ctx.Log(step, "adversarial", "loss", adv.Loss);
            ctx.Log(step, "test", "acc", test.Accuracy);
            ctx.Log(step, "test", "loss", test.Loss);
            ctx.Log(step, "params", "norm", norm);
            string prefix = step == 0 ? "theta0_" : "";
            state[prefix + "adversarial_acc"] = adv.Accuracy;
            state[prefix + "test_acc"] = test.Accuracy;
            state[prefix + "norm"] = norm;
            if (step > 0)
            {
                ctx.Info(string.Create(CultureInfo.InvariantCulture,
                    $"s{seed} phase 1, epoch {step / stepsPerEpoch}: random-label accuracy {adv.Accuracy:P2} (eval mode), true-label test accuracy {test.Accuracy:P1}, ‖θ‖ {norm:F1}"));
            }
        }

        if (ctx.ResumeStep == 0)
        {
            model.eval();
            using (torch.no_grad())
            {
                Score(0);
            }
            model.train();
        }
        var trainer = new Trainer(model, optimizer, StepLoss, EpochSchedule.Create(p.Lr, stepsPerEpoch, p.DecayEpochs, p.DecayFactor),
            new TrainerOptions(p.MaxEpochs * stepsPerEpoch, LogEvery: stepsPerEpoch, EvalEvery: p.CheckEvery * stepsPerEpoch,
                CheckpointEvery: p.CheckEvery * stepsPerEpoch, Task: $"s{seed} phase 1 (random labels)"), ctx, seed)
        {
            Evaluate = Score,
            StopWhen = _ => state["adversarial_acc"]!.GetValue<double>() >= p.StopAccuracy,
            SaveState = () => (JsonObject)state.DeepClone(),
            LoadState = s => state = s,
        };
        trainer.Run();

        SaveModel(model, thetaAdvFile);
        double advAcc = state["adversarial_acc"]!.GetValue<double>();
        double agreement;
        using (torch.NewDisposeScope())
        {
            agreement = set.Labels.eq(seedData.TrainY.repeat_interleave(set.Copies)).to(ScalarType.Float64).mean().item<double>();
        }
        var summary = new JsonObject
        {
            ["seed"] = seed,
            ["epochs"] = trainer.FinalStep / stepsPerEpoch,
            ["steps"] = trainer.FinalStep,
            ["reached"] = advAcc >= p.StopAccuracy,
            ["adversarial_acc"] = advAcc,
            ["test_acc"] = state["test_acc"]!.DeepClone(),
            ["norm"] = state["norm"]!.DeepClone(),
            ["theta0_adversarial_acc"] = state["theta0_adversarial_acc"]?.DeepClone(),
            ["theta0_test_acc"] = state["theta0_test_acc"]?.DeepClone(),
            ["theta0_norm"] = state["theta0_norm"]?.DeepClone(),
            ["adversarial_rows"] = set.Count,
            ["copies"] = set.Copies,
            ["zeroed_per_copy"] = set.ZeroedPerCopy,
            ["label_agreement"] = agreement,
            ["fingerprint"] = set.Fingerprint,
        };
        ctx.Info(string.Create(CultureInfo.InvariantCulture,
            $"s{seed} phase 1 {(advAcc >= p.StopAccuracy ? "reached" : "did NOT reach")} {p.StopAccuracy:P2} after {summary["epochs"]} epochs: θ_adv has {advAcc:P2} on its random labels and {state["test_acc"]!.GetValue<double>():P1} on the true test labels"));
        Finish(ctx, summary);
        return summary;
    }

    /// <summary>One phase-2 cell: SGD on the true labels of the seed's subset from θ_0 or θ_adv with a setting's recipe,
    /// phase2.epochs epochs, evaluation every phase2.evalEvery epochs (train and test accuracy in eval mode on
    /// un-augmented images, ‖θ‖, ‖θ − θ_init‖, ℓ2 path norm). Writes the final weights to model.dat.</summary>
    public static JsonObject Phase2(BadMinimaConfig config, BadMinimaData data, SeedData seedData, long seed, Setting setting,
        TrainingRecipe recipe, string init, string initFile, RunDirectory dir, RunContext parent)
    {
        if (File.Exists(dir.SummaryFile))
        {
            return dir.ReadSummary();
        }
        Phase2Config p = config.Phase2;
        using RunContext ctx = OpenChild(dir, parent, new JsonObject
        {
            ["phase"] = "phase2",
            ["seed"] = seed,
            ["setting"] = setting.Text,
            ["init"] = init,
            ["momentum"] = recipe.Momentum,
            ["weight_decay"] = recipe.WeightDecay,
            ["augmentations"] = recipe.Augmentations.Count,
            ["penalties"] = recipe.Penalties.Count,
        });
        using nn.Module<Tensor, Tensor> model = LoadModel(config, data, initFile);
        Tensor[] start = Complexity.Snapshot(model);
        try
        {
            using OptimizerHelper optimizer = Sgd(model, p.Lr, recipe.Momentum, recipe.WeightDecay);
            long stepsPerEpoch = (seedData.Count + p.BatchSize - 1) / p.BatchSize;
            // The same order and augmentation draws for every cell of this seed: RI and AI see identical batches.
            var order = new EpochOrder(StepSeeds.For(seed, 0, "phase2-order"), seedData.Count);
            long augmentSeed = StepSeeds.For(seed, 0, "phase2-augment");
            Tensor StepLoss(long step)
            {
                Tensor index = torch.tensor(order.Batch(step / stepsPerEpoch, step % stepsPerEpoch, p.BatchSize));
                Tensor x;
                if (recipe.Augmentations.Count == 0)
                {
                    x = seedData.TrainX.index_select(0, index);
                }
                else
                {
                    using Generator g = StepSeeds.Generator(augmentSeed, step, "augment");
                    Tensor raw = seedData.TrainRaw.index_select(0, index);
                    foreach (BatchAugmentation augment in recipe.Augmentations)
                    {
                        raw = augment(raw, g);
                    }
                    x = data.Normalize(raw);
                }
                Tensor loss = nn.functional.cross_entropy(model.call(x), seedData.TrainY.index_select(0, index));
                foreach (LossPenalty penalty in recipe.Penalties)
                {
                    loss = loss + penalty(model);
                }
                return loss;
            }

            long[] inputShape = [data.Channels, data.Height, data.Width];
            var state = new JsonObject();
            void Score(long step)
            {
                ClassifierScore train = Evaluation.Classifier(model, seedData.TrainX, seedData.TrainY, config.Data.EvalBatchSize);
                ClassifierScore test = Evaluation.Classifier(model, data.TestX, data.TestY, config.Data.EvalBatchSize);
                double norm = Complexity.ParameterNorm(model), distance = Complexity.Distance(model, start);
                double pathNorm = Complexity.PathNorm(model, inputShape, 2);
                ctx.Log(step, "train", "acc", train.Accuracy);
                ctx.Log(step, "train", "eval_loss", train.Loss);
                ctx.Log(step, "test", "acc", test.Accuracy);
                ctx.Log(step, "test", "loss", test.Loss);
                ctx.Log(step, "params", "norm", norm);
                ctx.Log(step, "params", "distance", distance);
                ctx.Log(step, "params", "path_norm_l2", pathNorm);
                string prefix = step == 0 ? "init_" : "";
                state[prefix + "train_acc"] = train.Accuracy;
                state[prefix + "train_loss"] = train.Loss;
                state[prefix + "test_acc"] = test.Accuracy;
                state[prefix + "test_loss"] = test.Loss;
                state[prefix + "norm"] = norm;
                state[prefix + "path_norm_l2"] = Finite(pathNorm);
                if (step > 0)
                {
                    state["distance"] = distance;
                    state["epoch"] = step / stepsPerEpoch;
                    if (train.Accuracy >= 0.995 && state["epoch_train_acc_995"] is null)
                    {
                        state["epoch_train_acc_995"] = step / stepsPerEpoch;
                    }
                }
            }

            if (ctx.ResumeStep == 0)
            {
                model.eval();
                using (torch.no_grad())
                {
                    Score(0);
                }
                model.train();
            }
            long maxSteps = p.Epochs * stepsPerEpoch;
            var trainer = new Trainer(model, optimizer, StepLoss, EpochSchedule.Create(p.Lr, stepsPerEpoch, p.DecayEpochs, p.DecayFactor),
                new TrainerOptions(maxSteps, LogEvery: stepsPerEpoch, EvalEvery: p.EvalEvery * stepsPerEpoch,
                    CheckpointEvery: p.EvalEvery * stepsPerEpoch, Task: $"s{seed} {setting.Text} from {init}"), ctx, seed)
            {
                Evaluate = Score,
                SaveState = () => (JsonObject)state.DeepClone(),
                LoadState = s => state = s,
            };
            trainer.Run();

            SaveModel(model, Path.Combine(dir.Path, "model.dat"));
            var summary = new JsonObject
            {
                ["seed"] = seed,
                ["setting"] = setting.Text,
                ["init"] = init,
                ["epochs"] = p.Epochs,
                ["steps"] = maxSteps,
                ["final_train_loss"] = Finite(trainer.LastLoss),
            };
            foreach ((string key, JsonNode? value) in state)
            {
                summary[key] = value?.DeepClone();
            }
            ctx.Info(string.Create(CultureInfo.InvariantCulture,
                $"s{seed} {setting.Text} from {init}: test {state["test_acc"]!.GetValue<double>():P2}, train {state["train_acc"]!.GetValue<double>():P2}, ‖θ‖ {state["norm"]!.GetValue<double>():F1}"));
            Finish(ctx, summary);
            return summary;
        }
        finally
        {
            foreach (Tensor t in start)
            {
                t.Dispose();
            }
        }
    }

    /// <summary>θ_0 of a seed: the model built right after seeding the global generator from (seed, "init").</summary>
    public static nn.Module<Tensor, Tensor> InitialModel(BadMinimaConfig config, BadMinimaData data, long seed)
    {
        torch.random.manual_seed(StepSeeds.For(seed, -1, "init"));
        return BadMinimaModels.Create(config.Model, data.Channels, data.Height, data.Width, data.NumClasses);
    }

    /// <summary>A model of the configured architecture with the weights and BatchNorm statistics of <paramref name="file"/>.</summary>
    public static nn.Module<Tensor, Tensor> LoadModel(BadMinimaConfig config, BadMinimaData data, string file)
    {
        nn.Module<Tensor, Tensor> model = BadMinimaModels.Create(config.Model, data.Channels, data.Height, data.Width, data.NumClasses);
        try
        {
            model.load(file, strict: true);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Saves into a temporary file and renames it, so a kill never leaves a torn weight file.</summary>
    public static void SaveModel(nn.Module model, string path)
    {
        string tmp = path + ".tmp";
        model.save(tmp);
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>Plain SGD with PyTorch semantics: coupled weight decay on every parameter, momentum without
    /// dampening or Nesterov (the classify method's optimizer factory).</summary>
    public static OptimizerHelper Sgd(nn.Module model, double lr, double momentum, double weightDecay) =>
        ClassifyExperiment.CreateOptimizer(new ClassifyTrainConfig { Optimizer = "sgd", Lr = lr, Momentum = momentum, WeightDecay = weightDecay }, model);

    private static RunContext OpenChild(RunDirectory dir, RunContext parent, JsonObject description)
    {
        dir.WriteConfig(description.ToJsonString(RunDirectory.Indented));
        RunContext ctx = Checkpoint.Latest(dir.CheckpointsDir) is null
            ? RunContext.Start(dir, parent.Sink, parent.Cancel)
            : RunContext.Resume(dir, parent.Sink, parent.Cancel);
        ctx.WriteEnv(BadMinimaExperiment.MethodName, torch.get_num_threads());
        if (ctx.ResumeStep > 0)
        {
            parent.Info($"{dir.Path}: resuming at step {ctx.ResumeStep}");
        }
        return ctx;
    }

    /// <summary>Writes the summary, then drops the checkpoints: the summary marks the child as finished, and the
    /// weights live on in model.dat / theta_adv.dat.</summary>
    private static void Finish(RunContext ctx, JsonObject summary)
    {
        ctx.Finish(summary);
        if (Directory.Exists(ctx.Dir.CheckpointsDir))
        {
            Directory.Delete(ctx.Dir.CheckpointsDir, recursive: true);
        }
    }

    internal static JsonNode? Finite(double v) => double.IsFinite(v) ? JsonValue.Create(v) : null;
}
