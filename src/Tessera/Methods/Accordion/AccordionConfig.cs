using Tessera.Experiments;

namespace Tessera.Methods.Accordion;

/// <summary>
/// Data-parallel training with gradient compression and the ACCORDION controller (spec: accordion.md). Defaults are
/// the spec's §6 common setting: FMNIST-CNN on 8,000 Fashion-MNIST images, W = 4 workers of 32 images, 30 epochs,
/// heavy-ball SGD with warm-up to 0.1 and decays at epochs 15 and 25, ACCORDION PowerSGD 4↔1 with interval 3, η = 0.5.
/// </summary>
public sealed record AccordionConfig : IRunConfig, IValidatable
{
    public long Seed { get; init; } = 42;

    /// <summary>libtorch threads of each worker. In-process workers compute one at a time, so a run uses this many
    /// cores; under mpiexec every rank uses this many (<c>tessera launch</c> sets cores / ranks).</summary>
    public int Threads { get; init; } = 1;

    /// <summary>Number of data-parallel workers W (under mpiexec: the number of ranks).</summary>
    public int Workers { get; init; } = 4;

    public AccordionDataConfig Data { get; init; } = new();

    public AccordionModelConfig Model { get; init; } = new();

    public AccordionTrainConfig Train { get; init; } = new();

    public CompressionConfig Compression { get; init; } = new();

    public BatchSizeConfig Batch { get; init; } = new();

    public DebugConfig Debug { get; init; } = new();

    public void Validate()
    {
        if (Workers < 1 || Threads < 1)
        {
            throw new InputException("workers and threads must be at least 1.");
        }
        bool text = AccordionData.TextDatasets.Contains(Data.Dataset);
        if (Data.Dataset is not ("fashion-mnist" or "synthetic" or "cifar10" or "cifar100") && !text)
        {
            throw new InputException($"data.dataset must be fashion-mnist, synthetic, cifar10, cifar100, bible, fortunes or text-file (got '{Data.Dataset}').");
        }
        if (text != (Model.Name == "char-lstm"))
        {
            throw new InputException($"model.name=char-lstm goes with the text data sets (bible, fortunes, text-file) and only with them (got model.name={Model.Name}, data.dataset={Data.Dataset}).");
        }
        if (text && (Data.TextTrainChars < 1 || Data.TextValChars < 1 || Data.Bptt < 1 || Model.Embed < 1 || Model.Hidden.Length == 0 || Model.Hidden[0] < 1))
        {
            throw new InputException("With text data: data.textTrainChars, data.textValChars, data.bptt and model.embed >= 1, model.hidden[0] >= 1 (the LSTM width).");
        }
        if (Data.PerClass < 0 || Data.SyntheticTrain < 1 || Data.SyntheticTest < 1 || Data.SyntheticDim < 1 || Data.CropPadding < 0
            || Data.FlipProbability is < 0 or > 1)
        {
            throw new InputException("data.perClass >= 0, data.synthetic* >= 1, data.cropPadding >= 0 and data.flipProbability in [0, 1].");
        }
        if (Model.Name is not ("fmnist-cnn" or "mlp" or "resnet18" or "vgg19bn" or "char-lstm"))
        {
            throw new InputException($"model.name must be fmnist-cnn, mlp, resnet18, vgg19bn or char-lstm (got '{Model.Name}').");
        }
        AccordionTrainConfig t = Train;
        if (t.Epochs < 1 || t.BatchPerWorker < 1 || t.Lr.Base <= 0 || t.Momentum is < 0 or >= 1 || t.WeightDecay < 0
            || t.Lr.WarmupEpochs < 0 || t.Lr.WarmupFactor < 1 || t.Lr.Gamma is <= 0 or > 1 || t.EvalEvery < 0 || t.CheckpointEvery < 0 || t.ClipNorm < 0)
        {
            throw new InputException("train: epochs and batchPerWorker >= 1, lr.base > 0, momentum in [0, 1), weightDecay >= 0, " +
                "lr.warmupEpochs >= 0, lr.warmupFactor >= 1, lr.gamma in (0, 1], evalEvery, checkpointEvery and clipNorm >= 0.");
        }
        CompressionConfig c = Compression;
        if (c.Kind is not ("powersgd" or "topk"))
        {
            throw new InputException($"compression.kind must be powersgd or topk (got '{c.Kind}').");
        }
        if (c.Mode is not ("none" or "static-low" or "static-high" or "accordion"))
        {
            throw new InputException($"compression.mode must be none (uncompressed), static-low, static-high or accordion (got '{c.Mode}').");
        }
        if (c.Kind == "powersgd" && (c.Low < 1 || c.High < 1 || c.Low != Math.Floor(c.Low) || c.High != Math.Floor(c.High)))
        {
            throw new InputException($"compression.low and compression.high are PowerSGD ranks for kind=powersgd: whole numbers >= 1 (got {c.Low}, {c.High}).");
        }
        if (c.Kind == "topk" && (c.Low is <= 0 or > 1 || c.High is <= 0 or > 1))
        {
            throw new InputException($"compression.low and compression.high are kept fractions for kind=topk: in (0, 1] (got {c.Low}, {c.High}).");
        }
        if (c.Interval < 1 || c.Eta <= 0 || c.Epsilon < 0 || c.MinCompressionRate < 0 || c.StartIter < 0)
        {
            throw new InputException("compression: interval >= 1, eta > 0, epsilon >= 0, minCompressionRate >= 0, startIter >= 0.");
        }
        if (Batch.Mode is not ("off" or "static-small" or "static-large" or "accordion"))
        {
            throw new InputException($"batch.mode must be off, static-small, static-large or accordion (got '{Batch.Mode}').");
        }
        if (Batch.Mode != "off")
        {
            if (Batch.Small < Workers || Batch.Large < Batch.Small || Batch.Small % Workers != 0 || Batch.Large % Workers != 0)
            {
                throw new InputException($"batch.small and batch.large are global batch sizes divisible by workers={Workers}, with small <= large " +
                    $"(got {Batch.Small}, {Batch.Large}).");
            }
            if (c.Mode != "none")
            {
                throw new InputException($"The batch-size variant sends full gradients: set compression.mode=none with batch.mode={Batch.Mode}.");
            }
        }
    }
}

