using System.Globalization;
using System.Text.Json.Nodes;
using Tessera.Experiments;
using Tessera.Training;

namespace Tessera.Methods.FedMA;

/// <summary>
/// The server side of a federated run, for any transport: connects the clients, then runs the configured phases in
/// order (locals → ensemble → naive average → one-shot matching → FedMA pass and rounds → FedAvg → FedProx), evaluates
/// every global model on the server's test set, logs accuracy, loss, bytes and widths per round to metrics.jsonl
/// (split = strategy, step = round), checkpoints every round of a single round-based strategy, and returns the summary.
/// </summary>
public sealed class FedmaRunner : IDisposable
{
    private readonly FedmaConfig _config;
    private readonly RunContext _ctx;
    private readonly IFederationTransport _transport;
    private readonly FedArchitecture _arch;
    private readonly ServerEvaluator _evaluator;
    private readonly JsonObject _summary = [];
    private IReadOnlyList<string> _clients = [];
    private Dictionary<string, long[]> _classCounts = [];
    private Dictionary<string, long> _examples = [];
    private List<ArrayRecord>? _locals;
    private long _localParameters;

    public FedmaRunner(FedmaConfig config, RunContext ctx, IFederationTransport transport, FedArchitecture arch, ClientData test)
    {
        (_config, _ctx, _transport, _arch) = (config, ctx, transport, arch);
        _evaluator = new ServerEvaluator(arch, test, config.Train.EvalBatchSize);
        using var model = arch.Create(arch.LocalWidths);
        _localParameters = ModelWeights.ParameterCount(ModelWeights.Get(model));
    }

    private bool Has(string strategy) => _config.Run.Strategies.Contains(strategy);

    public JsonObject Run()
    {
        ServerCheckpoint.Saved? saved = null;
        if (_ctx.ResumeStep > 0)
        {
            if (_config.Run.Strategies.Length != 1 || !(Has("fedavg") || Has("fedprox") || Has("fedma")))
            {
                throw new InputException("--resume continues runs of a single round-based strategy (run.strategies = [fedavg], [fedprox] or [fedma]).");
            }
            saved = ServerCheckpoint.Latest(_ctx.Dir.CheckpointsDir)
                ?? throw new InputException($"'{_ctx.Dir.CheckpointsDir}' holds no server checkpoint to resume from.");
            _ctx.Info($"resuming after round {saved.Round}");
        }
        Connect();
        _summary["clients"] = _clients.Count;
        _summary["local_parameters"] = _localParameters;
        bool needLocals = saved is null && (Has("locals") || Has("ensemble") || Has("naive") || Has("oneshot") || Has("fedma")
            || ((Has("fedavg") || Has("fedprox")) && _config.Fedavg.Init == "averageOfLocals"));
        if (needLocals)
        {
            TrainLocals();
        }
        if (Has("oneshot"))
        {
            OneShot();
        }
        if (Has("fedma"))
        {
            FedMa(saved);
        }
        foreach (string name in new[] { "fedavg", "fedprox" }.Where(Has))
        {
            FedAvgRounds(name, saved);
        }
        _summary["checks"] = SpecChecks.Evaluate(_summary, _config, _arch);
        return _summary;
    }

