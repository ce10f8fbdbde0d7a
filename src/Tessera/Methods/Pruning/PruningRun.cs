using System.Globalization;
using System.Text.Json.Nodes;
using Tessera.Experiments;
using Tessera.Training;

namespace Tessera.Methods.Pruning;

/// <summary>Labels the ticket-level metrics of one mask (which pruner, at which density, which variant).</summary>
internal sealed record TicketLabel(string Pruner, double Density, string Variant)
{
    public void Log(RunContext ctx, long step, string metric, double value) =>
        ctx.Log(step, "ticket", metric, value, ("pruner", Pruner), ("density", PruningRun.D(Density)), ("variant", Variant));
}

/// <summary>
/// One pruning run: for every configured pruner and density, find the ticket (Gem-Miner mining, Edge-popup, IMP/LRR
/// rounds, or a score at initialisation), train its weights with the mask fixed, and run the configured sanity checks,
/// each as its own phase (see <see cref="RunPhases"/>). Returns the summary.
/// </summary>
internal sealed class PruningRun : IDisposable
{
    private readonly PruningConfig _c;
    private readonly RunContext _ctx;
    private readonly PruningData _data;
    private readonly RunPhases _phases;
    private readonly RandomDistribution _distribution;

    public PruningRun(PruningConfig config, RunContext ctx)
    {
        (_c, _ctx) = (config, ctx);
        _data = new PruningData(config.Data, config.Seed);
        _phases = new RunPhases(ctx);
        _distribution = PruningConfig.ParseDistribution(config.Prune.RandomDistribution);
        using var probe = NewModel();
        PrunableWeights = MaskSet.Attach(probe, Options).Total;
    }

    public long PrunableWeights { get; }

    private MaskingOptions Options => new() { Exempt = _c.Prune.Exempt };

    /// <summary>A density as it appears in job names and metrics (e.g. 0.014).</summary>
    public static string D(double density) => density.ToString("0.######", CultureInfo.InvariantCulture);

    public void Dispose() => _data.Dispose();

    public JsonObject Run()
    {
        _ctx.Info(string.Create(CultureInfo.InvariantCulture,
            $"{_c.Model.Name} on {_c.Data.Dataset}: {_data.TrainCount} training images, {PrunableWeights:N0} prunable weights; pruners {string.Join(", ", _c.Prune.Pruners)} at densities {string.Join(", ", _c.Prune.Densities.Select(D))}"));
        var tickets = new JsonObject();
        var rounds = new JsonObject();
        foreach (string pruner in _c.Prune.Pruners)
        {
            switch (pruner)
            {
                case PrunerNames.Imp or PrunerNames.Lrr:
                    (JsonArray history, IEnumerable<(string, JsonObject)> jobs) = ImpJob(pruner == PrunerNames.Lrr);
                    rounds[pruner] = history;
                    foreach ((string id, JsonObject job) in jobs)
                    {
                        tickets[id] = job;
                    }
                    break;
                default:
                    foreach (double d in _c.Prune.Densities)
                    {
                        tickets[Job(pruner, d)] = pruner switch
                        {
                            PrunerNames.GemMiner => GemMinerJob(d),
                            PrunerNames.EdgePopup => EdgePopupJob(d),
                            _ => ScoreJob(pruner, d),
                        };
                    }
                    break;
            }
        }
        var summary = new JsonObject
        {
            ["model"] = _c.Model.Name,
            ["dataset"] = _c.Data.Dataset,
            ["train_examples"] = _data.TrainCount,
            ["test_examples"] = _data.TestY.shape[0],
            ["prunable_weights"] = PrunableWeights,
            ["tickets"] = tickets,
        };
        if (rounds.Count > 0)
        {
            summary["imp_rounds"] = rounds;
        }
        if (Compare(tickets) is { } comparison)
        {
            summary["imp_vs_gem_miner"] = comparison;
        }
        return summary;
    }

    private static string Job(string pruner, double density) => $"{pruner}@{D(density)}";

    // ---------------------------------------------------------------- Gem-Miner