public sealed record AccordionDataConfig
{
    /// <summary>fashion-mnist (spec §6), synthetic (R0's Gaussian classes), cifar10 or cifar100 (when present), or text for
    /// model.name=char-lstm: bible (R4, the <c>bible</c> command of bible-kjv), fortunes, or text-file (data.textPath).</summary>
    public string Dataset { get; init; } = "fashion-mnist";

    /// <summary>Folder of downloaded datasets; null = $TESSERA_DATA or ./data.</summary>
    public string? Root { get; init; }

    /// <summary>Use the first this many training images of each class (0 = all).</summary>
    public int PerClass { get; init; } = 800;

    /// <summary>Random crop after zero padding (2 for Fashion-MNIST in §6, 4 for CIFAR; 0 = off).</summary>
    public int CropPadding { get; init; } = 2;

    public double FlipProbability { get; init; } = 0.5;

    /// <summary>A new shard assignment every epoch (seed + epoch); false mimics the released code's sampler without
    /// set_epoch (the same order every epoch).</summary>
    public bool Reshuffle { get; init; } = true;

    /// <summary>R0 data: training and test samples, dimension and classes of the Gaussian-class data set.</summary>
    public int SyntheticTrain { get; init; } = 2048;

    public int SyntheticTest { get; init; } = 1024;

    public int SyntheticDim { get; init; } = 784;

    public int SyntheticClasses { get; init; } = 10;

    /// <summary>Standard deviation of the class means (the samples add N(0, I) noise).</summary>
    public double SyntheticMeanStd { get; init; } = 0.1;

    /// <summary>Text data: the first this many characters of the corpus are the training text (R4: 200k).</summary>
    public int TextTrainChars { get; init; } = 200_000;

    /// <summary>Text data: the characters after the training text that are the validation text (R4: 20k).</summary>
    public int TextValChars { get; init; } = 20_000;

    /// <summary>Text data: characters per training window (backpropagation through time); every window starts from a
    /// zero LSTM state.</summary>
    public int Bptt { get; init; } = 64;

    /// <summary>The UTF-8 file read by data.dataset=text-file.</summary>
    public string? TextPath { get; init; }
}

public sealed record AccordionModelConfig
{
    /// <summary>fmnist-cnn (spec §6), mlp (R0), resnet18 (CIFAR variant), vgg19bn, char-lstm (R4's character language
    /// model, with text data).</summary>
    public string Name { get; init; } = "fmnist-cnn";

    /// <summary>Hidden widths of the mlp; the char-lstm's LSTM width is the first.</summary>
    public int[] Hidden { get; init; } = [128];

    /// <summary>The char-lstm's embedding width.</summary>
    public int Embed { get; init; } = 64;
}

public sealed record AccordionTrainConfig
{
    public int Epochs { get; init; } = 30;

    /// <summary>Images per worker per step (global batch = workers × this), unless batch.mode is on.</summary>
    public int BatchPerWorker { get; init; } = 32;

    public double Momentum { get; init; } = 0.9;

    /// <summary>Nesterov-style momentum as the paper's LSTM path and PowerSGD's reference apply it: buf ← μ·buf + d, step
    /// with d + buf (PyTorch's Nesterov steps with d + μ·buf); default heavy ball.</summary>
    public bool Nesterov { get; init; }

    /// <summary>Each worker scales its local gradient to this total norm when larger, before error feedback, compression
    /// and the detector's accumulation (spec pitfall 12; R4: 0.25); 0 = off.</summary>
    public double ClipNorm { get; init; }

    /// <summary>Weight decay, added to the aggregated gradient (never compressed).</summary>
    public double WeightDecay { get; init; } = 1e-4;

    public LrConfig Lr { get; init; } = new();

