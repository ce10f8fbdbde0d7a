using Tessera.Experiments;

namespace Tessera.Methods.Arithmetic;

/// <summary>
/// Teaching arithmetic to a small character-level GPT (spec: arithmetic.md). Defaults are the reduced-scale
/// model "T" of spec §6 on the 2-digit addition table in the reverse format.
/// </summary>
public sealed record ArithmeticConfig : IRunConfig, IValidatable
{
    public long Seed { get; init; }

    /// <summary>One thread per run: the tiny model gains little from two, and two runs can share the two cores.</summary>
    public int Threads { get; init; } = 1;

    public ArithmeticDataConfig Data { get; init; } = new();

    public ArithmeticModelConfig Model { get; init; } = new();

    public ArithmeticTrainConfig Train { get; init; } = new();

    public ArithmeticEvalConfig Eval { get; init; } = new();

    public void Validate()
    {
        Operation op = ArithmeticDataConfig.ParseOperation(Data.Operation);
        if (!ArithmeticFormats.Names(op).Contains(Data.Format))
        {
            throw new InputException($"data.format '{Data.Format}' does not exist for data.operation '{Data.Operation}'. " +
                $"Formats: {string.Join(", ", ArithmeticFormats.Names(op))}.");
        }
        if (Data.Sampling is not ("table" or "balanced" or "multidigit" or "lengths"))
        {
            throw new InputException($"data.sampling must be table, balanced, multidigit or lengths (got '{Data.Sampling}').");
        }
        if (Data.Sampling == "table" && op is Operation.Add or Operation.Subtract or Operation.Multiply)
        {
            long pairs = (long)Math.Pow(10, 2 * Data.Digits);
            if (Data.TrainSize + Data.TestSize > pairs)
            {
                throw new InputException($"data.trainSize + data.testSize = {Data.TrainSize + Data.TestSize} exceeds the {pairs} pairs of the " +
                    $"{Data.Digits}-digit table.");
            }
        }
        if (Data.Sampling == "lengths" && (Data.TrainLengths.Length == 0 || Data.TestLengths.Length == 0))
        {
            throw new InputException("data.sampling=lengths needs data.trainLengths and data.testLengths (e.g. [1,3] and [1,2,3,4]).");
        }
        if (Data.Digits is < 1 or > 18 || Data.TrainSize < 1 || Data.TestSize < 1)
        {
            throw new InputException("data.digits must be in 1..18, data.trainSize and data.testSize at least 1.");
        }
        if (Data.Text is not ("none" or "fortunes" or "bible") || Data.TextFraction is < 0 or >= 1)
        {
            throw new InputException("data.text must be none, fortunes or bible, and data.textFraction in [0, 1).");
        }
        if (Data.Tokenizer is not ("ascii" or "custom"))
        {
            throw new InputException($"data.tokenizer must be ascii or custom (got '{Data.Tokenizer}').");
        }
        if (Model.NEmbd % Model.NHead != 0 || Model.NLayer < 1 || Model.BlockSize < 2)
        {
            throw new InputException("model.nEmbd must be divisible by model.nHead; model.nLayer >= 1; model.blockSize >= 2.");
        }
        if (Train.Iters < 1 || Train.BatchSize < 1 || Train.Lr <= 0 || Train.Warmup < 0)
        {
            throw new InputException("train.iters and train.batchSize must be >= 1, train.lr > 0, train.warmup >= 0.");
        }
        if (Eval.Temperature < 0 || Eval.FewShot < 0)
        {
            throw new InputException("eval.temperature and eval.fewShot must be >= 0.");
        }
    }
}

public sealed record ArithmeticDataConfig
{
    /// <summary>add, subtract, multiply, sin, sqrt.</summary>
    public string Operation { get; init; } = "add";

    /// <summary>plain, reverse, plain2, simplified, detailed, noisy-simplified, ... (per operation; see the README).</summary>
    public string Format { get; init; } = "reverse";

    /// <summary>Seed of the data: which pairs are train and test, and the order of the stream (the paper's 1337).
    /// Kept apart from the run seed so that seeds vary the model, not the data.</summary>
    public long Seed { get; init; } = 1337;

    /// <summary>Operand length (the largest, for multidigit).</summary>
    public int Digits { get; init; } = 2;

