using Tessera.Data;
using Tessera.Methods.FedMA;
using Tessera.Nn;

namespace Tessera.Tests.Methods.FedMA;

public sealed class LayerOpsTests
{
    private static readonly FedArchitecture LeNetT = FedArchitecture.LeNet(1, 28, 28, 10, [4, 8, 16]);

    private static ArrayRecord Init(FedArchitecture arch, long seed, int[]? widths = null)
    {
        torch.random.manual_seed(seed);
        using var model = arch.Create(widths ?? arch.LocalWidths);
        return ModelWeights.Get(model);
    }

    private static float[] Logits(FedArchitecture arch, ArrayRecord w, Tensor x)
    {
        using var model = arch.Create(arch.WidthsOf(w));
        ModelWeights.Load(model, w);
        model.eval();
        using var noGrad = torch.no_grad();
        using Tensor y = model.call(x);
        return y.data<float>().ToArray();
    }

    private static int[] Permutation(int n, long seed)
    {
        int[] p = Enumerable.Range(0, n).ToArray();
        new SeededRandom(seed).Shuffle(p.AsSpan());
        return p;
    }

    /// <summary>Moves the elements of matched layer l to the positions <paramref name="perm"/> (a bijection onto the same
    /// width) the way FedMA does it: the layer's own rows via Select on the inverse map, the next layer's inputs via
    /// PatchInputs.</summary>
    private static ArrayRecord PermuteLayer(FedArchitecture arch, ArrayRecord w, int l, int[] perm)
    {
        LayerSpec layer = arch.Layers[l];
        int[] inverse = new int[perm.Length];
        for (int c = 0; c < perm.Length; c++)
        {
            inverse[perm[c]] = c;
        }
        var result = w.Clone();
        foreach (NamedArray a in LayerOps.Select(LayerOps.Extract(w, layer), layer, inverse, null))
        {
            result.Set(a);
        }
        result.Set(LayerOps.PatchInputs(result, arch.Layers[l + 1], perm, perm.Length));
        return result;
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void PermuteAndPatch_LeNetLayer_LeavesLogitsUnchanged(int layer)
    {
        // Pitfall 2: conv flattening (c_in, kh, kw) and channel-major blocks of the first FC.
        ArrayRecord w = Init(LeNetT, 1);
        using Tensor x = torch.randn(3, 1, 28, 28);

        ArrayRecord permuted = PermuteLayer(LeNetT, w, layer, Permutation(LeNetT.LocalWidths[layer], 5));

        Assert.NotEqual(w[LeNetT.Layers[layer].Name + ".weight"].F, permuted[LeNetT.Layers[layer].Name + ".weight"].F);
        float[] a = Logits(LeNetT, w, x), b = Logits(LeNetT, permuted, x);
        Assert.All(a.Zip(b), t => Assert.Equal(t.First, t.Second, 1e-5f));
    }

    [Fact]
    public void PermuteAndPatch_Vgg9FirstFc_LeavesLogitsUnchanged()
    {
        var arch = FedArchitecture.Vgg9(3, 16, 10, [4, 4, 6, 6, 8, 5, 12, 12]);
        ArrayRecord w = Init(arch, 2);
        using Tensor x = torch.randn(2, 3, 16, 16);

        ArrayRecord permuted = PermuteLayer(arch, w, 5, Permutation(5, 3));   // conv6 → fc1 (block 2·2)

        float[] a = Logits(arch, w, x), b = Logits(arch, permuted, x);
        Assert.All(a.Zip(b), t => Assert.Equal(t.First, t.Second, 1e-5f));
    }

    [Fact]
    public void PermuteHiddenUnits_Lstm_AllGatesAndWhhTogether_LeavesOutputsUnchanged()
    {
        // Pitfall 11: gate order [i, f, g, o], one permutation for the four blocks, W_hh rows and columns, both biases.
        var arch = FedArchitecture.Lstm(80, 8, 12, 80);
        ArrayRecord w = Init(arch, 3);
        using Tensor x = torch.randint(0, 80, [4, 10]);

        ArrayRecord permuted = PermuteLayer(arch, w, 1, Permutation(12, 4));

        float[] a = Logits(arch, w, x), b = Logits(arch, permuted, x);
        Assert.All(a.Zip(b), t => Assert.Equal(t.First, t.Second, 1e-5f));
    }

    [Fact]
    public void PermuteEmbeddingColumns_PatchesLstmInputs_LeavesOutputsUnchanged()
    {
        // Pitfall 12: embedding elements are dimensions (columns), not token rows.
        var arch = FedArchitecture.Lstm(80, 8, 12, 80);
        ArrayRecord w = Init(arch, 4);
        using Tensor x = torch.randint(0, 80, [4, 10]);

        ArrayRecord permuted = PermuteLayer(arch, w, 0, Permutation(8, 6));

        Assert.Equal(8, LayerOps.Vectors(LayerOps.Extract(w, arch.Layers[0]), arch.Layers[0]).Length);
        Assert.Equal(80, LayerOps.Vectors(LayerOps.Extract(w, arch.Layers[0]), arch.Layers[0])[0].Length);
        float[] a = Logits(arch, w, x), b = Logits(arch, permuted, x);
        Assert.All(a.Zip(b), t => Assert.Equal(t.First, t.Second, 1e-5f));
    }

    [Fact]
    public void PatchInputs_IdentityIntoWiderGlobal_ReproducesLogitsExactly()
    {
        // Pitfall 3: a client whose assignment is the identity into a global layer equal to its own (plus extra global
        // units it does not own, whose inputs get zero weight) computes exactly the same logits.
        ArrayRecord w = Init(LeNetT, 5);
        using Tensor x = torch.randn(2, 1, 28, 28);
        LayerSpec conv1 = LeNetT.Layers[0];
        ArrayRecord wider = w.Clone();
        NamedArray cw = w["conv1.weight"], cb = w["conv1.bias"];
        wider.Set(NamedArray.Of("conv1.weight", [6, 1, 5, 5], [.. cw.F, .. new float[50]]));
        wider.Set(NamedArray.Of("conv1.bias", [6], [.. cb.F, 0.3f, -0.2f]));

        wider.Set(LayerOps.PatchInputs(wider, LeNetT.Layers[1], [0, 1, 2, 3], 6));

        Assert.Equal(6, LayerOps.Width(wider, conv1));
        Assert.Equal(Logits(LeNetT, w, x), Logits(LeNetT, wider, x));
    }

    [Fact]
    public void Vectors_ConvLayer_AreWeightsInCinKhKwOrderThenBias()
    {
        var arch = FedArchitecture.LeNet(2, 28, 28, 10, [3, 4, 5]);
        ArrayRecord w = Init(arch, 6);
        NamedArray weight = w["conv1.weight"], bias = w["conv1.bias"];

        double[][] v = LayerOps.Vectors(LayerOps.Extract(w, arch.Layers[0]), arch.Layers[0]);

        Assert.Equal(3, v.Length);
        Assert.Equal(51, v[1].Length);                                // 2 input channels · 5 · 5 + bias
        Assert.Equal(weight.F[50 + (1 * 25) + (2 * 5) + 3], (float)v[1][25 + 13]);   // W[1, 1, 2, 3]
        Assert.Equal(bias.F[1], (float)v[1][50]);
        Assert.Equal([0, 0, 0.1], LayerOps.Mu0(arch.Layers[0], 3, 0, 0.1));
        Assert.Equal([0, 0, 0.1, 0.1, 0.1, 0.1], LayerOps.Mu0(new LayerSpec("lstm", LayerKind.Lstm), 6, 0, 0.1));
        Assert.Equal([0.0, 0.0], LayerOps.Mu0(new LayerSpec("e", LayerKind.Embedding), 2, 0, 0.1));
    }

    [Fact]
    public void Reconstruct_FromGlobalAndAssignments_ReturnsTheClientsShapesAndValues()
    {
        // A global model assembled from one client's layers at known positions: RECONSTRUCT must give it back exactly.
        ArrayRecord local = Init(LeNetT, 7);
        int[][] a = [[5, 0, 3, 1], [2, 9, 4, 6, 0, 8, 1, 3], Permutation(16, 1).Select(i => i + 2).ToArray()];
        int[] widths = [7, 10, 19];
        var global = new ArrayRecord();
        for (int l = 0; l < 3; l++)
        {
            LayerSpec layer = LeNetT.Layers[l];
            ArrayRecord layerArrays = LayerOps.Extract(local, layer);
            if (l > 0)
            {
                layerArrays.Set(LayerOps.PatchInputs(layerArrays, layer, a[l - 1], widths[l - 1]));
            }
            double[][] vectors = LayerOps.Vectors(layerArrays, layer);
            double[][] rows = Enumerable.Range(0, widths[l]).Select(i => Enumerable.Repeat(0.25 * i, vectors[0].Length).ToArray()).ToArray();
            for (int r = 0; r < a[l].Length; r++)
            {
                rows[a[l][r]] = vectors[r];
            }
            foreach (NamedArray g in LayerOps.Aggregate(layer, [layerArrays], new MatchResult(rows, [a[l]], Enumerable.Repeat(1, widths[l]).ToArray())))
            {
                global.Add(g);
            }
        }
        ArrayRecord classifier = LayerOps.Extract(local, LeNetT.Classifier);
        classifier.Set(LayerOps.PatchInputs(classifier, LeNetT.Classifier, a[2], widths[2]));
        foreach (NamedArray g in classifier)
        {
            global.Add(g);
        }

        ArrayRecord back = FedMaMath.Reconstruct(LeNetT, global, a);

        Assert.Equal(local.Select(x => x.Name), back.Select(x => x.Name));
        foreach (NamedArray original in local)
        {
            Assert.Equal(original.Shape, back[original.Name].Shape);
            Assert.Equal(original.F, back[original.Name].F);
        }
    }

    [Fact]
    public void AverageClassifier_ClassOnOneClientOnly_GetsThatClientsRow_AbsentClassNoNaN()
    {
        // Check 6: π_{j,k} = n_{j,k} / Σ n_{·,k}; a class held by one client takes that client's row (π = 1); a class no
        // client holds is averaged 1/J instead of dividing by zero.
        var cls = new LayerSpec("fc", LayerKind.Fc);
        ArrayRecord Rec(float v) => [NamedArray.Of("fc.weight", [3, 2], [v, v, v + 1, v + 1, v + 2, v + 2]), NamedArray.Of("fc.bias", [3], [v, v, v])];
        long[][] counts = [[5, 3, 0], [0, 1, 0]];

        ArrayRecord avg = LayerOps.AverageClassifier(cls, [Rec(1), Rec(10)], counts);

        float[] w = avg["fc.weight"].F, b = avg["fc.bias"].F;
        Assert.Equal([1f, 1f], w[..2]);                                   // class 0: only client 0
        Assert.Equal(0.75f * 2 + (0.25f * 11), w[2], 5);                  // class 1: shares 3/4 and 1/4
        Assert.Equal((3 + 12) / 2f, w[4], 5);                             // class 2: nobody → 1/J
        Assert.All(w.Concat(b), v => Assert.True(float.IsFinite(v)));
        Assert.Equal(1f, b[0]);
    }

    [Fact]
    public void WeightedAverage_IdenticalRecords_IsTheIdentity()
    {
        ArrayRecord w = Init(LeNetT, 8);

        ArrayRecord avg = LayerOps.WeightedAverage([w, w.Clone(), w.Clone()], [1, 5, 2]);

        Assert.All(w, a => Assert.Equal(a.F, avg[a.Name].F, new FloatTolerance(1e-6f)));
    }

    [Fact]
    public void Aggregate_LstmLayer_OwnerMeansForInputsAndOneOverJForRecurrent()
    {
        // Two clients with one hidden unit each (input width 1), matched to the same global unit (n = 2, J = 2).
        var layer = new LayerSpec("lstm", LayerKind.Lstm);
        ArrayRecord Client(float v) =>
        [
            NamedArray.Of("lstm.weight_ih_l0", [4, 1], [v, v, v, v]),
            NamedArray.Of("lstm.weight_hh_l0", [4, 1], [v, v, v, v]),
            NamedArray.Of("lstm.bias_ih_l0", [4], [v, v, v, v]),
            NamedArray.Of("lstm.bias_hh_l0", [4], [v, v, v, v]),
        ];
        var match = new MatchResult([new double[5]], [[0], [0]], [2]);

        ArrayRecord g = LayerOps.Aggregate(layer, [Client(2), Client(4)], match);

        Assert.All(g["lstm.weight_ih_l0"].F, v => Assert.Equal(3f, v));
        Assert.All(g["lstm.bias_ih_l0"].F, v => Assert.Equal(3f, v));
        Assert.All(g["lstm.weight_hh_l0"].F, v => Assert.Equal(3f, v));   // (2 + 4) / J
        Assert.All(g["lstm.bias_hh_l0"].F, v => Assert.Equal(3f, v));
    }

    private sealed class FloatTolerance(float eps) : IEqualityComparer<float>
    {
        public bool Equals(float a, float b) => Math.Abs(a - b) <= eps;

        public int GetHashCode(float obj) => 0;
    }
}