    private void Connect()
    {
        int wanted = _config.Federation.MinClients > 0 ? _config.Federation.MinClients : _config.Data.Clients;
        _ctx.Info($"waiting for {wanted} clients");
        IReadOnlyList<string> connected = _transport.WaitForClients(wanted, TimeSpan.FromSeconds(_config.Federation.TimeoutSeconds), _ctx.Cancel);
        if (connected.Count < wanted)
        {
            throw new RunFailedException($"Only {connected.Count} of {wanted} clients connected within {_config.Federation.TimeoutSeconds} s ({string.Join(", ", connected)}).");
        }
        _clients = connected.OrderBy(c => c, ClientIds.Comparer).ToArray();
        var grid = NewGrid();
        RoundReplies props = grid.SendAndReceive(Grid.ToAll(_clients, new FedInstruction(MessageKinds.GetProperties, 0, [], [])), _ctx.Cancel, count: false);
        if (props.Failures.Count > 0)
        {
            throw new RunFailedException("Clients failed to report their properties: " + string.Join("; ", props.Failures.Select(f => $"{f.ClientId}: {f.Reason}")));
        }
        _classCounts = props.Results.ToDictionary(r => r.ClientId, r =>
        {
            int k = r.Reply.Metrics.Int("num_classes");
            return Enumerable.Range(0, k).Select(c => r.Reply.Metrics.Long($"class_count/{c.ToString(CultureInfo.InvariantCulture)}")).ToArray();
        });
        _examples = props.Results.ToDictionary(r => r.ClientId, r => r.Reply.Metrics.Long("num_examples"));
        _ctx.Info($"clients: {string.Join(", ", _clients.Select(c => $"{c} ({_examples[c]} examples)"))}");
    }

    private Grid NewGrid() => new(_transport,
        new GridOptions
        {
            Timeout = TimeSpan.FromSeconds(_config.Federation.TimeoutSeconds),
            MaxMessageBytes = (long)(_config.Federation.MaxMessageMb * 1024 * 1024),
        },
        _ctx.Info);

    private LocalTrainSpec LocalSpec => new(_config.Train.Epochs, _config.Train.Lr, _config.Train.Momentum, _config.Train.WeightDecay, _config.Train.BatchSize);

    private void TrainLocals()
    {
        Grid grid = NewGrid();
        _ctx.Info($"local training: {_config.Train.Epochs} epochs from independent inits");
        RoundReplies trained = grid.SendAndReceive(Grid.ToAll(_clients, new FedInstruction(MessageKinds.LocalTrain, 0, [], LocalSpec.ToConfig())), _ctx.Cancel);
        Require(trained, "local training");
        bool fetch = Has("locals") || Has("ensemble") || Has("naive") || _config.Fedavg.Init == "averageOfLocals";
        if (!fetch)
        {
            return;
        }
        RoundReplies got = grid.SendAndReceive(Grid.ToAll(_clients, new FedInstruction(MessageKinds.GetParameters, 0, [], [])), _ctx.Cancel, count: false);
        Require(got, "get_parameters");
        _locals = got.Results.Select(r => r.Reply.Arrays).ToList();
        if (Has("locals"))
        {
            var accs = new List<double>();
            foreach ((ClientResult r, int i) in got.Results.Select((r, i) => (r, i)))
            {
                ClassifierScore s = _evaluator.Evaluate(_locals[i]);
                accs.Add(s.Accuracy);
                _ctx.Log(0, "locals", "acc", s.Accuracy, ("client", r.ClientId));
            }
            _summary["locals"] = new JsonObject
            {
                ["mean_acc"] = accs.Average(),
                ["min_acc"] = accs.Min(),
                ["max_acc"] = accs.Max(),
                ["acc"] = new JsonArray(accs.Select(a => (JsonNode)a).ToArray()),
            };
            _ctx.Info(string.Create(CultureInfo.InvariantCulture, $"locals: {string.Join(" ", accs.Select(a => a.ToString("F3", CultureInfo.InvariantCulture)))} (mean {accs.Average():F3})"));
        }
        if (Has("ensemble"))
        {
            ClassifierScore e = _evaluator.Ensemble(_locals);
            _ctx.Log(0, "ensemble", "acc", e.Accuracy);
            _summary["ensemble"] = new JsonObject { ["acc"] = e.Accuracy };
            _ctx.Info(string.Create(CultureInfo.InvariantCulture, $"ensemble: {e.Accuracy:F3}"));
        }
        if (Has("naive"))
        {
            ArrayRecord avg = LayerOps.WeightedAverage(_locals, _clients.Select(c => (double)_examples[c]).ToArray());
            ClassifierScore s = _evaluator.Evaluate(avg);
            _ctx.Log(0, "naive", "acc", s.Accuracy);
            _summary["naive"] = new JsonObject { ["acc"] = s.Accuracy };
            _ctx.Info(string.Create(CultureInfo.InvariantCulture, $"naive average of independent inits: {s.Accuracy:F3}"));
        }
    }