    private JsonObject GemMinerJob(double density)
    {
        string job = Job(PrunerNames.GemMiner, density);
        JsonObject mine = Mine(job, $"{job}/mine", density, invert: false);
        JsonObject ticket = TrainTicket($"{job}/finetune", _c.Finetune, () => LoadTicket(job), new TicketLabel(PrunerNames.GemMiner, density, "ticket"));
        var summary = new JsonObject
        {
            ["pruner"] = PrunerNames.GemMiner,
            ["target_density"] = density,
            ["density"] = Copy(mine, "density"),
            ["flag_density"] = Copy(mine, "flag_density"),
            ["effective_density"] = Copy(mine, "effective_density"),
            ["pre_ft_acc"] = Copy(mine, "pre_ft_acc"),
            ["pre_ft_acc_final_mask"] = Copy(mine, "pre_ft_acc_final_mask"),
            ["post_ft_acc"] = Copy(ticket, "post_ft_acc"),
            ["ticket_epochs"] = _c.Mine.Epochs,
            ["ticket_wall_s"] = Copy(mine, "wall_s"),
            ["finetune_epochs"] = _c.Finetune.Epochs,
            ["finetune_wall_s"] = Copy(ticket, "wall_s"),
            ["weights_unchanged_by_mining"] = Copy(mine, "weights_unchanged"),
            ["pruned_weights_nonzero_after_finetune"] = Copy(ticket, "pruned_nonzero"),
            ["kept_zero_weights"] = Copy(ticket, "kept_zero_weights"),
            ["freeze_events"] = Copy(mine, "events"),
            ["layer_densities"] = Copy(mine, "layers"),
        };
        if (mine["stopped_after_epoch"] is not null)
        {
            summary["collapsed_after_epoch"] = Copy(mine, "stopped_after_epoch");
        }
        AddSanity(summary, job, PrunerNames.GemMiner, density, _c.Finetune, invert: () =>
        {
            string inverted = $"{job}-inverted";
            JsonObject m = Mine(inverted, $"{job}/invert-mine", density, invert: true);
            JsonObject t = TrainTicket($"{job}/invert", _c.Finetune, () => LoadTicket(inverted), new TicketLabel(PrunerNames.GemMiner, density, "invert"));
            return (m, t);
        });
        return summary;
    }

    /// <summary>Gem-Miner's mining phase (spec §2.4, the code's order of operations). <paramref name="invert"/> freezes
    /// the top scores instead (the score-inversion sanity check); there the forward mask H(p)·q empties by design (the
    /// high scores are the ones frozen), so the collapse exit is not taken and q follows the schedule to the target
    /// density (pitfall 15: the inverted run's density equals s). Saves the ticket as an artifact named
    /// <paramref name="job"/>: the initial weights, the fine-tuning mask and the mining's BatchNorm statistics.</summary>
    private JsonObject Mine(string job, string phaseId, double density, bool invert)
    {
        MineConfig m = _c.Mine;
        long spe = _data.StepsPerEpoch(m.BatchSize);
        Phase p = _phases.Reserve(phaseId, m.Epochs * spe);
        JsonObject r = _phases.Result(phaseId);
        if (_phases.Finished(p))
        {
            return r;
        }
        using var model = NewModel();
        MaskSet masks = MaskSet.Attach(model, Options);
        using (Generator g = Gen("init-signed"))
        {
            PruningInit.SignedConstant(masks.Layers, g);
        }
        GemMiner gm;
        using (Generator g = Gen("scores-gem-miner"))
        {
            gm = GemMiner.Attach(masks, g);
        }
        FreezeSchedule schedule = m.Schedule == "paper" ? FreezeSchedule.Paper : FreezeSchedule.Code;
        IReadOnlyList<int> events = GemMiner.FreezeEpochs(m.Epochs, m.FreezeEvery, schedule);
        double rate = GemMiner.FreezeFraction(density, m.Epochs, m.FreezeEvery, schedule);
        ScoreRegularizer regularizer = m.Regularizer == "l1" ? ScoreRegularizer.L1 : ScoreRegularizer.L2;
        using OptimizerHelper optimizer = m.Optimizer == "adam"
            ? optim.Adam(gm.Scores, m.Lr)
            : optim.SGD(gm.Scores, m.Lr, m.Momentum);
        if (_phases.Fresh(p))
        {
            r["freeze_fraction"] = rate;
            r["events"] = new JsonArray();
            r["stopped"] = false;
            StartClock(r);
        }
        bool Stopped() => r["stopped"]!.GetValue<bool>();
        Func<long, double> cosine = Cosine(p, spe, m.Epochs, m.Lr);

        Tensor Loss(long step)
        {
            if (Stopped())
            {
                return gm.Penalty(0);                       // mining stopped after a collapse: no forward, lr 0
            }
            return gm.StepLoss(() =>
            {
                LabelledBatch b = _data.Batch((step - p.First) / spe, (step - p.First) % spe, m.BatchSize, step);
                return nn.functional.cross_entropy(model.call(b.X), b.Y);
            }, m.Lambda, regularizer);
        }

        Trainer trainer = NewTrainer(p, model, optimizer, Loss, step => Stopped() ? 0 : cosine(step), spe);
        gm.Wire(trainer);
        trainer.Evaluate = step =>
        {
            int epoch = (int)((step - p.First) / spe) - 1;
            double t0 = _ctx.WallSeconds;
            gm.Project();
            gm.Refresh();
            double acc = Accuracy(model);
            _ctx.Log(step, "test", "acc", acc, ("phase", phaseId));
            _ctx.Log(step, "mine", "effective_density", gm.EffectiveDensity, ("job", job), ("epoch", I(epoch)));
            _ctx.Log(step, "mine", "flag_density", gm.FlagDensity, ("job", job), ("epoch", I(epoch)));
            if (!Stopped() && events.Contains(epoch))
            {
                gm.Freeze(rate, invert);
                ((JsonArray)r["events"]!).Add(new JsonObject { ["epoch"] = epoch, ["flag_density"] = gm.FlagDensity });
                _ctx.Log(step, "mine", "flag_density_after_event", gm.FlagDensity, ("job", job), ("epoch", I(epoch)));
            }
            if (!invert && !Stopped() && gm.EffectiveDensity == 0)
            {
                _ctx.Info($"warning: {job}: every score fell to <= 0.5 after epoch {epoch} (collapse; lambda too large?): " +
                    "freezing once with r = 1 - s and stopping the mining, as the reference code does.");
                gm.Freeze(1 - density, invert);
                r["stopped"] = true;
                r["stopped_after_epoch"] = epoch;
            }
            else if (r["layer_collapse_epoch"] is null && masks.EmptyLayers() > 0)
            {
                _ctx.Info($"warning: {job}: {masks.EmptyLayers()} layer(s) have no weight left after epoch {epoch} (layer collapse).");
                r["layer_collapse_epoch"] = epoch;
            }
            AddSeconds(r, "eval_s", _ctx.WallSeconds - t0);
            if (step == p.Last)
            {
                FinishMining(job, model, masks, gm, r, step);
            }
            _ctx.Info(string.Create(CultureInfo.InvariantCulture,
                $"{phaseId} epoch {epoch + 1}/{m.Epochs}: acc {acc:P2}, flags {gm.FlagDensity:P2}, effective {gm.EffectiveDensity:P2}"));
        };
        trainer.Run();
        return r;
    }

