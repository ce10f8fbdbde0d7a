using System.Globalization;
using Tessera.Training;

namespace Tessera.Methods.FedMA;

/// <summary>The result of one layer-wise pass: the global model, every client's assignments per matched layer, the
/// global widths, and the retraining losses.</summary>
public sealed record PassResult(ArrayRecord Global, IReadOnlyDictionary<string, int[][]> Assignments, int[] Widths);

/// <summary>What a FedMA pass matches and trains with (a resolved, per-pass view of <see cref="FedMatchConfig"/>).</summary>
public sealed record PassSettings(BbpMapOptions Matching, double Mu0Weight, double Mu0Bias, LocalTrainSpec Retrain, LocalTrainSpec ClassifierStage,
    bool PerClassShare);

/// <summary>
/// FedMA on the server (spec §2.4, §2.5, §2.11) as typed messages: per matched layer, every client uploads the layer
/// (<see cref="MessageKinds.Upload"/>), the server matches it with <see cref="BbpMap"/>, and sends each client the global
/// layer with its assignment (<see cref="MessageKinds.Install"/>), on which the client patches the next layer and
/// retrains the layers above with the lower ones frozen; the classifier is then averaged by class share. FedMA with
/// communication sends each client its RECONSTRUCTed model (<see cref="MessageKinds.Reconstruct"/>), lets it train,
/// and runs the pass again. Every client must answer every step; a failure fails the round.
/// </summary>
public sealed class FedMaStrategy
{
    private readonly FedArchitecture _arch;
    private readonly Grid _grid;
    private readonly IReadOnlyList<string> _clients;
    private readonly IReadOnlyDictionary<string, long[]> _classCounts;
    private readonly ArrayRecord _template;
    private readonly long _seed;
    private readonly Action<string> _info;

    public FedMaStrategy(FedArchitecture arch, Grid grid, IReadOnlyList<string> clients, IReadOnlyDictionary<string, long[]> classCounts,
        long seed, Action<string> info)
    {
        (_arch, _grid, _clients, _classCounts, _seed, _info) = (arch, grid, clients, classCounts, seed, info);
        using var model = arch.Create(arch.LocalWidths);
        _template = ModelWeights.Get(model);
    }

    public FedArchitecture Architecture => _arch;

    /// <summary>One layer-wise pass over the clients' current models.</summary>
    public PassResult Pass(long round, PassSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        int n = _arch.MatchedLayers;
        var global = new ArrayRecord();
        var assignments = _clients.ToDictionary(c => c, _ => new int[n][]);
        var widths = new int[n];
        for (int l = 0; l < n; l++)
        {
            LayerSpec layer = _arch.Layers[l];
            int inputs = l == 0 ? 0 : widths[l - 1];
            var expect = FedMaMath.LayerShapes(_arch, _template, l, _arch.LocalWidths[l], inputs);
            RoundReplies up = SendAll(round, new FedInstruction(MessageKinds.Upload, round, [], new ConfigMap().Set("layer", l)) { Expect = expect });
            ArrayRecord[] uploads = up.Results.Select(r => r.Reply.Arrays).ToArray();
            double[][][] vectors = uploads.Select(u => LayerOps.Vectors(u, layer)).ToArray();
            double[] mu0 = LayerOps.Mu0(layer, vectors[0].Length > 0 ? vectors[0][0].Length : 0, settings.Mu0Weight, settings.Mu0Bias);
            MatchResult match = BbpMap.Match(vectors, mu0, settings.Matching, StepSeeds.For(_seed, round, $"match/layer{l}"));
            ArrayRecord globalLayer = LayerOps.Aggregate(layer, uploads, match);
            widths[l] = match.Width;
            foreach (NamedArray a in globalLayer)
            {
                global.Add(a);
            }
            bool classifierNext = l + 1 == n;
            LocalTrainSpec spec = classifierNext ? settings.ClassifierStage : settings.Retrain;
            _info(string.Create(CultureInfo.InvariantCulture,
                $"round {round} layer {layer.Name}: global width {match.Width} (local {string.Join("/", vectors.Select(v => v.Length))}); retrain {(classifierNext ? "classifier" : "layers above")} {spec.Epochs} epochs, SGD lr {spec.Lr:G3}, momentum {spec.Momentum}, weight decay {spec.WeightDecay:G3}"));
            var installs = new List<(string, FedInstruction)>();
            for (int j = 0; j < _clients.Count; j++)
            {
                assignments[_clients[j]][l] = match.Assignments[j];
                ArrayRecord payload = globalLayer.Clone();
                payload.Add(NamedArray.OfInts("assignment", [match.Assignments[j].Length], match.Assignments[j]));
                installs.Add((_clients[j], new FedInstruction(MessageKinds.Install, round, payload, spec.ToConfig().Set("layer", l))));
            }
            Require(round, _grid.SendAndReceive(installs), "install");
        }
        var classifierExpect = FedMaMath.LayerShapes(_arch, _template, n, 0, widths[n - 1]);
        RoundReplies cls = SendAll(round, new FedInstruction(MessageKinds.Upload, round, [], new ConfigMap().Set("layer", n)) { Expect = classifierExpect });
        ArrayRecord classifier = LayerOps.AverageClassifier(_arch.Classifier, cls.Results.Select(r => r.Reply.Arrays).ToArray(),
            settings.PerClassShare ? _clients.Select(c => _classCounts[c]).ToArray() : null);
        foreach (NamedArray a in classifier)
        {
            global.Add(a);
        }
        var install = new FedInstruction(MessageKinds.Install, round, classifier, new LocalTrainSpec(0, settings.Retrain.Lr, 0, 0, settings.Retrain.BatchSize).ToConfig().Set("layer", n));
        Require(round, _grid.SendAndReceive(Grid.ToAll(_clients, install)), "install classifier");
        return new PassResult(global, assignments, widths);
    }