    private PassSettings Settings(double gamma, int retrainEpochs, string estimator)
    {
        FedMatchConfig f = _config.Fedma;
        var matching = new BbpMapOptions
        {
            Sigma = f.Sigma,
            Sigma0 = f.Sigma0,
            Gamma = gamma,
            Iterations = f.It,
            PopularityCap = f.PopularityCap,
            MaxGlobalWidth = f.MaxGlobalWidth,
            Estimator = estimator switch
            {
                "ownerMean" => Estimator.OwnerMean,
                "meanOverJ" => Estimator.MeanOverJ,
                _ => Estimator.Posterior,
            },
        };
        var retrain = new LocalTrainSpec(retrainEpochs, f.RetrainLr, f.RetrainMomentum, f.RetrainWeightDecay, _config.Train.BatchSize);
        var classifier = new LocalTrainSpec(retrainEpochs * f.ClassifierEpochScale, f.RetrainLr * f.ClassifierLrScale, f.RetrainMomentum,
            f.ClassifierWeightDecay, _config.Train.BatchSize);
        return new PassSettings(matching, f.Mu0Weight, f.Mu0Bias, retrain, classifier, f.ClassifierAveraging == "perClassShare");
    }

    private void Restore(Grid grid) =>
        Require(grid.SendAndReceive(Grid.ToAll(_clients, new FedInstruction("fedma.restore", 0, [], [])), _ctx.Cancel, count: false), "restore");

    private void OneShot()
    {
        Grid grid = NewGrid();
        Restore(grid);
        var strategy = new FedMaStrategy(_arch, grid, _clients, _classCounts, _config.Seed, _ctx.Info);
        PassResult pass = strategy.Pass(0, Settings(_config.Fedma.Gamma, 0, _config.Fedma.Estimator));
        ClassifierScore s = _evaluator.Evaluate(pass.Global);
        _ctx.Log(0, "oneshot", "acc", s.Accuracy);
        _ctx.Log(0, "oneshot", "bytes", grid.Bytes.Parameters);
        _summary["oneshot"] = new JsonObject { ["acc"] = s.Accuracy, ["widths"] = Ints(pass.Widths), ["bytes"] = grid.Bytes.Parameters };
        _ctx.Info(string.Create(CultureInfo.InvariantCulture, $"one-shot matching: {s.Accuracy:F3}, widths {string.Join("/", pass.Widths)}"));
    }

    private void FedMa(ServerCheckpoint.Saved? saved)
    {
        Grid grid = NewGrid();
        var strategy = new FedMaStrategy(_arch, grid, _clients, _classCounts, _config.Seed, _ctx.Info);
        FedMatchConfig f = _config.Fedma;
        ArrayRecord global;
        IReadOnlyDictionary<string, int[][]> assignments;
        long start;
        var rounds = new JsonArray();
        if (saved is not null)
        {
            global = saved.Arrays.Where(a => a.Type == ArrayType.Float32);
            assignments = FedMaStrategy.ReadAssignments(saved.Arrays, _clients, _arch.MatchedLayers);
            grid.Bytes.Restore(saved.State);
            start = saved.Round + 1;
        }
        else
        {
            Restore(grid);
            PassResult pass = strategy.Pass(0, Settings(f.Gamma, f.RetrainEpochs, f.Estimator));
            (global, assignments) = (pass.Global, pass.Assignments);
            LogFedMaRound("fedma", 0, pass, grid);
            SaveRound(0, global, FedMaStrategy.AssignmentArrays(assignments), grid);
            start = 1;
        }
        var roundTrain = new LocalTrainSpec(f.RetrainEpochs, f.RetrainLr, f.RetrainMomentum, f.RetrainWeightDecay, _config.Train.BatchSize);
        for (long r = start; r <= f.CommRounds; r++)
        {
            _ctx.Cancel.ThrowIfCancellationRequested();
            strategy.Reconstruct(r, global, assignments, roundTrain, f.ReconstructPayload == "fullGlobal");
            PassResult pass = strategy.Pass(r, Settings(f.GammaRounds ?? f.Gamma, f.RetrainEpochs, f.Estimator));
            (global, assignments) = (pass.Global, pass.Assignments);
            LogFedMaRound("fedma", r, pass, grid);
            SaveRound(r, global, FedMaStrategy.AssignmentArrays(assignments), grid);
        }
        _summary["fedma"] = Curve("fedma");
        if (f.EstimatorAblation && saved is null)
        {
            Grid g2 = NewGrid();
            Restore(g2);
            var ablation = new FedMaStrategy(_arch, g2, _clients, _classCounts, _config.Seed, _ctx.Info);
            PassResult pass = ablation.Pass(0, Settings(f.Gamma, f.RetrainEpochs, "ownerMean"));
            LogFedMaRound("fedma_ownermean", 0, pass, g2);
            _summary["fedma_ownermean"] = Curve("fedma_ownermean");
        }
    }