    private void FinishMining(string job, nn.Module<Tensor, Tensor> model, MaskSet masks, GemMiner gm, JsonObject r, long step)
    {
        StopClock(r);
        r["flag_density"] = gm.FlagDensity;
        r["effective_density"] = gm.EffectiveDensity;
        r["pre_ft_acc"] = Accuracy(model);                        // the rare gem: H(p) ⊙ q after the last event
        using (var scope = torch.NewDisposeScope())
        {
            Tensor[] final = gm.FinalMasks(_c.Mine.Unflag);
            gm.Scored.RestoreWeights();
            masks.Set(final);
        }
        r["pre_ft_acc_final_mask"] = Accuracy(model);             // the fine-tuning mask, BatchNorm statistics of H(p) ⊙ q
        r["density"] = masks.Density;
        r["layers"] = Layers(masks);
        r["weights_unchanged"] = SameAsInitial(gm.Scored.Orig);
        SaveTicket(job, model, masks, gm.Scored.Orig, gm.AddedKeys());
        _ctx.Log(step, "mine", "pre_ft_acc", Number(r["pre_ft_acc"]), ("job", job));
        _ctx.Log(step, "mine", "ticket_wall_s", Number(r["wall_s"]), ("job", job));
        LogLayers(step, job, masks);
    }

    /// <summary>True when <paramref name="weights"/> equal, bit for bit, a fresh signed-constant initialisation.</summary>
    private bool SameAsInitial(IReadOnlyList<Tensor> weights)
    {
        using var fresh = NewModel();
        MaskSet masks = MaskSet.Attach(fresh, Options);
        using (Generator g = Gen("init-signed"))
        {
            PruningInit.SignedConstant(masks.Layers, g);
        }
        using var scope = torch.NewDisposeScope();
        return masks.Layers.Select((l, i) => l.Weight.detach().eq(weights[i]).all().item<bool>()).All(b => b);
    }

    // ---------------------------------------------------------------- Edge-popup

