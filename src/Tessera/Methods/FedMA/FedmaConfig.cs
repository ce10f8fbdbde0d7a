using Tessera.Experiments;

namespace Tessera.Methods.FedMA;

/// <summary>
/// A federated run (spec §2.10, §6): data and partition, model, local training, FedMA matching and retraining,
/// the FedAvg/FedProx baselines, which phases to run, and the runtime limits. Defaults follow the code's CNN setting
/// scaled to R1.
/// </summary>
public sealed record FedmaConfig : IRunConfig, IValidatable
{
    public long Seed { get; init; }

    public int Threads { get; init; } = 1;

    public FedDataConfig Data { get; init; } = new();

    public FedModelConfig Model { get; init; } = new();

    /// <summary>Local training before the first FedMA pass (E epochs from independent inits).</summary>
    public FedTrainConfig Train { get; init; } = new();

    public FedMatchConfig Fedma { get; init; } = new();

    public FedAvgConfig Fedavg { get; init; } = new();

    public FedRunConfig Run { get; init; } = new();

    public FedRuntimeConfig Federation { get; init; } = new();

    public void Validate()
    {
        string[] known = ["locals", "ensemble", "naive", "oneshot", "fedma", "fedavg", "fedprox"];
        if (Run.Strategies.Length == 0 || Run.Strategies.Any(s => !known.Contains(s)))
        {
            throw new InputException($"run.strategies must list some of {string.Join(", ", known)}; got [{string.Join(", ", Run.Strategies)}].");
        }
        if (Data.Clients < 1)
        {
            throw new InputException($"data.clients must be at least 1 (got {Data.Clients}).");
        }
        if (Data.Partition is not ("hetero-dir" or "homo"))
        {
            throw new InputException($"data.partition must be hetero-dir or homo (got '{Data.Partition}').");
        }
        if (Model.Name is not ("lenet" or "vgg9" or "lstm"))
        {
            throw new InputException($"model.name must be lenet, vgg9 or lstm (got '{Model.Name}').");
        }
        if ((Model.Name == "lstm") != (Data.Dataset is "bible" or "shakespeare" or "synthetic-text"))
        {
            throw new InputException($"model.name={Model.Name} does not fit data.dataset={Data.Dataset}: the lstm reads text (bible, shakespeare, synthetic-text), the CNNs read images.");
        }
        foreach ((string key, double lr) in new[] { ("train.lr", Train.Lr), ("fedma.retrainLr", Fedma.RetrainLr), ("fedavg.lr", Fedavg.Lr) })
        {
            if (!(lr > 0))
            {
                throw new InputException($"{key} must be positive (got {lr}).");
            }
        }
        if (Train.BatchSize < 1 || Train.Epochs < 0 || Fedma.RetrainEpochs < 0 || Fedavg.Rounds < 0 || Fedavg.LocalEpochs < 0 || Fedma.CommRounds < 0)
        {
            throw new InputException("train.batchSize must be >= 1; epochs and rounds must be >= 0.");
        }
        if (Fedma.Estimator is not ("posterior" or "ownerMean" or "meanOverJ"))
        {
            throw new InputException($"fedma.estimator must be posterior, ownerMean or meanOverJ (got '{Fedma.Estimator}').");
        }
        if (Fedma.ClassifierAveraging is not ("perClassShare" or "uniform"))
        {
            throw new InputException($"fedma.classifierAveraging must be perClassShare or uniform (got '{Fedma.ClassifierAveraging}').");
        }
        if (Fedma.ReconstructPayload is not ("localSubmodel" or "fullGlobal"))
        {
            throw new InputException($"fedma.reconstructPayload must be localSubmodel or fullGlobal (got '{Fedma.ReconstructPayload}').");
        }
        if (Fedavg.Init is not ("sharedRandom" or "averageOfLocals"))
        {
            throw new InputException($"fedavg.init must be sharedRandom or averageOfLocals (got '{Fedavg.Init}').");
        }
        if (Fedavg.FractionFit is <= 0 or > 1 || Fedavg.MinFitClients < 1)
        {
            throw new InputException("fedavg.fractionFit must be in (0, 1] and fedavg.minFitClients >= 1.");
        }
        if (Federation.TimeoutSeconds <= 0 || Federation.MaxMessageMb <= 0)
        {
            throw new InputException("federation.timeoutSeconds and federation.maxMessageMb must be positive.");
        }
    }
}

public sealed record FedDataConfig
{
    /// <summary>fashion-mnist, mnist, digits, cifar10 (images); bible, shakespeare, synthetic-text (text).</summary>
    public string Dataset { get; init; } = "fashion-mnist";

    /// <summary>Data root; null = $TESSERA_DATA or ./data.</summary>
    public string? Root { get; init; }

    /// <summary>Training samples drawn (seeded) from the training set before partitioning; 0 = all.</summary>
    public int TrainSubset { get; init; } = 8000;

    /// <summary>Test samples drawn (seeded) from the test set; 0 = all.</summary>
    public int TestSubset { get; init; } = 5000;

    /// <summary>J.</summary>
    public int Clients { get; init; } = 4;

    /// <summary>hetero-dir (Dirichlet label skew, §2.8) or homo.</summary>
    public string Partition { get; init; } = "hetero-dir";

    public double Alpha { get; init; } = 0.5;

    /// <summary>The Dirichlet draw is repeated until every client holds at least this many samples (§2.8: 10).</summary>
    public int MinPerClient { get; init; } = 10;

