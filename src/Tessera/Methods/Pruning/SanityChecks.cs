namespace Tessera.Methods.Pruning;

/// <summary>
/// The sanity checks of Frankle et al. (2021) that tell a real ticket from a good layer-wise density profile (spec §3):
/// layer-wise mask shuffling and weight re-initialisation. Score inversion is a re-run of the pruner itself
/// (<see cref="GemMiner.Freeze"/> with <c>top: true</c>, or keeping the lowest scores); random tickets come from
/// <see cref="MaskSelection.Random"/>.
/// </summary>
public static class SanityChecks
{
    /// <summary>Each mask permuted uniformly at random within its own tensor: every layer keeps its count of ones.
    /// New tensors.</summary>
    public static Tensor[] ShuffleWithinLayers(IReadOnlyList<Tensor> masks, Generator generator)
    {
        var shuffled = new Tensor[masks.Count];
        for (int i = 0; i < masks.Count; i++)
        {
            using var scope = torch.NewDisposeScope();
            Tensor flat = masks[i].flatten();
            Tensor order = torch.randperm(flat.shape[0], generator: generator);
            shuffled[i] = flat.index_select(0, order).reshape(masks[i].shape).MoveToOuterDisposeScope();
        }
        return shuffled;
    }

    /// <summary>Redraws every masked layer's weights from Kaiming normal (fan_in, ReLU; the reference code's choice)
    /// and re-applies the masks.</summary>
    public static void Reinitialize(MaskSet masks, Generator generator)
    {
        PruningInit.KaimingNormal(masks.Layers, generator);
        masks.Apply();
    }
}