    private void LogFedMaRound(string split, long round, PassResult pass, Grid grid)
    {
        ClassifierScore s = _evaluator.Evaluate(pass.Global);
        _ctx.Log(round, split, "acc", s.Accuracy);
        _ctx.Log(round, split, "loss", s.Loss);
        _ctx.Log(round, split, "bytes", grid.Bytes.Parameters);
        _ctx.Log(round, split, "assignment_bytes", grid.Bytes.Assignments);
        _ctx.Log(round, split, "parameters", ModelWeights.ParameterCount(pass.Global));
        for (int l = 0; l < pass.Widths.Length; l++)
        {
            _ctx.Log(round, split, "width", pass.Widths[l], ("layer", _arch.Layers[l].Name));
        }
        _ctx.Info(string.Create(CultureInfo.InvariantCulture,
            $"{split} round {round}: acc {s.Accuracy:F3}, widths {string.Join("/", pass.Widths)}, {ModelWeights.ParameterCount(pass.Global)} parameters, {grid.Bytes.Parameters / 1e6:F2} MB so far"));
    }

    private void FedAvgRounds(string name, ServerCheckpoint.Saved? saved)
    {
        Grid grid = NewGrid();
        FedAvgConfig a = _config.Fedavg;
        var options = new FedAvgOptions
        {
            FractionFit = a.FractionFit,
            MinFitClients = a.MinFitClients,
            AcceptFailures = a.AcceptFailures,
            Train = new LocalTrainSpec(a.LocalEpochs, a.Lr, a.Momentum, a.WeightDecay, _config.Train.BatchSize),
        };
        Strategy strategy = name == "fedprox" ? new FedProx(options, a.Mu) : new FedAvg(options);
        var manager = new ClientManager(_transport, _config.Seed);
        ArrayRecord parameters;
        long start;
        if (saved is not null)
        {
            parameters = saved.Arrays;
            grid.Bytes.Restore(saved.State);
            start = saved.Round + 1;
        }
        else
        {
            parameters = InitialParameters();
            ClassifierScore s0 = _evaluator.Evaluate(parameters);
            _ctx.Log(0, name, "acc", s0.Accuracy);
            _ctx.Log(0, name, "loss", s0.Loss);
            _ctx.Log(0, name, "bytes", 0);
            start = 1;
        }
        for (long r = start; r <= a.Rounds; r++)
        {
            _ctx.Cancel.ThrowIfCancellationRequested();
            ConfigMap metrics;
            RoundReplies replies;
            try
            {
                (parameters, metrics, replies) = strategy.RunRound(r, parameters, grid, manager);
            }
            catch (RoundFailedException e)
            {
                _ctx.Log(r, name, "round_failed", 1);
                throw new RunFailedException($"{name} {e.Message}. The last completed round is checkpointed; continue with --resume once enough clients are back.");
            }
            ClassifierScore s = _evaluator.Evaluate(parameters);
            _ctx.Log(r, name, "acc", s.Accuracy);
            _ctx.Log(r, name, "loss", s.Loss);
            _ctx.Log(r, name, "bytes", grid.Bytes.Parameters);
            _ctx.Log(r, name, "train_loss", metrics.Double("train_loss", double.NaN));
            _ctx.Log(r, name, "results", replies.Results.Count);
            _ctx.Log(r, name, "failures", replies.Failures.Count);
            foreach (ClientResult c in replies.Results)
            {
                _ctx.Log(r, name, "client_loss", c.Reply.Metrics.Double("loss", double.NaN), ("client", c.ClientId));
            }
            _ctx.Info(string.Create(CultureInfo.InvariantCulture,
                $"{name} round {r}: acc {s.Accuracy:F3} ({replies.Results.Count} results, {replies.Failures.Count} failures), {grid.Bytes.Parameters / 1e6:F2} MB so far"));
            SaveRound(r, parameters, [], grid);
        }
        _summary[name] = Curve(name);
    }

