namespace Tessera.Methods.Pruning;

/// <summary>One prunable weight of a model: the module that owns it, the weight and its 0/1 mask buffer.</summary>
/// <param name="Name">The weight's state_dict key, e.g. <c>layers.0.weight</c>.</param>
/// <param name="Module">The Linear/Conv module the weight belongs to (the mask is a buffer of this module).</param>
/// <param name="Weight">The registered weight parameter (never replaced; masking changes it in place).</param>
/// <param name="Mask">The mask buffer <c>weight_mask</c>: same shape and dtype as the weight, every entry 0 or 1.</param>
public sealed record MaskedLayer(string Name, nn.Module Module, Parameter Weight, Tensor Mask)
{
    /// <summary>Number of weights in the layer.</summary>
    public long Count => Weight.numel();

    /// <summary>Fan-in of one output unit: in_features for a Linear, in_channels·kh·kw for a conv.</summary>
    public long FanIn => Weight.shape[0] == 0 ? 0 : Weight.numel() / Weight.shape[0];
}

/// <summary>Kept and total weights of one layer (or of the whole model).</summary>
public sealed record LayerDensity(string Name, long[] Shape, long Kept, long Total)
{
    public double Density => Total == 0 ? 0 : (double)Kept / Total;
}

/// <summary>Which weights a <see cref="MaskSet"/> covers.</summary>
public sealed record MaskingOptions
{
    /// <summary>Names of layers that are never pruned: a weight name (<c>layers.0.weight</c>) or the name of its
    /// module (<c>layers.0</c>). The Gem-Miner papers prune every layer, first and last included (the default).</summary>
    public IReadOnlyList<string> Exempt { get; init; } = [];
}

/// <summary>
/// Pruning masks for any TorchSharp model. <see cref="Attach"/> registers a buffer <c>weight_mask</c> (ones) on every
/// Linear and Conv1d/2d/3d module, as PyTorch's <c>torch.nn.utils.prune</c> does, so a model's own
/// <c>save</c>/<c>load</c> and Tessera's checkpoints carry the masks. The weights stay the registered parameters:
/// <see cref="Apply"/> zeroes the pruned entries in place (under no_grad), <see cref="MaskGradients"/> zeroes their
/// gradients. Call both around every optimizer step (the <see cref="Training.Trainer"/>'s AfterBackward and AfterStep
/// hooks) and a pruned weight stays exactly zero whatever the optimizer does with momentum or weight decay.
/// </summary>
/// <remarks>The buffers belong to the model (it disposes them); this object only holds references.</remarks>
public sealed class MaskSet
{
    /// <summary>Name of the mask buffer on each prunable module.</summary>
    public const string BufferName = "weight_mask";

    private MaskSet(IReadOnlyList<MaskedLayer> layers) => Layers = layers;

    /// <summary>The prunable layers in state_dict order.</summary>
    public IReadOnlyList<MaskedLayer> Layers { get; }

    /// <summary>Total number of prunable weights.</summary>
    public long Total => Layers.Sum(l => l.Count);

    /// <summary>Number of weights the masks keep.</summary>
    public long Kept
    {
        get
        {
            using var scope = torch.NewDisposeScope();
            return Layers.Sum(l => l.Mask.count_nonzero().item<long>());
        }
    }

    /// <summary>Kept / total over all prunable weights (exempt layers are not counted).</summary>
    public double Density => Total == 0 ? 0 : (double)Kept / Total;

    /// <summary>The prunable (Linear, Conv1d/2d/3d) modules of <paramref name="model"/> (itself included), in
    /// named_modules order, minus the exempt ones. A module without a weight is skipped.</summary>
    public static IReadOnlyList<(string Name, nn.Module Module, Parameter Weight)> FindPrunable(nn.Module model, MaskingOptions? options = null)
    {
        IReadOnlyList<string> exempt = options?.Exempt ?? [];
        var found = new List<(string, nn.Module, Parameter)>();
        foreach ((string name, nn.Module module) in model.named_modules().Prepend(("", model)))
        {
            Parameter? weight = module switch
            {
                Linear linear => linear.weight,
                Conv1d conv => conv.weight,
                Conv2d conv => conv.weight,
                Conv3d conv => conv.weight,
                _ => null,
            };
            string weightName = name.Length == 0 ? "weight" : $"{name}.weight";
            if (weight is not null && !exempt.Contains(name) && !exempt.Contains(weightName))
            {
                found.Add((weightName, module, weight));
            }
        }
        return found;
    }

