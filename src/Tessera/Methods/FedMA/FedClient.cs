using System.Globalization;
using Tessera.Training;

namespace Tessera.Methods.FedMA;

/// <summary>
/// A stateful federated client: its data, the architecture, and its current model (as a weight record). Answers
/// Flower's four calls (properties, parameters, fit, evaluate) and FedMA's steps: local training from an independent
/// init, restoring that local model, uploading one layer, installing a matched layer (set it, patch the next layer's
/// inputs, retrain the layers above with the lower ones frozen) and RECONSTRUCT followed by local training.
/// Every random draw derives from (seed, client, round, step), so the same instruction gives the same reply in any
/// process.
/// </summary>
public sealed class FedClient : IClientTrainer, IDisposable
{
    private readonly FedArchitecture _arch;
    private readonly ClientData _data;
    private readonly long _seed;
    private readonly int _evalBatch;
    private ArrayRecord? _weights;
    private ArrayRecord? _local;
    private nn.Module<Tensor, Tensor>? _model;
    private int[] _modelWidths = [];

    public FedClient(int index, FedArchitecture arch, ClientData data, long seed, int evalBatch = Evaluation.DefaultBatchSize)
    {
        (Index, _arch, _data, _seed, _evalBatch) = (index, arch, data, seed, evalBatch);
    }

    public int Index { get; }

    /// <summary>The current model's weights (null before any training or install).</summary>
    public ArrayRecord? Weights => _weights;

    /// <summary>A <see cref="ClientApp"/> answering Flower's calls and FedMA's steps with this client.</summary>
    public ClientApp App() => new ClientApp(this)
        .On(MessageKinds.LocalTrain, LocalTrain)
        .On("fedma.restore", _ =>
        {
            _weights = (_local ?? throw new InvalidOperationException("No local model to restore: run fedma.local_train first.")).Clone();
            return FedReply.Ok(ArrayRecord.Empty, 0, ConfigMap.Empty);
        })
        .On(MessageKinds.Upload, Upload)
        .On(MessageKinds.Install, Install)
        .On(MessageKinds.Reconstruct, Reconstruct);

    public ConfigMap GetProperties(ConfigMap config)
    {
        var p = new ConfigMap().Set("client", Index).Set("num_examples", _data.Count).Set("num_classes", _data.NumClasses);
        for (int k = 0; k < _data.NumClasses; k++)
        {
            p.Set($"class_count/{k.ToString(CultureInfo.InvariantCulture)}", _data.ClassCounts[k]);
        }
        return p;
    }

    public ArrayRecord GetParameters(ConfigMap config) =>
        (_weights ?? throw new InvalidOperationException("The client has no model yet.")).Clone();

