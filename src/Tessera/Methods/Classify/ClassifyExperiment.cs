using System.Globalization;
using System.Text.Json.Nodes;
using Tessera.Data;
using Tessera.Experiments;
using Tessera.Nn;
using Tessera.Training;

namespace Tessera.Methods.Classify;

/// <summary>
/// Trains an image classifier (mlp, lenet5, smallcnn) on an image dataset and reports test accuracy.
/// The foundation's end-to-end capability, and the training loop the pruning and federated methods reuse.
/// </summary>
public sealed class ClassifyExperiment : Experiment<ClassifyConfig>
{
    public override string Name => "classify";

    public override string Description => "Train an image classifier (mlp, lenet5, smallcnn) on digits, Fashion-MNIST, MNIST or CIFAR.";

    public override string Reference => "src/Tessera/Methods/Classify/README.md";

    public override JsonObject Run(ClassifyConfig config, RunContext ctx)
    {
        using var splits = DatasetCatalog.LoadImages(config.Data.Dataset, config.Data.Root);
        ImageDataset train = splits.Train, test = splits.Test;
        (Tensor trainX, Tensor testX) = Prepare(config.Data, train, test);
        using var trainXOwner = trainX;
        using var testXOwner = testX;

        torch.random.manual_seed(StepSeeds.For(config.Seed, -1, "init"));
        using var model = ImageClassifiers.Create(config.Model.Name, train.Channels, train.Height, train.Width, train.NumClasses, config.Model.Hidden);
        using var optimizer = CreateOptimizer(config.Train, model);

        ClassifyTrainConfig t = config.Train;
        long stepsPerEpoch = (train.Count + t.BatchSize - 1) / t.BatchSize;
        long maxSteps = t.Epochs * stepsPerEpoch;
        var schedule = t.Schedule == "cosine" ? LrSchedules.WarmupCosine(t.Lr, 0, maxSteps, t.Lr / 100) : LrSchedules.Constant(t.Lr);
        var order = new EpochOrder(config.Seed, train.Count);

        Tensor StepLoss(long step)
        {
            long[] batch = order.Batch(step / stepsPerEpoch, step % stepsPerEpoch, t.BatchSize);
            using Generator augment = StepSeeds.Generator(config.Seed, step, "augment");
            Tensor index = torch.tensor(batch);
            Tensor x = Augment(trainX.index_select(0, index), config.Data, augment);
            return nn.functional.cross_entropy(model.call(x), train.Labels.index_select(0, index));
        }

        var last = new JsonObject();
        var trainer = new Trainer(model, optimizer, StepLoss, schedule,
            new TrainerOptions(maxSteps, t.LogEvery, t.EvalEvery > 0 ? t.EvalEvery : stepsPerEpoch,
                t.CheckpointEvery > 0 ? t.CheckpointEvery : stepsPerEpoch), ctx, config.Seed)
        {
            Evaluate = step =>
            {
                ClassifierScore score = Evaluation.Classifier(model, testX, test.Labels, t.EvalBatchSize);
                ctx.Log(step, "test", "acc", score.Accuracy);
                ctx.Log(step, "test", "loss", score.Loss);
                double best = Math.Max(score.Accuracy, last["best_test_acc"]?.GetValue<double>() ?? 0);
                last = new JsonObject { ["test_acc"] = score.Accuracy, ["test_loss"] = score.Loss, ["best_test_acc"] = best, ["step"] = step };
                ctx.Info(string.Create(CultureInfo.InvariantCulture,
                    $"step {step}/{maxSteps} (epoch {(double)step / stepsPerEpoch:F1}): test acc {score.Accuracy:P2}, test loss {score.Loss:F4}"));
            },
            SaveState = () => (JsonObject)last.DeepClone(),
            LoadState = state => last = state,
        };
        trainer.Run();

        return new JsonObject
        {
            ["dataset"] = config.Data.Dataset,
            ["model"] = config.Model.Name,
            ["parameters"] = model.parameters().Sum(p => p.numel()),
            ["train_examples"] = train.Count,
            ["test_examples"] = test.Count,
            ["steps"] = maxSteps,
            ["epochs"] = t.Epochs,
            ["final_train_loss"] = trainer.LastLoss,
            ["test_acc"] = last["test_acc"]?.DeepClone(),
            ["test_loss"] = last["test_loss"]?.DeepClone(),
            ["best_test_acc"] = last["best_test_acc"]?.DeepClone(),
        };
    }

    public override QuickstartLine Quickstart(RunDirectory dir, IRunSink sink)
    {
        JsonObject s = RunPreset("smoke", dir, sink);
        double acc = s["test_acc"]!.GetValue<double>();
        return new QuickstartLine("classify (foundation)", "a small CNN learns 8x8 digits: >= 95% test accuracy",
            string.Create(CultureInfo.InvariantCulture, $"{acc:P1} test accuracy in {s["wall_s"]} s"), acc >= 0.95);
    }

    private static (Tensor Train, Tensor Test) Prepare(ClassifyDataConfig data, ImageDataset train, ImageDataset test)
    {
        if (!data.Normalize)
        {
            return (train.Images.alias(), test.Images.alias());
        }
        (Tensor mean, Tensor std) = ImageBatches.ChannelStats(train.Images);
        using (mean)
        using (std)
        {
            return (ImageBatches.Normalize(train.Images, mean, std), ImageBatches.Normalize(test.Images, mean, std));
        }
    }

    private static Tensor Augment(Tensor x, ClassifyDataConfig data, Generator generator)
    {
        if (data.CropPadding > 0)
        {
            x = ImageBatches.RandomCropWithPadding(x, data.CropPadding, generator);
        }
        if (data.FlipProbability > 0)
        {
            x = ImageBatches.RandomHorizontalFlip(x, data.FlipProbability, generator);
        }
        return x;
    }

    internal static OptimizerHelper CreateOptimizer(ClassifyTrainConfig t, nn.Module model) => t.Optimizer switch
    {
        "sgd" => optim.SGD(model.parameters(), t.Lr, t.Momentum, weight_decay: t.WeightDecay),
        "adamw" => optim.AdamW(model.parameters(), t.Lr, weight_decay: t.WeightDecay),
        _ => optim.Adam(model.parameters(), t.Lr, weight_decay: t.WeightDecay),
    };
}

