using Tessera.Experiments;
using Tessera.Methods.Pruning;
using Tessera.Nn;
using Tessera.Training;

namespace Tessera.Tests.Methods.Pruning;

public sealed class MaskSetTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("tessera-masks-").FullName;
    private readonly int _threads = torch.get_num_threads();

    public MaskSetTests() => torch.set_num_threads(1);

    public void Dispose()
    {
        torch.set_num_threads(_threads);
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public void Attach_RegistersAMaskBufferOfOnesPerLinearAndConv()
    {
        using var model = new ConvFm(1, 8, 8, 10);

        MaskSet masks = MaskSet.Attach(model);

        Assert.Equal(["conv1.weight", "conv2.weight", "conv3.weight", "conv4.weight", "fc1.weight", "fc2.weight"], masks.Layers.Select(l => l.Name));
        Assert.Contains("conv1.weight_mask", model.state_dict().Keys);
        Assert.Contains("fc2.weight_mask", model.state_dict().Keys);
        Assert.Equal(1.0, masks.Density);
        Assert.Equal(BnModelChecksTotal(model), masks.Total);
    }

    [Fact]
    public void Attach_Twice_ReusesTheBuffers()
    {
        using var model = new MlpBn(4, [3], 2, biasFree: true);
        MaskSet first = MaskSet.Attach(model);
        using (var scope = torch.NewDisposeScope())
        {
            first.Set([torch.zeros(3, 4), torch.ones(2, 3)]);
        }

        MaskSet second = MaskSet.Attach(model);

        Assert.Equal(6.0 / 18, second.Density, 12);
    }

    [Fact]
    public void Attach_Exempt_LeavesTheLayerOutAndUnknownNamesFail()
    {
        using var model = new MlpBn(4, [3], 2, biasFree: true);

        MaskSet masks = MaskSet.Attach(model, new MaskingOptions { Exempt = ["layers.0"] });

        Assert.Equal(["layers.1.weight"], masks.Layers.Select(l => l.Name));
        Assert.Equal(6, masks.Total);
        var e = Assert.Throws<InputException>(() => MaskSet.Attach(model, new MaskingOptions { Exempt = ["layers.7"] }));
        Assert.Contains("layers.7", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Set_AppliesTheMask_PrunedWeightsArePositiveZero_KeptUnchanged()
    {
        using var scope = torch.NewDisposeScope();
        using var model = new MlpBn(2, [2], 1, biasFree: true);
        MaskSet masks = MaskSet.Attach(model);
        using (torch.no_grad())
        {
            masks.Layers[0].Weight.copy_(torch.tensor(new float[] { -1, 2, -3, 4 }).reshape(2, 2));
        }

        masks.Set([torch.tensor(new float[] { 1, 0, 0, 1 }).reshape(2, 2), torch.ones(1, 2)]);

        float[] w = masks.Layers[0].Weight.detach().flatten().data<float>().ToArray();
        Assert.Equal([-1f, 0f, 0f, 4f], w);
        Assert.False(float.IsNegative(w[2]), "a pruned weight is +0, not -0");
        Assert.Equal(4.0 / 6, masks.Density, 12);
        Assert.Equal([new LayerDensity("layers.0.weight", [2, 2], 2, 4), new LayerDensity("layers.1.weight", [1, 2], 2, 2)],
            masks.Densities(), new LayerDensityComparer());
    }

    [Fact]
    public void Set_RejectsWrongShapesAndNonBinaryValues()
    {
        using var scope = torch.NewDisposeScope();
        using var model = new MlpBn(2, [2], 1, biasFree: true);
        MaskSet masks = MaskSet.Attach(model);

        Assert.Throws<ArgumentException>(() => masks.Set([torch.ones(2, 2)]));
        Assert.Throws<ArgumentException>(() => masks.Set([torch.ones(2, 3), torch.ones(1, 2)]));
        Assert.Throws<ArgumentException>(() => masks.Set([torch.full(2, 2, 0.5f), torch.ones(1, 2)]));
    }

    [Fact]
    public void SaveLoad_MasksTravelWithTheModel()
    {
        // Given: a pruned model saved with its own save()
        using var scope = torch.NewDisposeScope();
        torch.random.manual_seed(3);
        using var a = new MlpBn(6, [5], 3, biasFree: true);
        MaskSet ma = MaskSet.Attach(a);
        using (var g = new Generator(1))
        {
            ma.Set(MaskSelection.Random(ma.Layers.Select(l => l.Weight.shape).ToArray(), [10, 5], g));
        }
        string path = Path.Combine(_root, "pruned.dat");
        a.save(path);

        // When: a fresh model of the same shape gets masks attached and loads the file
        torch.random.manual_seed(4);
        using var b = new MlpBn(6, [5], 3, biasFree: true);
        MaskSet mb = MaskSet.Attach(b);
        b.load(path);

        // Then: same masks, same (pruned) weights
        Assert.Equal(15.0 / 45, mb.Density, 12);
        for (int i = 0; i < 2; i++)
        {
            Assert.True(mb.Layers[i].Mask.eq(ma.Layers[i].Mask).all().item<bool>());
            Assert.True(mb.Layers[i].Weight.eq(ma.Layers[i].Weight).all().item<bool>());
        }
    }

    [Fact]
    public void TrainerWithMaskHooks_SgdMomentumAndWeightDecay_PrunedWeightsStayExactlyZero()
    {
        // Given: a half-pruned MLP trained by the Trainer with SGD (momentum 0.9, weight decay 1e-2, lr 0.1)
        using var scope = torch.NewDisposeScope();
        torch.random.manual_seed(5);
        using var model = new MlpBn(8, [16], 3, biasFree: true);
        MaskSet masks = MaskSet.Attach(model);
        using (var g = new Generator(2))
        {
            long[][] shapes = masks.Layers.Select(l => l.Weight.shape).ToArray();
            masks.Set(MaskSelection.Random(shapes, MaskSelection.LayerCounts(shapes, 0.5, RandomDistribution.Uniform), g));
        }
        Tensor[] before = masks.Weights();
        using var optimizer = optim.SGD(model.parameters(), 0.1, 0.9, weight_decay: 1e-2);
        using Generator data = new(7);
        Tensor x = torch.randn([64, 8], generator: data), y = torch.randint(0, 3, [64], generator: data);
        RunDirectory dir = RunDirectory.Create(Path.Combine(_root, "run"), _root, "test", "unit", 0);
        using RunContext ctx = RunContext.Start(dir, NullSink.Instance);
        var zeroAfterEveryStep = new List<bool>();
        var trainer = new Trainer(model, optimizer, _ => nn.functional.cross_entropy(model.call(x), y), LrSchedules.Constant(0.1),
            new TrainerOptions(25, LogEvery: 100), ctx, 0)
        {
            AfterBackward = _ => masks.MaskGradients(),
            AfterStep = _ =>
            {
                masks.Apply();
                zeroAfterEveryStep.Add(PrunedNonzero(masks) == 0);
            },
        };

        // When
        trainer.Run();

        // Then: the kept weights trained, the pruned ones are exactly zero after every one of the 25 steps
        Assert.Equal(25, zeroAfterEveryStep.Count);
        Assert.All(zeroAfterEveryStep, Assert.True);
        Assert.True(masks.Layers.Select((l, i) => l.Weight.ne(before[i]).logical_and(l.Mask.ne(0)).any().item<bool>()).All(b => b));
    }

    [Fact]
    public void MaskGradients_AloneKeepsMomentumAtZero_SoMomentumSgdNeverMovesAPrunedWeight()
    {
        // Given: pruned weights at zero, gradients masked but the mask NOT re-applied after the step
        using var scope = torch.NewDisposeScope();
        torch.random.manual_seed(6);
        using var model = new MlpBn(4, [6], 2, biasFree: true);
        MaskSet masks = MaskSet.Attach(model);
        using (var g = new Generator(3))
        {
            masks.Set(MaskSelection.Random(masks.Layers.Select(l => l.Weight.shape).ToArray(), [12, 6], g));
        }
        using var optimizer = optim.SGD(model.parameters(), 0.1, 0.9, weight_decay: 1e-2);
        Tensor x = torch.randn(16, 4), y = torch.randint(0, 2, [16]);

        // When
        for (int step = 0; step < 10; step++)
        {
            optimizer.zero_grad();
            nn.functional.cross_entropy(model.call(x), y).backward();
            masks.MaskGradients();
            optimizer.step();
        }

        // Then
        Assert.Equal(0, PrunedNonzero(masks));
    }

    [Fact]
    public void WithoutGradientMasking_MomentumSgdMovesPrunedWeights()
    {
        // The counterpart of the test above: the hooks are what keeps the zeros.
        using var scope = torch.NewDisposeScope();
        torch.random.manual_seed(6);
        using var model = new MlpBn(4, [6], 2, biasFree: true);
        MaskSet masks = MaskSet.Attach(model);
        using (var g = new Generator(3))
        {
            masks.Set(MaskSelection.Random(masks.Layers.Select(l => l.Weight.shape).ToArray(), [12, 6], g));
        }
        using var optimizer = optim.SGD(model.parameters(), 0.1, 0.9, weight_decay: 1e-2);
        Tensor x = torch.randn(16, 4), y = torch.randint(0, 2, [16]);

        optimizer.zero_grad();
        nn.functional.cross_entropy(model.call(x), y).backward();
        optimizer.step();

        Assert.True(PrunedNonzero(masks) > 0);
    }

    private static long PrunedNonzero(MaskSet masks)
    {
        using var scope = torch.NewDisposeScope();
        return masks.Layers.Sum(l => l.Weight.detach().ne(0).logical_and(l.Mask.eq(0)).sum().item<long>());
    }

    private static long BnModelChecksTotal(nn.Module model) => MaskSet.FindPrunable(model).Sum(p => p.Weight.numel());

    private sealed class LayerDensityComparer : IEqualityComparer<LayerDensity>
    {
        public bool Equals(LayerDensity? a, LayerDensity? b) =>
            a is not null && b is not null && a.Name == b.Name && a.Shape.SequenceEqual(b.Shape) && a.Kept == b.Kept && a.Total == b.Total;

        public int GetHashCode(LayerDensity d) => d.Name.GetHashCode(StringComparison.Ordinal);
    }
}