    /// <summary>Evaluate the test set every this many epochs (and after the last); 0 = only at the end.</summary>
    public int EvalEvery { get; init; } = 3;

    /// <summary>Checkpoint every this many epochs (and after the last); 0 = only at the end.</summary>
    public int CheckpointEvery { get; init; } = 1;

    /// <summary>Compare a parameter checksum across workers every this many epochs (0 = never).</summary>
    public int ChecksumEvery { get; init; } = 1;

    /// <summary>Log worker 0's local loss every this many steps.</summary>
    public int LogEvery { get; init; } = 10;

    /// <summary>Gradients are flattened into buckets of at most this many values per all-reduce.</summary>
    public int BucketSize { get; init; } = 1 << 22;
}

/// <summary>lr(e) = base·(1 + (warmupFactor−1)·min(e/warmupEpochs, 1)) · gamma^(milestones passed) (spec §2.8, §6).</summary>
public sealed record LrConfig
{
    public double Base { get; init; } = 0.025;

    public int WarmupEpochs { get; init; } = 2;

    /// <summary>The peak is base × this (the paper scales to W × base).</summary>
    public double WarmupFactor { get; init; } = 4;

    /// <summary>First epochs that run at the lower learning rate.</summary>
    public int[] Milestones { get; init; } = [15, 25];

    public double Gamma { get; init; } = 0.1;

    /// <summary>The released code's off-by-one (fidelity only): epoch e runs at get_lr(e−1), milestones are the code's
    /// "e &gt; m" thresholds, so the lower rate first runs at m + 2.</summary>
    public bool CodeOffByOne { get; init; }
}

public sealed record CompressionConfig
{
    /// <summary>The compressor: powersgd or topk.</summary>
    public string Kind { get; init; } = "powersgd";

    /// <summary>none (uncompressed: a full all-reduce every step), static-low (ℓ_low throughout), static-high (ℓ_high
    /// throughout) or accordion (the critical-regime controller; starts at ℓ_low).</summary>
    public string Mode { get; init; } = "accordion";

    /// <summary>The low-compression level ℓ_low: PowerSGD rank, or TopK kept fraction.</summary>
    public double Low { get; init; } = 4;

    /// <summary>The high-compression level ℓ_high.</summary>
    public double High { get; init; } = 1;

    /// <summary>Detector interval (switch_freq) in epochs.</summary>
    public int Interval { get; init; } = 3;

    /// <summary>Detector threshold η: ratio ≥ η is critical (LOW).</summary>
    public double Eta { get; init; } = 0.5;

    /// <summary>All tensors to LOW when the learning rate drops before the next epoch.</summary>
    public bool LrDecayOverride { get; init; } = true;

    /// <summary>Zero the error-feedback memory when a tensor changes level (the code's zero_memory; default keeps it).</summary>
    public bool ZeroMemoryOnSwitch { get; init; }

    /// <summary>PowerSGD: orthogonalise Q before every step (the PyTorch hook); false reuses last step's Q as the code does.</summary>
    public bool OrthogonalizeQ { get; init; }

    /// <summary>PowerSGD: added to column norms in Gram–Schmidt (the reference code's guard; it shrinks each column by
    /// ‖p‖/(‖p‖+ε)). Zero and linearly dependent columns become zero whatever ε is, so 0 is safe and gives exact
    /// orthonormal columns.</summary>
    public double Epsilon { get; init; } = 1e-8;

    /// <summary>PowerSGD: compress a tensor only if (n+m)·r·rate &lt; n·m, else send it raw (0 = always compress).</summary>
    public double MinCompressionRate { get; init; }

    /// <summary>PowerSGD/TopK: plain all-reduce for the first this many steps (PyTorch's start_powerSGD_iter).</summary>
    public long StartIter { get; init; }

    /// <summary>TopK: divide the gathered sum by W (the reference); false sums as the released code does.</summary>
    public bool TopkAverage { get; init; } = true;

    /// <summary>TopK: keep the unsent residual (error feedback); the released code never writes it.</summary>
    public bool TopkErrorFeedback { get; init; } = true;
}

/// <summary>The batch-size variant (spec §2.7): levels are global batch sizes, one full all-reduce per step.</summary>
public sealed record BatchSizeConfig
{
    /// <summary>off (train.batchPerWorker), static-small, static-large or accordion (small batch in critical regimes;
    /// starts small).</summary>
    public string Mode { get; init; } = "off";

    /// <summary>Global batch sizes; the learning rate is scaled by B / small.</summary>
    public int Small { get; init; } = 64;

    public int Large { get; init; } = 512;

    /// <summary>Also return to the small batch when the learning rate drops (off matches the released runs).</summary>
    public bool LrDecayOverride { get; init; }
}

/// <summary>Fault injection, to test that a failing worker ends the whole job.</summary>
public sealed record DebugConfig
{
    /// <summary>This rank throws at the start of step <see cref="FailAtStep"/> (−1 = never); only in a run that was not
    /// resumed, so the resumed run can finish.</summary>
    public int FailRank { get; init; } = -1;

    public long FailAtStep { get; init; }
}