    private JsonObject EdgePopupJob(double density)
    {
        string job = Job(PrunerNames.EdgePopup, density);
        EdgePopupConfig e = _c.EdgePopup;
        long spe = _data.StepsPerEpoch(e.BatchSize);
        string phaseId = $"{job}/popup";
        Phase p = _phases.Reserve(phaseId, e.Epochs * spe);
        JsonObject r = _phases.Result(phaseId);
        if (!_phases.Finished(p))
        {
            using var model = NewModel();
            MaskSet masks = MaskSet.Attach(model, Options);
            using (Generator g = Gen("init-signed"))
            {
                PruningInit.SignedConstant(masks.Layers, g, fanScale: 1 - density);
            }
            EdgePopup popup;
            using (Generator g = Gen("scores-edge-popup"))
            {
                popup = EdgePopup.Attach(masks, density, e.Global, g);
            }
            using OptimizerHelper optimizer = optim.SGD(popup.Scores, e.Lr, e.Momentum, weight_decay: e.WeightDecay);
            if (_phases.Fresh(p))
            {
                StartClock(r);
            }
            Tensor Loss(long step)
            {
                popup.Refresh();
                LabelledBatch b = _data.Batch((step - p.First) / spe, (step - p.First) % spe, e.BatchSize, step);
                return nn.functional.cross_entropy(model.call(b.X), b.Y);
            }
            Trainer trainer = NewTrainer(p, model, optimizer, Loss, Cosine(p, spe, e.Epochs, e.Lr), spe);
            trainer.AfterBackward = _ => popup.ScoreGradients();
            trainer.Evaluate = step =>
            {
                double t0 = _ctx.WallSeconds;
                popup.Refresh();
                double acc = Accuracy(model);
                _ctx.Log(step, "test", "acc", acc, ("phase", phaseId));
                AddSeconds(r, "eval_s", _ctx.WallSeconds - t0);
                if (step == p.Last)
                {
                    StopClock(r);
                    r["pre_ft_acc"] = acc;
                    r["density"] = masks.Density;
                    r["layers"] = Layers(masks);
                    SaveTicket(job, model, masks, popup.Scored.Orig, popup.AddedKeys());
                    LogLayers(step, job, masks);
                }
            };
            trainer.Run();
        }
        JsonObject ticket = TrainTicket($"{job}/finetune", _c.Finetune, () => LoadTicket(job), new TicketLabel(PrunerNames.EdgePopup, density, "ticket"));
        var summary = TicketSummary(PrunerNames.EdgePopup, density, r, ticket, _c.EdgePopup.Epochs, _c.Finetune.Epochs);
        AddSanity(summary, job, PrunerNames.EdgePopup, density, _c.Finetune, invert: null);
        return summary;
    }

    // ---------------------------------------------------------------- scores at initialisation

    private JsonObject ScoreJob(string pruner, double density)
    {
        string job = Job(pruner, density);
        JsonObject r = Prune(job, pruner, density, invert: false);
        JsonObject ticket = TrainTicket($"{job}/finetune", _c.Finetune, () => LoadTicket(job), new TicketLabel(pruner, density, "ticket"));
        var summary = TicketSummary(pruner, density, r, ticket, 0, _c.Finetune.Epochs);
        AddSanity(summary, job, pruner, density, _c.Finetune, invert: pruner == PrunerNames.Random ? null : () =>
        {
            string inverted = $"{job}-inverted";
            JsonObject m = Prune(inverted, pruner, density, invert: true);
            JsonObject t = TrainTicket($"{job}/invert", _c.Finetune, () => LoadTicket(inverted), new TicketLabel(pruner, density, "invert"));
            return (m, t);
        });
        return summary;
    }

    /// <summary>A one-step phase: Kaiming-normal weights, then the pruner's mask at <paramref name="density"/>
    /// (the lowest scores instead when <paramref name="invert"/>). Saves the ticket artifact <paramref name="job"/>.</summary>
    private JsonObject Prune(string job, string pruner, double density, bool invert)
    {
        Phase p = _phases.Reserve($"{job}/prune", 1);
        JsonObject r = _phases.Result(p.Id);
        if (_phases.Finished(p))
        {
            return r;
        }
        using var model = NewModel();
        MaskSet masks = MaskSet.Attach(model, Options);
        using (Generator g = Gen("init-kaiming"))
        {
            PruningInit.KaimingNormal(masks.Layers, g);
        }
        using var initial = new TensorList(masks.Weights());
        double start = _ctx.WallSeconds;
        long keep = MaskSelection.KeepCount(masks.Total, density);
        using (var scope = torch.NewDisposeScope())
        {
            ScoreConfig s = _c.Scores;
            LabelledBatch[] Batches() => Enumerable.Range(0, s.Batches).Select(i => _data.Batch(0, i, s.BatchSize, -1 - i)).ToArray();
            switch (pruner)
            {
                case PrunerNames.SynFlow:
                    PruningScores.SynFlow(model, masks, _data.InputShape, density, s.SynflowIterations, largest: !invert);
                    break;
                case PrunerNames.Random:
                    using (Generator g = Gen($"random-pruner:{job}"))
                    {
                        long[][] shapes = masks.Layers.Select(l => l.Weight.shape).ToArray();
                        masks.Set(MaskSelection.Random(shapes, MaskSelection.LayerCounts(shapes, density, _distribution), g));
                    }
                    break;
                default:
                    Tensor[] scores = pruner switch
                    {
                        PrunerNames.Magnitude => PruningScores.Magnitude(masks),
                        PrunerNames.Snip => PruningScores.Snip(model, masks, Batches()),
                        PrunerNames.Grasp => PruningScores.Grasp(model, masks, Batches(), s.GraspTemperature),
                        _ => throw new InvalidOperationException($"No score pruner '{pruner}'."),
                    };
                    masks.Set(MaskSelection.GlobalTopK(scores, keep, largest: !invert));
                    break;
            }
        }
        r["wall_s"] = _ctx.WallSeconds - start;
        r["density"] = masks.Density;
        r["pre_ft_acc"] = Accuracy(model);
        r["layers"] = Layers(masks);
        SaveTicket(job, model, masks, initial.Items);
        LogLayers(p.Last, job, masks);
        _phases.Close(p, model);
        return r;
    }

