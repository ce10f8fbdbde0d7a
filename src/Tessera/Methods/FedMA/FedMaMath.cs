namespace Tessera.Methods.FedMA;

/// <summary>RECONSTRUCT of whole models (§2.5) and the shapes and sizes the byte accounting (§2.6) and the update
/// checks need.</summary>
public static class FedMaMath
{
    /// <summary>Client j's model from the global model and its assignments: layer l keeps rows a_l and inputs a_{l−1}
    /// (all inputs for l = 0); the classifier keeps inputs a_{N−1} and its bias. Returns new arrays with exactly the
    /// client's original shapes.</summary>
    /// <param name="assignments">assignments[l] = the client's local → global map of matched layer l.</param>
    public static ArrayRecord Reconstruct(FedArchitecture arch, ArrayRecord global, IReadOnlyList<int[]> assignments)
    {
        ArgumentNullException.ThrowIfNull(arch);
        ArgumentNullException.ThrowIfNull(global);
        ArgumentNullException.ThrowIfNull(assignments);
        if (assignments.Count != arch.MatchedLayers)
        {
            throw new ArgumentException($"Need {arch.MatchedLayers} assignments, got {assignments.Count}.", nameof(assignments));
        }
        var result = new ArrayRecord();
        for (int l = 0; l < arch.Layers.Count; l++)
        {
            LayerSpec layer = arch.Layers[l];
            int[]? rows = l < arch.MatchedLayers ? assignments[l] : null;
            int[]? inputs = l == 0 ? null : assignments[l - 1];
            foreach (NamedArray a in LayerOps.Select(LayerOps.Extract(global, layer), layer, rows, inputs))
            {
                result.Add(a);
            }
        }
        return result;
    }

    /// <summary>Shapes of a layer with <paramref name="rows"/> elements and <paramref name="inputs"/> input elements,
    /// taken from a template of the same layer (any widths). For the classifier rows are ignored (classes stay); for
    /// the first layer inputs are ignored (the data's channels or vocabulary stay).</summary>
    public static IReadOnlyList<(string Name, long[] Shape)> LayerShapes(FedArchitecture arch, ArrayRecord template, int layerIndex, int rows, int inputs)
    {
        ArgumentNullException.ThrowIfNull(arch);
        ArgumentNullException.ThrowIfNull(template);
        LayerSpec layer = arch.Layers[layerIndex];
        bool classifier = layerIndex == arch.MatchedLayers, first = layerIndex == 0;
        var shapes = new List<(string, long[])>();
        foreach (string name in layer.ParameterNames)
        {
            long[] s = (long[])template[name].Shape.Clone();
            switch (layer.Kind)
            {
                case LayerKind.Embedding:
                    s[1] = rows;
                    break;
                case LayerKind.Lstm:
                    s[0] = 4L * rows;
                    if (name.EndsWith("weight_ih_l0", StringComparison.Ordinal) && !first)
                    {
                        s[1] = inputs;
                    }
                    else if (name.EndsWith("weight_hh_l0", StringComparison.Ordinal))
                    {
                        s[1] = rows;
                    }
                    break;
                default:
                    if (!classifier)
                    {
                        s[0] = rows;
                    }
                    if (s.Length > 1 && !first)
                    {
                        s[1] = layer.Kind == LayerKind.Conv ? inputs : (long)inputs * layer.InputBlock;
                    }
                    break;
            }
            shapes.Add((name, s));
        }
        return shapes;
    }

    /// <summary>Number of float parameters of a layer shape list.</summary>
    public static long Count(IEnumerable<(string Name, long[] Shape)> shapes) =>
        shapes.Sum(s => s.Shape.Aggregate(1L, (a, b) => a * b));

    /// <summary>
    /// Parameter bytes of one FedMA pass (§2.6): per matched layer, J uploads at local rows and global-width inputs plus
    /// J downloads of the global layer, then the classifier both ways at global width; 4 bytes per float.
    /// </summary>
    public static long PassBytes(FedArchitecture arch, ArrayRecord template, int[] localWidths, int[] globalWidths, int clients)
    {
        ArgumentNullException.ThrowIfNull(arch);
        ArgumentNullException.ThrowIfNull(localWidths);
        ArgumentNullException.ThrowIfNull(globalWidths);
        long floats = 0;
        for (int l = 0; l < arch.MatchedLayers; l++)
        {
            int inputs = l == 0 ? 0 : globalWidths[l - 1];
            floats += Count(LayerShapes(arch, template, l, localWidths[l], inputs));
            floats += Count(LayerShapes(arch, template, l, globalWidths[l], inputs));
        }
        floats += 2 * Count(LayerShapes(arch, template, arch.MatchedLayers, 0, globalWidths[^1]));
        return 4 * clients * floats;
    }

    /// <summary>Parameter bytes of one FedAvg round: every client downloads and uploads the whole model.</summary>
    public static long FedAvgRoundBytes(long modelParameters, int clients) => 4L * 2 * clients * modelParameters;
}