    private ArrayRecord InitialParameters()
    {
        if (_config.Fedavg.Init == "averageOfLocals")
        {
            List<ArrayRecord> locals = _locals ?? throw new InvalidOperationException("averageOfLocals needs the local models.");
            return LayerOps.WeightedAverage(locals, _clients.Select(c => (double)_examples[c]).ToArray());
        }
        torch.random.manual_seed(StepSeeds.For(_config.Seed, 0, "shared-init"));
        using var model = _arch.Create(_arch.LocalWidths);
        return ModelWeights.Get(model);
    }

    private void SaveRound(long round, ArrayRecord parameters, IEnumerable<NamedArray> extra, Grid grid)
    {
        if (_config.Run.Strategies.Length != 1)
        {
            return;   // only single-strategy runs resume (their rounds are the steps of metrics.jsonl)
        }
        var arrays = new ArrayRecord(parameters);
        foreach (NamedArray a in extra)
        {
            arrays.Add(a);
        }
        ServerCheckpoint.Save(_ctx.Dir.CheckpointsDir, round, _ctx.WallSeconds, arrays, grid.Bytes.ToState());
    }

    /// <summary>Accuracy, bytes and widths per round of one strategy, read back from metrics.jsonl (so a resumed run's
    /// summary includes the rounds before the resume).</summary>
    private JsonObject Curve(string split)
    {
        IReadOnlyList<MetricRecord> all = MetricsWriter.Read(_ctx.Dir.MetricsFile).Where(m => m.Split == split).ToArray();
        double[] Values(string metric) => all.Where(m => m.Metric == metric && m.Extra is null).OrderBy(m => m.Step).Select(m => m.Value).ToArray();
        var curve = new JsonObject
        {
            ["acc"] = Doubles(Values("acc")),
            ["bytes"] = Doubles(Values("bytes")),
            ["final_acc"] = Values("acc").LastOrDefault(),
        };
        MetricRecord[] widths = all.Where(m => m.Metric == "width").ToArray();
        if (widths.Length > 0)
        {
            curve["widths"] = new JsonArray(widths.GroupBy(m => m.Step).OrderBy(g => g.Key)
                .Select(g => (JsonNode)Ints(g.Select(m => (int)m.Value).ToArray())).ToArray());
            curve["parameters"] = Doubles(Values("parameters"));
            curve["parameter_ratio"] = Values("parameters").Select(p => p / _localParameters).LastOrDefault();
        }
        return curve;
    }

    private static JsonArray Doubles(IEnumerable<double> values) => new(values.Select(v => (JsonNode)v).ToArray());

    private static JsonArray Ints(IEnumerable<int> values) => new(values.Select(v => (JsonNode)v).ToArray());

    public void Dispose() => _evaluator.Dispose();

    private static void Require(RoundReplies replies, string step)
    {
        if (replies.Failures.Count > 0)
        {
            throw new RunFailedException($"{step} failed on {string.Join("; ", replies.Failures.Select(f => $"{f.ClientId}: {f.Reason}"))}");
        }
    }
}