    // ---------------------------------------------------------------- IMP and learning-rate rewinding

    private (JsonArray History, IEnumerable<(string, JsonObject)> Jobs) ImpJob(bool lrr)
    {
        ImpConfig c = _c.Imp;
        string name = lrr ? PrunerNames.Lrr : PrunerNames.Imp;
        int rounds = c.Rounds > 0 ? c.Rounds : _c.Prune.Densities.Max(d => Imp.RoundsFor(d, c.Rate));
        WeightTrainConfig t = c.Training;
        long spe = _data.StepsPerEpoch(t.BatchSize);
        if (!lrr && c.RewindStep > t.Epochs * spe)
        {
            throw new InputException($"imp.rewindStep = {c.RewindStep} is after the end of round 0 ({t.Epochs * spe} steps); lower it or raise imp.epochs.");
        }
        var history = new JsonArray();
        var results = new List<JsonObject>();
        for (int round = 0; round <= rounds; round++)
        {
            int k = round;
            string phaseId = $"{name}/round-{k}";
            JsonObject r = TrainTicket(phaseId, t, () => k == 0 ? ImpStart(name, lrr) : LoadTicket($"{name}-round-{k}"),
                new TicketLabel(name, Imp.DensityAfter(k, c.Rate), "round"),
                afterStep: (step, first, model) =>
                {
                    if (!lrr && k == 0 && c.RewindStep > 0 && step - first + 1 == c.RewindStep)
                    {
                        _phases.SaveArtifact($"{name}-rewind", model);
                    }
                },
                atEnd: (model, masks) =>
                {
                    if (k == rounds)
                    {
                        return;
                    }
                    using var scope = torch.NewDisposeScope();
                    Tensor[] next = Imp.PruneByMagnitude(masks, c.Rate);
                    using var scratch = NewModel();
                    MaskSet scratchMasks = MaskSet.Attach(scratch, Options);
                    if (lrr)
                    {
                        scratch.load_state_dict(model.state_dict());
                    }
                    else
                    {
                        _phases.LoadArtifact($"{name}-rewind", scratch);
                    }
                    Tensor[] rewound = scratchMasks.Weights();
                    scratchMasks.Set(next);
                    SaveTicket($"{name}-round-{k + 1}", scratch, scratchMasks, rewound);
                });
            results.Add(r);
            history.Add(new JsonObject
            {
                ["round"] = k,
                ["density"] = Copy(r, "density"),
                ["pre_ft_acc"] = Copy(r, "pre_ft_acc"),
                ["post_ft_acc"] = Copy(r, "post_ft_acc"),
                ["wall_s"] = Copy(r, "wall_s"),
            });
        }
        var jobs = new List<(string, JsonObject)>();
        foreach (double d in _c.Prune.Densities)
        {
            int k = Math.Min(rounds, Imp.RoundsFor(d, c.Rate));
            JsonObject ticket = results[k];
            var summary = new JsonObject
            {
                ["pruner"] = name,
                ["target_density"] = d,
                ["round"] = k,
                ["density"] = Copy(ticket, "density"),
                ["pre_ft_acc"] = Copy(ticket, "pre_ft_acc"),
                ["post_ft_acc"] = Copy(ticket, "post_ft_acc"),
                ["ticket_epochs"] = k * t.Epochs,
                ["ticket_wall_s"] = results.Take(k).Sum(x => Number(x["wall_s"])),
                ["finetune_epochs"] = t.Epochs,
                ["finetune_wall_s"] = Copy(ticket, "wall_s"),
                ["pruned_weights_nonzero_after_finetune"] = Copy(ticket, "pruned_nonzero"),
            };
            if (!lrr && k > 0)
            {
                AddSanity(summary, Job(name, d), name, Imp.DensityAfter(k, c.Rate), t, invert: null, ticketArtifact: $"{name}-round-{k}");
            }
            jobs.Add((Job(name, d), summary));
        }
        return (history, jobs);
    }

    private (nn.Module<Tensor, Tensor>, MaskSet) ImpStart(string name, bool lrr)
    {
        var model = NewModel();
        MaskSet masks = MaskSet.Attach(model, Options);
        using (Generator g = Gen("init-kaiming"))
        {
            PruningInit.KaimingNormal(masks.Layers, g);
        }
        if (!lrr && _c.Imp.RewindStep == 0)
        {
            _phases.SaveArtifact($"{name}-rewind", model);
        }
        return (model, masks);
    }

    // ---------------------------------------------------------------- weight training with a fixed mask