    /// <summary>Registers (or reuses) a <c>weight_mask</c> buffer of ones on every prunable module and returns the set.
    /// A name in <see cref="MaskingOptions.Exempt"/> that matches no prunable layer is an error.</summary>
    public static MaskSet Attach(nn.Module model, MaskingOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        IReadOnlyList<string> exempt = options?.Exempt ?? [];
        var all = FindPrunable(model);
        string[] unknown = exempt.Where(e => !all.Any(p => p.Name == e || p.Name == $"{e}.weight")).ToArray();
        if (unknown.Length > 0)
        {
            throw new InputException($"prune.exempt names {string.Join(", ", unknown)}, which is not a prunable layer of the model. " +
                $"Prunable layers: {string.Join(", ", all.Select(p => p.Name))}.");
        }
        var layers = new List<MaskedLayer>();
        foreach ((string name, nn.Module module, Parameter weight) in FindPrunable(model, options))
        {
            Tensor? mask = module.named_buffers(recurse: false).Where(b => b.name == BufferName).Select(b => b.buffer).FirstOrDefault();
            if (mask is null)
            {
                mask = torch.ones_like(weight, requires_grad: false).DetachFromDisposeScope();
                module.register_buffer(BufferName, mask);
            }
            layers.Add(new MaskedLayer(name, module, weight, mask));
        }
        if (layers.Count == 0)
        {
            throw new InputException("The model has no prunable layer (Linear or Conv) left after the exemptions.");
        }
        return new MaskSet(layers);
    }

    /// <summary>Zeroes the pruned weights in place (exactly +0, without autograd).</summary>
    public void Apply()
    {
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        foreach (MaskedLayer l in Layers)
        {
            l.Weight.masked_fill_(l.Mask.eq(0), 0.0);
        }
    }

    /// <summary>Zeroes the gradients of pruned weights in place (layers without a gradient are skipped).</summary>
    public void MaskGradients()
    {
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        foreach (MaskedLayer l in Layers)
        {
            l.Weight.grad?.masked_fill_(l.Mask.eq(0), 0.0);
        }
    }

    /// <summary>Wires a <see cref="Training.Trainer"/> for training with these masks fixed: gradients of pruned weights
    /// are zeroed after backward and the masks re-applied after every optimizer step. Replaces the trainer's
    /// AfterBackward and AfterStep hooks; <paramref name="afterStep"/> runs after the masks are applied.</summary>
    public void Wire(Training.Trainer trainer, Action<long>? afterStep = null)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        trainer.AfterBackward = _ => MaskGradients();
        trainer.AfterStep = step =>
        {
            Apply();
            afterStep?.Invoke(step);
        };
    }

    /// <summary>Copies new masks (one per layer, same shapes, entries 0 or 1) into the buffers and applies them.</summary>
    public void Set(IReadOnlyList<Tensor> masks)
    {
        Check(masks);
        using (torch.no_grad())
        {
            for (int i = 0; i < Layers.Count; i++)
            {
                Layers[i].Mask.copy_(masks[i]);
            }
        }
        Apply();
    }

    /// <summary>Copies of the current masks (the caller disposes them).</summary>
    public Tensor[] Snapshot() => Layers.Select(l => l.Mask.detach().clone()).ToArray();

    /// <summary>Copies of the current weights (the caller disposes them).</summary>
    public Tensor[] Weights() => Layers.Select(l => l.Weight.detach().clone()).ToArray();

    /// <summary>Kept and total weights per layer, in layer order.</summary>
    public IReadOnlyList<LayerDensity> Densities()
    {
        using var scope = torch.NewDisposeScope();
        return Layers.Select(l => new LayerDensity(l.Name, l.Weight.shape.ToArray(), l.Mask.count_nonzero().item<long>(), l.Count)).ToArray();
    }

    /// <summary>Number of layers whose mask keeps nothing (a "collapsed" layer disconnects the network).</summary>
    public int EmptyLayers() => Densities().Count(d => d.Kept == 0);

    private void Check(IReadOnlyList<Tensor> masks)
    {
        if (masks.Count != Layers.Count)
        {
            throw new ArgumentException($"Expected {Layers.Count} masks, got {masks.Count}.", nameof(masks));
        }
        using var scope = torch.NewDisposeScope();
        for (int i = 0; i < masks.Count; i++)
        {
            if (!masks[i].shape.SequenceEqual(Layers[i].Weight.shape))
            {
                throw new ArgumentException($"Mask {i} has shape [{string.Join(", ", masks[i].shape)}] but {Layers[i].Name} has " +
                    $"[{string.Join(", ", Layers[i].Weight.shape)}].", nameof(masks));
            }
            if (masks[i].ne(0).logical_and(masks[i].ne(1)).any().item<bool>())
            {
                throw new ArgumentException($"Mask {i} ({Layers[i].Name}) has entries other than 0 and 1.", nameof(masks));
            }
        }
    }
}