    public FitResult Fit(ArrayRecord parameters, ConfigMap config)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(config);
        LocalTrainSpec spec = LocalTrainSpec.FromConfig(config);
        long round = config.Long("round", 0);
        (ArrayRecord weights, double loss) = Train(parameters, spec, Seed("fit", round, 0));
        _weights = weights;
        return new FitResult(weights.Clone(), _data.Count, new ConfigMap().Set("loss", loss));
    }

    public EvaluateResult Evaluate(ArrayRecord parameters, ConfigMap config)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        nn.Module<Tensor, Tensor> model = Build(parameters);
        ClassifierScore score = Evaluation.Classifier(model, _data.X, _data.Y, _evalBatch);
        return new EvaluateResult(score.Loss, score.Count, new ConfigMap().Set("acc", score.Accuracy));
    }

    private FedReply LocalTrain(FedInstruction ins)
    {
        LocalTrainSpec spec = LocalTrainSpec.FromConfig(ins.Config);
        torch.random.manual_seed(StepSeeds.For(_seed, Index, "local-init"));
        ArrayRecord init;
        using (var fresh = _arch.Create(_arch.LocalWidths))
        {
            init = ModelWeights.Get(fresh);
        }
        (ArrayRecord weights, double loss) = Train(init, spec, Seed("local", ins.Round, 0));
        _weights = weights;
        _local = weights.Clone();
        return FedReply.Ok(ArrayRecord.Empty, _data.Count, new ConfigMap().Set("loss", loss));
    }

    private FedReply Upload(FedInstruction ins)
    {
        LayerSpec layer = _arch.Layers[ins.Config.Int("layer")];
        ArrayRecord weights = _weights ?? throw new InvalidOperationException("The client has no model yet.");
        return FedReply.Ok(LayerOps.Extract(weights, layer), _data.Count, ConfigMap.Empty);
    }

    private FedReply Install(FedInstruction ins)
    {
        int l = ins.Config.Int("layer");
        LayerSpec layer = _arch.Layers[l];
        ArrayRecord weights = (_weights ?? throw new InvalidOperationException("The client has no model yet.")).Clone();
        foreach (string name in layer.ParameterNames)
        {
            weights.Set(ins.Arrays[name].Clone());
        }
        if (l < _arch.MatchedLayers)
        {
            int[] assignment = ins.Arrays["assignment"].I;
            int width = LayerOps.Width(weights, layer);
            weights.Set(LayerOps.PatchInputs(weights, _arch.Layers[l + 1], assignment, width));
        }
        LocalTrainSpec spec = LocalTrainSpec.FromConfig(ins.Config) with
        {
            Trainable = _arch.Layers.Skip(l + 1).Select(x => x.Name).ToArray(),
        };
        double loss = double.NaN;
        if (spec.Epochs > 0 && spec.Trainable.Length > 0)
        {
            (weights, loss) = Train(weights, spec, Seed("retrain", ins.Round, l));
        }
        _weights = weights;
        var metrics = new ConfigMap();
        if (double.IsFinite(loss))
        {
            metrics.Set("loss", loss);
        }
        return FedReply.Ok(ArrayRecord.Empty, _data.Count, metrics);
    }

    private FedReply Reconstruct(FedInstruction ins)
    {
        ArrayRecord weights;
        if (ins.Config.String("payload", "localSubmodel") == "fullGlobal")
        {
            int[][] assignments = Enumerable.Range(0, _arch.MatchedLayers).Select(l => ins.Arrays[$"assignment/{l}"].I).ToArray();
            weights = FedMaMath.Reconstruct(_arch, ins.Arrays.Where(a => a.Type == ArrayType.Float32), assignments);
        }
        else
        {
            weights = ins.Arrays.Clone();
        }
        LocalTrainSpec spec = LocalTrainSpec.FromConfig(ins.Config);
        (weights, double loss) = Train(weights, spec, Seed("round", ins.Round, 0));
        _weights = weights;
        var metrics = new ConfigMap();
        if (double.IsFinite(loss))
        {
            metrics.Set("loss", loss);
        }
        return FedReply.Ok(ArrayRecord.Empty, _data.Count, metrics);
    }

    private (ArrayRecord Weights, double Loss) Train(ArrayRecord start, LocalTrainSpec spec, long seed)
    {
        nn.Module<Tensor, Tensor> model = Build(start);
        double loss = LocalTraining.Run(model, _data, spec, seed);
        return (ModelWeights.Get(model), loss);
    }

    /// <summary>The client's model with <paramref name="weights"/> loaded; one module is kept and rebuilt only when the
    /// widths change (FedMA's installs and RECONSTRUCT change them).</summary>
    private nn.Module<Tensor, Tensor> Build(ArrayRecord weights)
    {
        int[] widths = _arch.WidthsOf(weights);
        if (_model is null || !widths.AsSpan().SequenceEqual(_modelWidths))
        {
            _model?.Dispose();
            _model = _arch.Create(widths);
            _modelWidths = widths;
        }
        ModelWeights.Load(_model, weights);
        return _model;
    }

    private long Seed(string what, long round, int layer) =>
        StepSeeds.For(_seed, round, $"{what}/client{Index.ToString(CultureInfo.InvariantCulture)}/layer{layer.ToString(CultureInfo.InvariantCulture)}");

    public void Dispose()
    {
        _model?.Dispose();
        _model = null;
    }
}