    /// <summary>Trains a ticket's weights with its mask fixed (spec §2.6): SGD with momentum and weight decay,
    /// MultiStep ×0.1, pruned gradients masked before and pruned weights re-zeroed after every step. Logs the
    /// accuracy before training (at the phase's first step) and after every epoch.</summary>
    private JsonObject TrainTicket(string phaseId, WeightTrainConfig t, Func<(nn.Module<Tensor, Tensor> Model, MaskSet Masks)> build,
        TicketLabel label, Action<long, long, nn.Module>? afterStep = null, Action<nn.Module, MaskSet>? atEnd = null)
    {
        long spe = _data.StepsPerEpoch(t.BatchSize);
        Phase p = _phases.Reserve(phaseId, t.Epochs * spe);
        JsonObject r = _phases.Result(phaseId);
        if (_phases.Finished(p))
        {
            return r;
        }
        (nn.Module<Tensor, Tensor> model, MaskSet masks) = build();
        using var owner = model;
        if (_phases.Fresh(p))
        {
            double pre = Accuracy(model);
            r["pre_ft_acc"] = pre;
            r["density"] = masks.Density;
            r["kept_zero_weights"] = KeptZero(masks);
            label.Log(_ctx, p.First + 1, "pre_ft_acc", pre);
            label.Log(_ctx, p.First + 1, "density", masks.Density);
            StartClock(r);
        }
        using OptimizerHelper optimizer = optim.SGD(model.parameters(), t.Lr, t.Momentum, weight_decay: t.WeightDecay);
        int[] milestones = t.EffectiveMilestones();
        Tensor Loss(long step)
        {
            LabelledBatch b = _data.Batch((step - p.First) / spe, (step - p.First) % spe, t.BatchSize, step);
            return nn.functional.cross_entropy(model.call(b.X), b.Y);
        }
        Trainer trainer = NewTrainer(p, model, optimizer, Loss, MultiStep(p, spe, t.Lr, milestones), spe);
        masks.Wire(trainer, step => afterStep?.Invoke(step, p.First, model));
        trainer.Evaluate = step =>
        {
            double t0 = _ctx.WallSeconds;
            double acc = Accuracy(model);
            _ctx.Log(step, "test", "acc", acc, ("phase", phaseId));
            AddSeconds(r, "eval_s", _ctx.WallSeconds - t0);
            if (step == p.Last)
            {
                StopClock(r);
                r["post_ft_acc"] = acc;
                r["pruned_nonzero"] = PrunedNonzero(masks);
                label.Log(_ctx, step, "post_ft_acc", acc);
                atEnd?.Invoke(model, masks);
            }
            _ctx.Info(string.Create(CultureInfo.InvariantCulture,
                $"{phaseId} epoch {(step - p.First) / spe}/{t.Epochs}: acc {acc:P2} (density {masks.Density:P2})"));
        };
        trainer.Run();
        return r;
    }

    /// <summary>Number of kept positions whose weight is exactly zero (0 for every initialisation used here: a kept
    /// zero weight would mean a mask selected weights that an earlier mask had already zeroed).</summary>
    private static long KeptZero(MaskSet masks)
    {
        using var scope = torch.NewDisposeScope();
        return masks.Layers.Sum(l => l.Weight.detach().eq(0).logical_and(l.Mask.ne(0)).sum().item<long>());
    }

    /// <summary>Number of pruned positions whose weight is not exactly zero (must be 0).</summary>
    private static long PrunedNonzero(MaskSet masks)
    {
        using var scope = torch.NewDisposeScope();
        return masks.Layers.Sum(l => l.Weight.detach().ne(0).logical_and(l.Mask.eq(0)).sum().item<long>());
    }

    /// <summary>A fresh model with a ticket loaded: the ticket's mask applied to its full weights (unless
    /// <paramref name="apply"/> is false, for a sanity check that changes the mask or the weights first).</summary>
    private (nn.Module<Tensor, Tensor>, MaskSet) LoadTicket(string artifact, bool apply = true)
    {
        var model = NewModel();
        MaskSet masks = MaskSet.Attach(model, Options);
        _phases.LoadArtifact(artifact, model);
        if (apply)
        {
            masks.Apply();
        }
        return (model, masks);
    }

    /// <summary>Saves a ticket: its mask, the FULL weights it starts from (<paramref name="weights"/>, unmasked, so that a
    /// shuffled or random mask of a sanity check selects real initial weights and not zeros), and the BatchNorm
    /// statistics; the tensors in <paramref name="skip"/> (a pruner's scores and flags) are left out. The model is left
    /// with the mask applied.</summary>
    private void SaveTicket(string name, nn.Module model, MaskSet masks, IReadOnlyList<Tensor> weights, IReadOnlyList<string>? skip = null)
    {
        using (torch.no_grad())
        {
            for (int i = 0; i < weights.Count; i++)
            {
                masks.Layers[i].Weight.copy_(weights[i]);
            }
        }
        _phases.SaveArtifact(name, model, skip);
        masks.Apply();
    }