    /// <summary>table: shuffle all (10^d)² pairs, first trainSize train, next testSize test (the reduced-scale protocol).
    /// balanced: spec §2.1 carry-balanced sampling, test = held-out pairs. multidigit: §2.1 multi-digit sets.
    /// lengths: operands of data.trainLengths only, tested per length in data.testLengths (§2.9).</summary>
    public string Sampling { get; init; } = "table";

    public int TrainSize { get; init; } = 4000;

    public int TestSize { get; init; } = 1000;

    public int[] TrainLengths { get; init; } = [];

    public int[] TestLengths { get; init; } = [];

    /// <summary>Test prompts per length with sampling=lengths.</summary>
    public int TestPerLength { get; init; } = 100;

    /// <summary>Numbers never used as an operand in training (§2.8 exclusion); tested on prompts that contain them.</summary>
    public long[] Excluded { get; init; } = [];

    /// <summary>Seed of the random digits written into noisy scratchpads.</summary>
    public long NoiseSeed { get; init; } = 1;

    /// <summary>ascii: the 96-character vocabulary; custom: only the characters of the training text.</summary>
    public string Tokenizer { get; init; } = "ascii";

    /// <summary>none, fortunes or bible: English text mixed into the training stream (Shakespeare's stand-in).</summary>
    public string Text { get; init; } = "none";

    /// <summary>Share of the training stream's characters that are text when data.text is set.</summary>
    public double TextFraction { get; init; } = 0.5;

    internal static Operation ParseOperation(string name) => name switch
    {
        "add" => Arithmetic.Operation.Add,
        "subtract" => Arithmetic.Operation.Subtract,
        "multiply" => Arithmetic.Operation.Multiply,
        "sin" => Arithmetic.Operation.Sin,
        "sqrt" => Arithmetic.Operation.Sqrt,
        _ => throw new InputException($"data.operation must be add, subtract, multiply, sin or sqrt (got '{name}')."),
    };
}

/// <summary>NanoGPT shape (spec §2.4): no biases, tied head. Default: model T of spec §6 (L2 H4 d64, block 32).</summary>
public sealed record ArithmeticModelConfig
{
    public int NLayer { get; init; } = 2;

    public int NHead { get; init; } = 4;

    public int NEmbd { get; init; } = 64;

    public int BlockSize { get; init; } = 32;

    public double Dropout { get; init; }
}

/// <summary>Spec §2.5: AdamW (0.9, 0.99), weight decay 0.1 on Linear weights, clip 1.0, warmup then cosine to lr/10.</summary>
public sealed record ArithmeticTrainConfig
{
    public long Iters { get; init; } = 3000;

    public int BatchSize { get; init; } = 64;

    public double Lr { get; init; } = 3e-3;

    public long Warmup { get; init; } = 100;

    public double MinLrRatio { get; init; } = 0.1;

    public double WeightDecay { get; init; } = 0.1;

    public double Beta2 { get; init; } = 0.99;

    public double GradClip { get; init; } = 1.0;

    public long LogEvery { get; init; } = 50;

    /// <summary>Evaluate a subset of test prompts every this many iterations (the final evaluation uses all of them).</summary>
    public long EvalEvery { get; init; } = 500;

    /// <summary>Test prompts used by the in-training evaluations.</summary>
    public int EvalPrompts { get; init; } = 200;

    public long CheckpointEvery { get; init; } = 500;
}

public sealed record ArithmeticEvalConfig
{
    /// <summary>0 = greedy (how the paper's numbers were made); 0.8 with topK 200 mimics the in-training sampler.</summary>
    public double Temperature { get; init; }

    public int? TopK { get; init; }

    /// <summary>Extra prompt prefixes evaluated on the same weights, e.g. "\n" (the start-marker fix of spec §7 #1).</summary>
    public string[] PromptPrefixes { get; init; } = [];

    /// <summary>Training examples scored at the end (train accuracy shows memorisation below the transition).</summary>
    public int TrainSample { get; init; } = 1000;

    /// <summary>|ŷ − y| tolerance for sin and sqrt.</summary>
    public double Tolerance { get; init; }

    /// <summary>Solved examples from the training set shown before each test prompt (few-shot prompting).</summary>
    public int FewShot { get; init; }

    /// <summary>Prompts decoded together (grouped by prompt length, so no padding is needed).</summary>
    public int BatchSize { get; init; } = 500;
}
