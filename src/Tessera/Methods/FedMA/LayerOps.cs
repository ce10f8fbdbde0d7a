namespace Tessera.Methods.FedMA;

/// <summary>
/// The per-layer-kind handlers of FedMA, on weight records (state_dict order, float arrays): element vectors for
/// matching, the global layer from a matching, patching the next layer's inputs (§2.3), RECONSTRUCT (§2.5, §2.7)
/// and the classifier average (§2.4). A weight of a layer is seen as (out, in, block): conv (C', C, k, k) has block
/// k·k, the first FC after a conv stack has block H·W (channel-major flattening), other layers block 1.
/// </summary>
public static class LayerOps
{
    /// <summary>The number of elements of a matched layer: conv/FC output rows, embedding columns, LSTM hidden units.</summary>
    public static int Width(ArrayRecord weights, LayerSpec layer)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(layer);
        NamedArray w = weights[layer.ParameterNames[0]];
        return layer.Kind switch
        {
            LayerKind.Embedding => (int)w.Shape[1],
            LayerKind.Lstm => (int)(w.Shape[0] / 4),
            _ => (int)w.Shape[0],
        };
    }

    /// <summary>Copies of the arrays of one layer.</summary>
    public static ArrayRecord Extract(ArrayRecord weights, LayerSpec layer)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(layer);
        return new ArrayRecord(layer.ParameterNames.Select(n => weights[n].Clone()));
    }

    /// <summary>The element vectors of a layer (rows = local elements); for a layer after a matched one, its inputs are
    /// already in that layer's global index space.</summary>
    public static double[][] Vectors(ArrayRecord layerArrays, LayerSpec layer)
    {
        ArgumentNullException.ThrowIfNull(layerArrays);
        ArgumentNullException.ThrowIfNull(layer);
        switch (layer.Kind)
        {
            case LayerKind.Embedding:
                {
                    NamedArray e = layerArrays[layer.ParameterNames[0]];
                    int v = (int)e.Shape[0], dims = (int)e.Shape[1];
                    var rows = new double[dims][];
                    for (int c = 0; c < dims; c++)
                    {
                        rows[c] = new double[v];
                        for (int t = 0; t < v; t++)
                        {
                            rows[c][t] = e.F[(t * dims) + c];
                        }
                    }
                    return rows;
                }
            case LayerKind.Lstm:
                {
                    NamedArray wih = layerArrays[$"{layer.Name}.weight_ih_l0"], bih = layerArrays[$"{layer.Name}.bias_ih_l0"];
                    int h = (int)(wih.Shape[0] / 4), input = (int)wih.Shape[1];
                    var rows = new double[h][];
                    for (int u = 0; u < h; u++)
                    {
                        var row = new double[(4 * input) + 4];
                        for (int gate = 0; gate < 4; gate++)
                        {
                            int r = (gate * h) + u;
                            for (int c = 0; c < input; c++)
                            {
                                row[(gate * input) + c] = wih.F[(r * input) + c];
                            }
                            row[(4 * input) + gate] = bih.F[r];
                        }
                        rows[u] = row;
                    }
                    return rows;
                }
            default:
                {
                    NamedArray w = layerArrays[$"{layer.Name}.weight"], b = layerArrays[$"{layer.Name}.bias"];
                    int outs = (int)w.Shape[0], cols = (int)(w.Count / outs);
                    var rows = new double[outs][];
                    for (int o = 0; o < outs; o++)
                    {
                        var row = new double[cols + 1];
                        for (int c = 0; c < cols; c++)
                        {
                            row[c] = w.F[(o * cols) + c];
                        }
                        row[cols] = b.F[o];
                        rows[o] = row;
                    }
                    return rows;
                }
        }
    }

    /// <summary>The prior mean of a layer's element vectors: <paramref name="weight"/> on weight coordinates,
    /// <paramref name="bias"/> on bias coordinates (the last one; the last four for an LSTM; none for an embedding).</summary>
    public static double[] Mu0(LayerSpec layer, int length, double weight, double bias)
    {
        ArgumentNullException.ThrowIfNull(layer);
        var mu = new double[length];
        Array.Fill(mu, weight);
        int biasCoordinates = layer.Kind switch
        {
            LayerKind.Embedding => 0,
            LayerKind.Lstm => 4,
            _ => 1,
        };
        for (int i = length - biasCoordinates; i < length; i++)
        {
            mu[i] = bias;
        }
        return mu;
    }

    /// <summary>
    /// The global layer of a matching. Conv/FC: rows of the estimate Θ (weights then bias). Embedding: each global
    /// column is the plain mean of the client columns assigned to it. LSTM: W_ih and b_ih owner means per gate row;
    /// W_hh scattered to rows and columns of the assignment and b_hh scattered, both weighted 1/J (the code's rule).
    /// </summary>
    /// <param name="uploads">Each client's arrays of this layer (inputs already in the previous global space).</param>
    public static ArrayRecord Aggregate(LayerSpec layer, IReadOnlyList<ArrayRecord> uploads, MatchResult match)
    {
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentNullException.ThrowIfNull(uploads);
        ArgumentNullException.ThrowIfNull(match);
        int width = match.Width, j = uploads.Count;
        switch (layer.Kind)
        {
            case LayerKind.Embedding:
                {
                    long v = uploads[0][layer.ParameterNames[0]].Shape[0];
                    var sum = new double[v * width];
                    for (int client = 0; client < j; client++)
                    {
                        NamedArray e = uploads[client][layer.ParameterNames[0]];
                        int dims = (int)e.Shape[1];
                        for (int c = 0; c < dims; c++)
                        {
                            int g = match.Assignments[client][c];
                            for (long t = 0; t < v; t++)
                            {
                                sum[(t * width) + g] += e.F[(t * dims) + c];
                            }
                        }
                    }
                    var result = new float[sum.Length];
                    for (long t = 0; t < v; t++)
                    {
                        for (int g = 0; g < width; g++)
                        {
                            result[(t * width) + g] = (float)(sum[(t * width) + g] / match.Counts[g]);
                        }
                    }
                    return [NamedArray.Of(layer.ParameterNames[0], [v, width], result)];
                }
            case LayerKind.Lstm:
                return AggregateLstm(layer, uploads, match);
            default:
                {
                    long[] shape = uploads[0][$"{layer.Name}.weight"].Shape;
                    int cols = match.Global.Length == 0 ? 0 : match.Global[0].Length - 1;
                    var w = new float[(long)width * cols];
                    var b = new float[width];
                    for (int g = 0; g < width; g++)
                    {
                        for (int c = 0; c < cols; c++)
                        {
                            w[((long)g * cols) + c] = (float)match.Global[g][c];
                        }
                        b[g] = (float)match.Global[g][cols];
                    }
                    long[] globalShape = [width, .. shape[1..]];
                    return [NamedArray.Of($"{layer.Name}.weight", globalShape, w), NamedArray.Of($"{layer.Name}.bias", [width], b)];
                }
        }
    }

    private static ArrayRecord AggregateLstm(LayerSpec layer, IReadOnlyList<ArrayRecord> uploads, MatchResult match)
    {
        int width = match.Width, j = uploads.Count;
        int input = (int)uploads[0][$"{layer.Name}.weight_ih_l0"].Shape[1];
        var wih = new double[4L * width * input];
        var bih = new double[4 * width];
        var whh = new double[4L * width * width];
        var bhh = new double[4 * width];
        for (int client = 0; client < j; client++)
        {
            ArrayRecord up = uploads[client];
            NamedArray cwih = up[$"{layer.Name}.weight_ih_l0"], cwhh = up[$"{layer.Name}.weight_hh_l0"];
            NamedArray cbih = up[$"{layer.Name}.bias_ih_l0"], cbhh = up[$"{layer.Name}.bias_hh_l0"];
            int h = (int)(cwih.Shape[0] / 4);
            int[] a = match.Assignments[client];
            for (int gate = 0; gate < 4; gate++)
            {
                for (int u = 0; u < h; u++)
                {
                    int r = (gate * h) + u, gr = (gate * width) + a[u];
                    for (int c = 0; c < input; c++)
                    {
                        wih[((long)gr * input) + c] += cwih.F[((long)r * input) + c];
                    }
                    bih[gr] += cbih.F[r];
                    bhh[gr] += cbhh.F[r];
                    for (int c = 0; c < h; c++)
                    {
                        whh[((long)gr * width) + a[c]] += cwhh.F[((long)r * h) + c];
                    }
                }
            }
        }
        var fwih = new float[wih.Length];
        var fbih = new float[bih.Length];
        var fwhh = new float[whh.Length];
        var fbhh = new float[bhh.Length];
        for (int gate = 0; gate < 4; gate++)
        {
            for (int g = 0; g < width; g++)
            {
                int gr = (gate * width) + g;
                double n = match.Counts[g];
                for (int c = 0; c < input; c++)
                {
                    fwih[((long)gr * input) + c] = (float)(wih[((long)gr * input) + c] / n);
                }
                fbih[gr] = (float)(bih[gr] / n);
                fbhh[gr] = (float)(bhh[gr] / j);
                for (int c = 0; c < width; c++)
                {
                    fwhh[((long)gr * width) + c] = (float)(whh[((long)gr * width) + c] / j);
                }
            }
        }
        return
        [
            NamedArray.Of($"{layer.Name}.weight_ih_l0", [4L * width, input], fwih),
            NamedArray.Of($"{layer.Name}.weight_hh_l0", [4L * width, width], fwhh),
            NamedArray.Of($"{layer.Name}.bias_ih_l0", [4L * width], fbih),
            NamedArray.Of($"{layer.Name}.bias_hh_l0", [4L * width], fbhh),
        ];
    }

    /// <summary>Patching (§2.3): the next layer's input elements move to their global indices; the inputs of global
    /// elements this client does not own get zero weight. Rows and biases are left alone.</summary>
    /// <returns>The patched input-weight array of <paramref name="next"/> (a new array).</returns>
    public static NamedArray PatchInputs(ArrayRecord weights, LayerSpec next, int[] assignment, int globalWidth)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(next);
        ArgumentNullException.ThrowIfNull(assignment);
        NamedArray w = weights[next.InputWeightName];
        (long outs, int inputs, int block) = View(w, next);
        if (inputs != assignment.Length)
        {
            throw new ArgumentException($"{w.Name} has {inputs} input elements but the assignment has {assignment.Length}.", nameof(assignment));
        }
        var result = new float[outs * globalWidth * block];
        for (long o = 0; o < outs; o++)
        {
            for (int c = 0; c < inputs; c++)
            {
                Array.Copy(w.F, ((o * inputs) + c) * block, result, ((o * globalWidth) + assignment[c]) * block, block);
            }
        }
        return NamedArray.Of(w.Name, InputShape(w, next, globalWidth), result);
    }

    /// <summary>RECONSTRUCT of one layer for one client: rows <paramref name="rows"/> (null = all) and input elements
    /// <paramref name="inputs"/> (null = all) of the global layer, as new arrays. For an LSTM the rows are hidden units
    /// (all four gate blocks) and W_hh's columns follow the rows; for an embedding the rows select columns.</summary>
    public static ArrayRecord Select(ArrayRecord globalLayer, LayerSpec layer, int[]? rows, int[]? inputs)
    {
        ArgumentNullException.ThrowIfNull(globalLayer);
        ArgumentNullException.ThrowIfNull(layer);
        switch (layer.Kind)
        {
            case LayerKind.Embedding:
                {
                    NamedArray e = globalLayer[layer.ParameterNames[0]];
                    int v = (int)e.Shape[0], dims = (int)e.Shape[1];
                    int[] keep = rows ?? Enumerable.Range(0, dims).ToArray();
                    var result = new float[(long)v * keep.Length];
                    for (int t = 0; t < v; t++)
                    {
                        for (int c = 0; c < keep.Length; c++)
                        {
                            result[((long)t * keep.Length) + c] = e.F[((long)t * dims) + keep[c]];
                        }
                    }
                    return [NamedArray.Of(e.Name, [v, keep.Length], result)];
                }
            case LayerKind.Lstm:
                {
                    NamedArray wih = globalLayer[$"{layer.Name}.weight_ih_l0"], whh = globalLayer[$"{layer.Name}.weight_hh_l0"];
                    NamedArray bih = globalLayer[$"{layer.Name}.bias_ih_l0"], bhh = globalLayer[$"{layer.Name}.bias_hh_l0"];
                    int h = (int)(wih.Shape[0] / 4);
                    int[] units = rows ?? Enumerable.Range(0, h).ToArray();
                    int[] gateRows = Enumerable.Range(0, 4).SelectMany(g => units.Select(u => (g * h) + u)).ToArray();
                    return
                    [
                        SelectMatrix(wih, gateRows, inputs, 1),
                    SelectMatrix(whh, gateRows, units, 1),
                    SelectVector(bih, gateRows),
                    SelectVector(bhh, gateRows),
                ];
                }
            default:
                {
                    NamedArray w = globalLayer[$"{layer.Name}.weight"], b = globalLayer[$"{layer.Name}.bias"];
                    (long outs, _, int block) = View(w, layer);
                    int[] keep = rows ?? Enumerable.Range(0, (int)outs).ToArray();
                    NamedArray sw = SelectMatrix(w, keep, inputs, block);
                    return [sw, SelectVector(b, keep)];
                }
        }
    }

    /// <summary>Classifier aggregation (§2.4): class k's row (weights into class k and bias k) is Σ_j π_{j,k}·row_j with
    /// π_{j,k} = n_{j,k} / Σ_j' n_{j',k} (1/J when no client has class k); with <paramref name="classCounts"/> null, the
    /// uniform 1/J average (§2.7).</summary>
    public static ArrayRecord AverageClassifier(LayerSpec classifier, IReadOnlyList<ArrayRecord> uploads, IReadOnlyList<long[]>? classCounts)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        ArgumentNullException.ThrowIfNull(uploads);
        int j = uploads.Count;
        NamedArray w0 = uploads[0][$"{classifier.Name}.weight"];
        int classes = (int)w0.Shape[0], cols = (int)(w0.Count / classes);
        var w = new double[w0.Count];
        var b = new double[classes];
        for (int k = 0; k < classes; k++)
        {
            double total = classCounts is null ? 0 : classCounts.Sum(c => (double)c[k]);
            for (int client = 0; client < j; client++)
            {
                double pi = classCounts is null || total == 0 ? 1.0 / j : classCounts[client][k] / total;
                if (pi == 0)
                {
                    continue;
                }
                NamedArray cw = uploads[client][$"{classifier.Name}.weight"], cb = uploads[client][$"{classifier.Name}.bias"];
                for (int c = 0; c < cols; c++)
                {
                    w[((long)k * cols) + c] += pi * cw.F[((long)k * cols) + c];
                }
                b[k] += pi * cb.F[k];
            }
        }
        return
        [
            NamedArray.Of($"{classifier.Name}.weight", (long[])w0.Shape.Clone(), w.Select(x => (float)x).ToArray()),
            NamedArray.Of($"{classifier.Name}.bias", [classes], b.Select(x => (float)x).ToArray()),
        ];
    }

    /// <summary>Σ_j weight_j·record_j for records of identical names and shapes (FedAvg).</summary>
    public static ArrayRecord WeightedAverage(IReadOnlyList<ArrayRecord> records, IReadOnlyList<double> weights)
    {
        ArgumentNullException.ThrowIfNull(records);
        ArgumentNullException.ThrowIfNull(weights);
        if (records.Count == 0 || records.Count != weights.Count)
        {
            throw new ArgumentException("Averaging needs at least one record and one weight per record.");
        }
        double total = weights.Sum();
        var result = new ArrayRecord();
        foreach (NamedArray first in records[0])
        {
            var sum = new double[first.Count];
            for (int r = 0; r < records.Count; r++)
            {
                NamedArray a = records[r][first.Name];
                if (!a.SameShape(first.Shape))
                {
                    throw new ArgumentException($"Array '{first.Name}' has different shapes across the records.");
                }
                double p = weights[r] / total;
                float[] f = a.F;
                for (long i = 0; i < sum.LongLength; i++)
                {
                    sum[i] += p * f[i];
                }
            }
            result.Add(NamedArray.Of(first.Name, (long[])first.Shape.Clone(), sum.Select(x => (float)x).ToArray()));
        }
        return result;
    }

    private static (long Outs, int Inputs, int Block) View(NamedArray w, LayerSpec layer)
    {
        long outs = w.Shape[0];
        long cols = outs == 0 ? 0 : w.Count / outs;
        int block = layer.Kind switch
        {
            LayerKind.Conv => (int)(w.Shape[2] * w.Shape[3]),
            LayerKind.Fc => layer.InputBlock,
            _ => 1,
        };
        if (cols % block != 0)
        {
            throw new ArgumentException($"{w.Name}: {cols} input columns are not a multiple of the block {block}.");
        }
        return (outs, (int)(cols / block), block);
    }

    private static long[] InputShape(NamedArray w, LayerSpec layer, int inputs) => layer.Kind switch
    {
        LayerKind.Conv => [w.Shape[0], inputs, w.Shape[2], w.Shape[3]],
        LayerKind.Fc => [w.Shape[0], (long)inputs * layer.InputBlock],
        _ => [w.Shape[0], inputs],
    };

    private static NamedArray SelectMatrix(NamedArray w, int[] rows, int[]? inputs, int block)
    {
        long outs = w.Shape[0];
        int cols = (int)(outs == 0 ? 0 : w.Count / outs);
        int n = cols / block;
        int[] keep = inputs ?? Enumerable.Range(0, n).ToArray();
        int newCols = keep.Length * block;
        var result = new float[(long)rows.Length * newCols];
        for (int r = 0; r < rows.Length; r++)
        {
            for (int c = 0; c < keep.Length; c++)
            {
                Array.Copy(w.F, ((long)rows[r] * cols) + ((long)keep[c] * block), result, ((long)r * newCols) + ((long)c * block), block);
            }
        }
        long[] shape = w.Shape.Length == 4 ? [rows.Length, keep.Length, w.Shape[2], w.Shape[3]] : [rows.Length, newCols];
        return NamedArray.Of(w.Name, shape, result);
    }

    private static NamedArray SelectVector(NamedArray v, int[] rows) =>
        NamedArray.Of(v.Name, [rows.Length], rows.Select(r => v.F[r]).ToArray());
}