    // ---------------------------------------------------------------- sanity checks

    /// <summary>Runs the configured sanity checks of a ticket, each fine-tuned like the ticket, and adds their results
    /// (and the ticket's gaps to them) to <paramref name="summary"/>.</summary>
    private void AddSanity(JsonObject summary, string job, string pruner, double density, WeightTrainConfig t,
        Func<(JsonObject Mask, JsonObject Trained)>? invert, string? ticketArtifact = null)
    {
        if (_c.Prune.Sanity.Length == 0)
        {
            return;
        }
        string artifact = ticketArtifact ?? job;
        var sanity = new JsonObject();
        foreach (string check in _c.Prune.Sanity)
        {
            JsonObject? trained = null;
            JsonObject? mask = null;
            switch (check)
            {
                case "invert" when invert is null:
                    _ctx.Info($"{job}: no score-inversion check for {pruner}.");
                    continue;
                case "invert":
                    (mask, trained) = invert!();
                    break;
                default:
                    trained = TrainTicket($"{job}/{check}", t, () => Variant(artifact, check, job), new TicketLabel(pruner, density, check));
                    break;
            }
            var entry = new JsonObject
            {
                ["density"] = Copy(trained, "density"),
                ["kept_zero_weights"] = Copy(trained, "kept_zero_weights"),
                ["pre_ft_acc"] = Copy(mask ?? trained, "pre_ft_acc"),
                ["post_ft_acc"] = Copy(trained, "post_ft_acc"),
            };
            if (summary["post_ft_acc"] is not null && trained["post_ft_acc"] is not null)
            {
                entry["gap"] = Number(summary["post_ft_acc"]) - Number(trained["post_ft_acc"]);
            }
            sanity[check] = entry;
        }
        summary["sanity"] = sanity;
    }

    /// <summary>The ticket with one sanity-check change: shuffled masks, re-initialised weights, or a random mask of the
    /// same density (layer profile: prune.randomDistribution). Weights and BatchNorm statistics otherwise the ticket's.</summary>
    private (nn.Module<Tensor, Tensor>, MaskSet) Variant(string artifact, string check, string job)
    {
        (nn.Module<Tensor, Tensor> model, MaskSet masks) = LoadTicket(artifact, apply: false);
        using var scope = torch.NewDisposeScope();
        using Generator g = Gen($"{check}:{job}");
        switch (check)
        {
            case "shuffle":
                masks.Set(SanityChecks.ShuffleWithinLayers(masks.Snapshot(), g));
                break;
            case "reinit":
                SanityChecks.Reinitialize(masks, g);           // re-applies the ticket's mask
                break;
            case "random":
                long[][] shapes = masks.Layers.Select(l => l.Weight.shape).ToArray();
                masks.Set(MaskSelection.Random(shapes, MaskSelection.LayerCounts(shapes, masks.Density, _distribution), g));
                break;
            default:
                throw new InvalidOperationException($"Unknown sanity check '{check}'.");
        }
        return (model, masks);
    }

    // ---------------------------------------------------------------- summary helpers

    private static JsonObject TicketSummary(string pruner, double density, JsonObject mask, JsonObject ticket, int ticketEpochs, int finetuneEpochs) => new()
    {
        ["pruner"] = pruner,
        ["target_density"] = density,
        ["density"] = Copy(mask, "density"),
        ["pre_ft_acc"] = Copy(mask, "pre_ft_acc"),
        ["post_ft_acc"] = Copy(ticket, "post_ft_acc"),
        ["ticket_epochs"] = ticketEpochs,
        ["ticket_wall_s"] = Copy(mask, "wall_s"),
        ["finetune_epochs"] = finetuneEpochs,
        ["finetune_wall_s"] = Copy(ticket, "wall_s"),
        ["pruned_weights_nonzero_after_finetune"] = Copy(ticket, "pruned_nonzero"),
        ["kept_zero_weights"] = Copy(ticket, "kept_zero_weights"),
        ["layer_densities"] = Copy(mask, "layers"),
    };