    /// <summary>FedMA with communication, first half of a round: each client gets its model back (RECONSTRUCT, or the
    /// full global model plus assignments) and trains all layers.</summary>
    public void Reconstruct(long round, ArrayRecord global, IReadOnlyDictionary<string, int[][]> assignments, LocalTrainSpec train, bool fullGlobal)
    {
        ArgumentNullException.ThrowIfNull(global);
        ArgumentNullException.ThrowIfNull(assignments);
        ArgumentNullException.ThrowIfNull(train);
        var messages = new List<(string, FedInstruction)>();
        foreach (string c in _clients)
        {
            ArrayRecord payload;
            if (fullGlobal)
            {
                payload = global.Clone();
                for (int l = 0; l < assignments[c].Length; l++)
                {
                    payload.Add(NamedArray.OfInts($"assignment/{l}", [assignments[c][l].Length], assignments[c][l]));
                }
            }
            else
            {
                payload = FedMaMath.Reconstruct(_arch, global, assignments[c]);
            }
            ConfigMap config = train.ToConfig().Set("payload", fullGlobal ? "fullGlobal" : "localSubmodel");
            messages.Add((c, new FedInstruction(MessageKinds.Reconstruct, round, payload, config)));
        }
        Require(round, _grid.SendAndReceive(messages), "reconstruct");
    }

    private RoundReplies SendAll(long round, FedInstruction instruction) =>
        Require(round, _grid.SendAndReceive(Grid.ToAll(_clients, instruction)), instruction.Kind);

    private RoundReplies Require(long round, RoundReplies replies, string step)
    {
        if (replies.Failures.Count > 0)
        {
            throw new RoundFailedException(round, $"FedMA needs every client at every step, but at '{step}' " +
                string.Join("; ", replies.Failures.Select(f => $"{f.ClientId}: {f.Reason}")));
        }
        return replies;
    }

    /// <summary>Assignments as int arrays for a checkpoint ("assignment/&lt;client&gt;/&lt;layer&gt;").</summary>
    public static IEnumerable<NamedArray> AssignmentArrays(IReadOnlyDictionary<string, int[][]> assignments) =>
        assignments.SelectMany(kv => kv.Value.Select((a, l) =>
            NamedArray.OfInts($"assignment/{kv.Key}/{l.ToString(CultureInfo.InvariantCulture)}", [a.Length], a)));

    /// <summary>Reads back <see cref="AssignmentArrays"/>.</summary>
    public static Dictionary<string, int[][]> ReadAssignments(ArrayRecord arrays, IReadOnlyList<string> clients, int layers)
    {
        ArgumentNullException.ThrowIfNull(arrays);
        return clients.ToDictionary(c => c, c => Enumerable.Range(0, layers)
            .Select(l => arrays[$"assignment/{c}/{l.ToString(CultureInfo.InvariantCulture)}"].I).ToArray());
    }
}