    /// <summary>Normalisation mean and std (Fashion-MNIST: 0.2860, 0.3530); null = the training subset's statistics.</summary>
    public double? Mean { get; init; } = 0.2860;

    public double? Std { get; init; } = 0.3530;

    /// <summary>Text clients (bible: book names; shakespeare: ignored).</summary>
    public string[] Books { get; init; } = ["Genesis", "Psalms", "Matthew", "Romans"];

    /// <summary>Training windows per text client, drawn from the first <see cref="TrainFraction"/> of its text.</summary>
    public int WindowsPerClient { get; init; } = 3000;

    /// <summary>Test windows per text client, from the rest of its text.</summary>
    public int TestWindowsPerClient { get; init; } = 750;

    /// <summary>Characters of context per window.</summary>
    public int Window { get; init; } = 40;

    public double TrainFraction { get; init; } = 0.8;
}

public sealed record FedModelConfig
{
    /// <summary>lenet (FedMA LeNet, §4), vgg9, lstm (character LSTM, §2.7).</summary>
    public string Name { get; init; } = "lenet";

    /// <summary>Matched-layer widths: lenet [conv1, conv2, fc1] (LeNet-S 10/20/100), vgg9 eight widths; lstm uses embed/hidden.</summary>
    public int[] Widths { get; init; } = [10, 20, 100];

    public int Embed { get; init; } = 8;

    public int Hidden { get; init; } = 64;
}

public sealed record FedTrainConfig
{
    /// <summary>E: local epochs from an independent init before the first pass.</summary>
    public int Epochs { get; init; } = 5;

    public double Lr { get; init; } = 0.01;

    public double Momentum { get; init; } = 0.9;

    public double WeightDecay { get; init; }

    public int BatchSize { get; init; } = 64;

    public int EvalBatchSize { get; init; } = Training.Evaluation.DefaultBatchSize;
}

public sealed record FedMatchConfig
{
    /// <summary>σ² (a variance).</summary>
    public double Sigma { get; init; } = 1.0;

    /// <summary>σ0² (a variance).</summary>
    public double Sigma0 { get; init; } = 1.0;

    /// <summary>γ of the first pass.</summary>
    public double Gamma { get; init; } = 7.0;

    /// <summary>γ in communication rounds; null = <see cref="Gamma"/> (the LSTM code uses 1e-3 after 1e-5).</summary>
    public double? GammaRounds { get; init; }

    /// <summary>Refinement sweeps.</summary>
    public int It { get; init; } = 5;

    public double Mu0Weight { get; init; }

    public double Mu0Bias { get; init; } = 0.1;

    public int PopularityCap { get; init; } = 10;

    public int MaxGlobalWidth { get; init; } = 700;

    /// <summary>posterior, ownerMean or meanOverJ (Q1).</summary>
    public string Estimator { get; init; } = "posterior";

    /// <summary>Also run a pass with ownerMean from the same local models (R2's ablation).</summary>
    public bool EstimatorAblation { get; init; }

    /// <summary>Er: epochs of each retraining stage and of each communication round's local training.</summary>
    public int RetrainEpochs { get; init; } = 2;

    public double RetrainLr { get; init; } = 0.01;

    public double RetrainMomentum { get; init; } = 0.9;

    public double RetrainWeightDecay { get; init; }

    /// <summary>Classifier-only stage (Q5): lr × this, epochs × <see cref="ClassifierEpochScale"/>, weight decay below.</summary>
    public double ClassifierLrScale { get; init; } = 0.1;

    public int ClassifierEpochScale { get; init; } = 3;

    public double ClassifierWeightDecay { get; init; } = 1e-4;

    /// <summary>perClassShare (CNN) or uniform (LSTM).</summary>
    public string ClassifierAveraging { get; init; } = "perClassShare";

    /// <summary>R: FedMA communication rounds after the first pass.</summary>
    public int CommRounds { get; init; }

    /// <summary>localSubmodel (each client gets its reconstructed model) or fullGlobal (the whole global model plus
    /// its assignments; larger).</summary>
    public string ReconstructPayload { get; init; } = "localSubmodel";
}

public sealed record FedAvgConfig
{
    public int Rounds { get; init; } = 4;

    /// <summary>E per round.</summary>
    public int LocalEpochs { get; init; } = 5;

    public double Lr { get; init; } = 0.01;

    public double Momentum { get; init; } = 0.9;

    public double WeightDecay { get; init; } = 1e-4;

    /// <summary>FedProx's μ.</summary>
    public double Mu { get; init; } = 0.001;

    /// <summary>sharedRandom (textbook) or averageOfLocals (the code, Q6).</summary>
    public string Init { get; init; } = "sharedRandom";

    public double FractionFit { get; init; } = 1.0;

    public int MinFitClients { get; init; } = 2;

    public bool AcceptFailures { get; init; } = true;
}

public sealed record FedRunConfig
{
    /// <summary>Phases, run in a fixed order: locals, ensemble, naive, oneshot, fedma, fedavg, fedprox.</summary>
    public string[] Strategies { get; init; } = ["locals", "ensemble", "naive", "oneshot", "fedma", "fedavg", "fedprox"];
}

public sealed record FedRuntimeConfig
{
    /// <summary>Per-message timeout (a client that does not answer in time is a failure of that round).</summary>
    public double TimeoutSeconds { get; init; } = 600;

    /// <summary>Largest message in MiB (gRPC send/receive limit and the update check).</summary>
    public double MaxMessageMb { get; init; } = 256;

    /// <summary>Clients that must be connected before the first round (0 = data.clients).</summary>
    public int MinClients { get; init; }
}