    /// <summary>IMP against Gem-Miner at each density both produced: compute and wall-time ratios, accuracies.</summary>
    private static JsonObject? Compare(JsonObject tickets)
    {
        var result = new JsonObject();
        foreach ((string id, JsonNode? node) in tickets)
        {
            if (node is not JsonObject imp || imp["pruner"]?.GetValue<string>() != PrunerNames.Imp)
            {
                continue;
            }
            string d = id[(id.IndexOf('@', StringComparison.Ordinal) + 1)..];
            if (tickets[$"{PrunerNames.GemMiner}@{d}"] is not JsonObject gm)
            {
                continue;
            }
            double Num(JsonObject o, string key) => Number(o[key]);
            if (Math.Abs(Math.Log(Num(imp, "density") / Num(gm, "density"))) > 0.05)
            {
                continue;                                   // IMP did not prune down to this density
            }
            result[d] = new JsonObject
            {
                ["imp_density"] = Num(imp, "density"),
                ["gem_miner_density"] = Num(gm, "density"),
                ["imp_post_ft_acc"] = Num(imp, "post_ft_acc"),
                ["gem_miner_post_ft_acc"] = Num(gm, "post_ft_acc"),
                ["imp_pre_ft_acc"] = Num(imp, "pre_ft_acc"),
                ["gem_miner_pre_ft_acc"] = Num(gm, "pre_ft_acc"),
                ["ticket_epoch_ratio"] = Num(imp, "ticket_epochs") / Num(gm, "ticket_epochs"),
                ["total_epoch_ratio"] = (Num(imp, "ticket_epochs") + Num(imp, "finetune_epochs")) / (Num(gm, "ticket_epochs") + Num(gm, "finetune_epochs")),
                ["ticket_wall_ratio"] = Num(imp, "ticket_wall_s") / Num(gm, "ticket_wall_s"),
            };
        }
        return result.Count > 0 ? result : null;
    }

    private static JsonNode? Copy(JsonObject o, string key) => o[key]?.DeepClone();

    /// <summary>A JSON number as a double, whether it was built in memory (int, long, double) or parsed; NaN if absent.</summary>
    internal static double Number(JsonNode? node) => node is JsonValue v
        ? v.TryGetValue(out double d) ? d : v.TryGetValue(out long l) ? l : v.TryGetValue(out int i) ? i : double.NaN
        : double.NaN;

    private static string I(int v) => v.ToString(CultureInfo.InvariantCulture);

    private static JsonObject Layers(MaskSet masks) =>
        new(masks.Densities().Select(l => KeyValuePair.Create(l.Name, (JsonNode?)l.Density)));

    private void LogLayers(long step, string job, MaskSet masks)
    {
        foreach (LayerDensity l in masks.Densities())
        {
            _ctx.Log(step, "ticket", "layer_density", l.Density, ("job", job), ("layer", l.Name));
        }
    }

    private void StartClock(JsonObject r)
    {
        r["wall_start"] = _ctx.WallSeconds;
        r["eval_s"] = 0.0;
    }

    /// <summary>wall_s = training time of the phase: elapsed since its start minus the time spent evaluating.</summary>
    private void StopClock(JsonObject r) =>
        r["wall_s"] = _ctx.WallSeconds - Number(r["wall_start"]) - Number(r["eval_s"]);

    private static void AddSeconds(JsonObject r, string key, double seconds) =>
        r[key] = (r[key] is null ? 0 : Number(r[key])) + seconds;

    private nn.Module<Tensor, Tensor> NewModel() =>
        PruningModels.Create(_c.Model.Name, _data.Channels, _data.Height, _data.Width, _data.NumClasses, _c.Model.Hidden);

    private Generator Gen(string stream) => StepSeeds.Generator(_c.Seed, -1, stream);

    private double Accuracy(nn.Module<Tensor, Tensor> model) =>
        Evaluation.Classifier(model, _data.TestX, _data.TestY, _c.EvalBatchSize).Accuracy;

    private Trainer NewTrainer(Phase p, nn.Module model, OptimizerHelper optimizer, Func<long, Tensor> loss, Func<long, double> lr, long stepsPerEpoch) =>
        new(model, optimizer, loss, lr, new TrainerOptions(p.Last, _c.LogEvery, stepsPerEpoch, stepsPerEpoch, Task: p.Id, FirstStep: p.First), _ctx, _c.Seed)
        {
            SaveState = () => (JsonObject)_phases.State.DeepClone(),
        };

    /// <summary>Cosine annealing stepped once per epoch: epoch e of E uses lr·(1 + cos(π·e/E))/2 (eta_min 0).</summary>
    internal static Func<long, double> Cosine(Phase p, long stepsPerEpoch, int epochs, double lr) =>
        step => 0.5 * lr * (1 + Math.Cos(Math.PI * ((step - p.First) / stepsPerEpoch) / epochs));

    /// <summary>MultiStep stepped once per epoch: lr·0.1^(number of milestones ≤ epoch).</summary>
    internal static Func<long, double> MultiStep(Phase p, long stepsPerEpoch, double lr, IReadOnlyList<int> milestones) =>
        step => lr * Math.Pow(0.1, milestones.Count(m => (step - p.First) / stepsPerEpoch >= m));
}

/// <summary>Owns a few tensors (disposes them together).</summary>
internal sealed class TensorList(Tensor[] items) : IDisposable
{
    public Tensor[] Items { get; } = items;

    public void Dispose()
    {
        foreach (Tensor t in Items)
        {
            t.Dispose();
        }
    }
}
