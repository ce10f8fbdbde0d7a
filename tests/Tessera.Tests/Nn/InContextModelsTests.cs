using Tessera.Nn;
using Tessera.Tests.Support;

namespace Tessera.Tests.Nn;

public sealed class InContextModelsTests
{
    private static readonly IclConfig Tiny = new(NDims: 3, NPositions: 5, NLayer: 1, NHead: 2, NEmbd: 16);

    private static Tensor Param(nn.Module model, string name) => model.named_parameters().Single(p => p.name == name).parameter;

    private static (Tensor Xs, Tensor Ys) Prompts(int b, int n, int d, ulong seed)
    {
        using var g = new Generator(seed);
        return (torch.randn([b, n, d], generator: g), torch.randn([b, n], generator: g));
    }

    private static LoopedTransformer Looped(int loops, int seed = 1, IclConfig? cfg = null)
    {
        torch.random.manual_seed(seed);
        var m = new LoopedTransformer(cfg ?? Tiny, loops);
        m.InitBackbone();
        m.eval();
        return m;
    }

    [Fact]
    public void Combine_OneByTwoByThree_InterleavesXAndPaddedY()
    {
        // x_0 = (1,2,3), x_1 = (4,5,6), y = (7, 8) → tokens x_0, (7,0,0), x_1, (8,0,0)
        using var scope = torch.NewDisposeScope();
        var xs = torch.tensor(new float[] { 1, 2, 3, 4, 5, 6 }, [1, 2, 3]);
        var ys = torch.tensor(new float[] { 7, 8 }, [1, 2]);

        var zs = InContextPrompt.Combine(xs, ys);

        Assert.Equal([1L, 4L, 3L], zs.shape);
        Assert.Equal(new float[] { 1, 2, 3, 7, 0, 0, 4, 5, 6, 8, 0, 0 }, zs.data<float>().ToArray());
    }

    [Fact]
    public void StateDict_BothModels_SameKeysInCallOrder()
    {
        using var looped = new LoopedTransformer(Tiny, 3);
        using var standard = new IclTransformer(Tiny with { NLayer = 2 });

        string[] block(int i) =>
        [
            $"backbone.h.{i}.ln_1.weight", $"backbone.h.{i}.ln_1.bias",
            $"backbone.h.{i}.attn.c_attn.weight", $"backbone.h.{i}.attn.c_attn.bias",
            $"backbone.h.{i}.attn.c_proj.weight", $"backbone.h.{i}.attn.c_proj.bias",
            $"backbone.h.{i}.ln_2.weight", $"backbone.h.{i}.ln_2.bias",
            $"backbone.h.{i}.mlp.c_fc.weight", $"backbone.h.{i}.mlp.c_fc.bias",
            $"backbone.h.{i}.mlp.c_proj.weight", $"backbone.h.{i}.mlp.c_proj.bias",
        ];
        string[] head = ["read_in.weight", "read_in.bias", "backbone.wpe.weight"];
        string[] tail = ["backbone.ln_f.weight", "backbone.ln_f.bias", "read_out.weight", "read_out.bias"];
        Assert.Equal([.. head, .. block(0), .. tail], ModelChecks.Keys(looped));
        Assert.Equal([.. head, .. block(0), .. block(1), .. tail], ModelChecks.Keys(standard));
        Assert.Equal([11L, 16L], looped.state_dict()["backbone.wpe.weight"].shape);
        Assert.Equal([16L, 3L], looped.state_dict()["read_in.weight"].shape);
    }

    [Fact]
    public void Forward_Shapes_OnePredictionPerPoint_AndWindowCount()
    {
        using var scope = torch.NewDisposeScope();
        using var looped = Looped(4);
        using var standard = new IclTransformer(Tiny);
        var (xs, ys) = Prompts(16, 5, 3, 1);

        Tensor[] window = looped.Loop(xs, ys, 4, 2);

        Assert.Equal([16L, 5L], standard.call(xs, ys).shape);
        Assert.Equal([16L, 5L], looped.call(xs, ys).shape);
        Assert.Equal(2, window.Length);
        Assert.All(window, p => Assert.Equal([16L, 5L], p.shape));
    }

    [Fact]
    public void Forward_MorePointsThanPositions_Throws()
    {
        using var scope = torch.NewDisposeScope();
        using var standard = new IclTransformer(Tiny);
        var (xs, ys) = Prompts(1, 6, 3, 1);   // 12 tokens > 11 position rows

        Assert.Throws<ArgumentException>(() => standard.call(xs, ys));
    }

    [Fact]
    public void SaveLoad_RoundTrip_IdenticalPredictions()
    {
        using var scope = torch.NewDisposeScope();
        var (xs, ys) = Prompts(2, 5, 3, 2);
        using var a = Looped(3, seed: 1);
        using var b = Looped(3, seed: 2);
        using var noGrad = torch.no_grad();
        Assert.False(ModelChecks.Same(a.call(xs, ys), b.call(xs, ys)));
        var dir = Directory.CreateTempSubdirectory("tessera-icl-");
        try
        {
            string path = Path.Combine(dir.FullName, "looped.dat");
            a.save(path);
            b.load(path);

            Assert.True(ModelChecks.Same(a.call(xs, ys), b.call(xs, ys)));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Looped_OneIteration_EqualsStandardOneLayerWithSameWeights()
    {
        // Spec pitfall 1: positions live inside the backbone, so b = 1 is exactly the 1-layer standard model.
        using var scope = torch.NewDisposeScope();
        using var looped = Looped(1);
        using var standard = new IclTransformer(Tiny);
        standard.load_state_dict(looped.state_dict());
        standard.eval();
        var (xs, ys) = Prompts(4, 5, 3, 3);
        using var noGrad = torch.no_grad();

        Assert.True(torch.allclose(looped.call(xs, ys), standard.call(xs, ys), rtol: 0, atol: 1e-6));
    }

    [Fact]
    public void Looped_TwoIterations_EqualsHandComposedBackboneWithInjection()
    {
        // Spec pitfall 1: pred = read_out(B(B(E) + E)) at the x tokens, with E = read_in(combine) and B adding the
        // positions and the final LayerNorm on each call. B is rebuilt here from the looped model's weights.
        using var scope = torch.NewDisposeScope();
        using var looped = Looped(2);
        using var backbone = new GptBackbone(Tiny.Blocks);
        backbone.load_state_dict(looped.state_dict().Where(kv => kv.Key.StartsWith("backbone.", StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key["backbone.".Length..], kv => kv.Value));
        backbone.eval();
        var (xs, ys) = Prompts(3, 5, 3, 4);
        using var noGrad = torch.no_grad();

        var e = nn.functional.linear(InContextPrompt.Combine(xs, ys), Param(looped, "read_in.weight"), Param(looped, "read_in.bias"));
        var z2 = backbone.call(backbone.call(e) + e);
        var expected = nn.functional.linear(z2[.., TensorIndex.Slice(0, null, 2)], Param(looped, "read_out.weight"), Param(looped, "read_out.bias")).squeeze(-1);

        Assert.True(torch.allclose(looped.call(xs, ys), expected, rtol: 0, atol: 1e-6));
    }

    [Fact]
    public void Loop_StateAfterAnyIteration_IsLayerNormalised()
    {
        // Spec pitfall 2: the carried state is the final LayerNorm's output (weight 1, bias 0 at init).
        using var scope = torch.NewDisposeScope();
        using var looped = Looped(3);
        var (xs, ys) = Prompts(2, 5, 3, 5);
        using var noGrad = torch.no_grad();
        var e = looped.Embed(xs, ys);
        var z = torch.zeros_like(e);

        for (int t = 0; t < 3; t++)
        {
            z = looped.Step(z, e);
            Assert.True(z.mean([-1]).abs().max().item<float>() < 1e-5);
            Assert.True((z.std(-1, unbiased: false) - 1).abs().max().item<float>() < 1e-3);
        }
    }

    [Fact]
    public void Loop_InjectionRemovedFromIterationTwo_ChangesPredictions()
    {
        // Spec pitfall 3: the prompt embedding is re-added before every iteration.
        using var scope = torch.NewDisposeScope();
        using var looped = Looped(2);
        var (xs, ys) = Prompts(2, 5, 3, 6);
        using var noGrad = torch.no_grad();
        var e = looped.Embed(xs, ys);
        var z1 = looped.Step(torch.zeros_like(e), e);

        var injected = looped.Predict(looped.Step(z1, e));
        var notInjected = looped.Predict(looped.Step(z1, torch.zeros_like(e)));

        Assert.True(torch.allclose(looped.call(xs, ys), injected, rtol: 0, atol: 1e-6));
        Assert.False(torch.allclose(injected, notInjected, rtol: 0, atol: 1e-3));
    }

    [Fact]
    public void Loop_WindowGradients_EqualDetachedPrefixReference()
    {
        // Spec pitfall 4: b = 5, T = 2 → the state after iteration 3 is a constant, the loss is the mean of the
        // last two iterations' losses, and every parameter's gradient matches this reference.
        using var scope = torch.NewDisposeScope();
        using var looped = Looped(5);
        looped.train();
        var (xs, ys) = Prompts(4, 5, 3, 7);
        Tensor[] window = looped.Loop(xs, ys, 5, 3);
        torch.stack(window, 0).sub(ys).square().mean().backward();
        var grads = looped.parameters().Select(p => p.grad!.clone()).ToArray();
        looped.zero_grad();

        var e = looped.Embed(xs, ys);
        var z = torch.zeros_like(e);
        using (torch.no_grad())
        {
            for (int t = 0; t < 3; t++)
            {
                z = looped.Step(z, e);
            }
        }
        z = z.detach();
        var z4 = looped.Step(z, e);
        var z5 = looped.Step(z4, e);
        var reference = (looped.Predict(z4).sub(ys).square().mean() + looped.Predict(z5).sub(ys).square().mean()) / 2;
        reference.backward();

        var parameters = looped.parameters().ToArray();
        Assert.Equal(2, window.Length);
        for (int i = 0; i < parameters.Length; i++)
        {
            Assert.True(torch.allclose(grads[i], parameters[i].grad!, rtol: 1e-4, atol: 1e-6), $"parameter {i}");
        }
    }

    [Fact]
    public void Loop_LongNoGradPrefix_LeavesOnlyTheWindowPredictions()
    {
        // Spec pitfall 5: the prefix frees its states; b = 50 holds no more live tensors than b = 5 (T = 5 both).
        using var scope = torch.NewDisposeScope();
        using var looped = Looped(5);
        var (xs, ys) = Prompts(2, 5, 3, 8);
        long Live(int loops)
        {
            DisposeScopeManager.Statistics.Reset();
            Tensor[] preds = looped.Loop(xs, ys, loops, loops - 5);
            long live = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
            foreach (var p in preds)
            {
                p.Dispose();
            }
            return live;
        }
        Live(5);

        Assert.Equal(5, Live(5));
        Assert.Equal(5, Live(50));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Forward_ChangedLabelOrInput_OnlyLaterPredictionsChange(bool loopedModel)
    {
        // Spec pitfall 6: prediction i sees pairs 0..i−1 and x_i only. j = 2.
        using var scope = torch.NewDisposeScope();
        torch.random.manual_seed(9);
        using nn.Module<Tensor, Tensor, Tensor> model = loopedModel ? Looped(3) : new IclTransformer(Tiny with { NLayer = 2 });
        model.eval();
        var (xs, ys) = Prompts(2, 5, 3, 9);
        var ys2 = ys.clone();
        ys2[.., 2] += 1.0f;
        var xs2 = xs.clone();
        xs2[.., 2, ..] += 1.0f;
        using var noGrad = torch.no_grad();

        var p = model.call(xs, ys);
        var py = model.call(xs, ys2);
        var px = model.call(xs2, ys);

        Assert.True(torch.allclose(p[.., ..3], py[.., ..3], rtol: 0, atol: 1e-6));
        Assert.False(torch.allclose(p[.., 3], py[.., 3], rtol: 0, atol: 1e-4));
        Assert.True(torch.allclose(p[.., ..2], px[.., ..2], rtol: 0, atol: 1e-6));
        Assert.False(torch.allclose(p[.., 2], px[.., 2], rtol: 0, atol: 1e-4));
    }

    [Fact]
    public void Init_ReadInKeepsDefault_BackboneGpt2WithOneLayerResidualScale()
    {
        // Spec pitfall 13: read-in U(−1/√d, 1/√d); c_proj weights N(0, 0.02/√(2·1)) for the one-block stack.
        using var scope = torch.NewDisposeScope();
        using var looped = Looped(12, cfg: new IclConfig(NDims: 5, NPositions: 11, NLayer: 1, NHead: 4, NEmbd: 64));

        var readIn = Param(looped, "read_in.weight");
        var proj = Param(looped, "backbone.h.0.mlp.c_proj.weight");
        var fc = Param(looped, "backbone.h.0.mlp.c_fc.weight");

        Assert.True(readIn.abs().max().item<float>() <= 1 / Math.Sqrt(5));
        Assert.InRange(readIn.std().item<float>(), 0.8 * (1 / Math.Sqrt(15)), 1.2 * (1 / Math.Sqrt(15)));
        Assert.InRange(proj.std().item<float>(), 0.95 * 0.02 / Math.Sqrt(2), 1.05 * 0.02 / Math.Sqrt(2));
        Assert.InRange(fc.std().item<float>(), 0.95 * 0.02, 1.05 * 0.02);
    }

    [Fact]
    public void ParameterCounts_R1Models_MatchSpec()
    {
        // Spec §6: looped 52,033 in total; standard L=4 201,985. Per block 12D² + 13D; + ln_f 2D + Wpe 23·D +
        // read-in (5D + D) + read-out (D + 1).
        using var looped = new LoopedTransformer(new IclConfig(5, 11, 1, 4, 64), 12);
        using var standard = new IclTransformer(new IclConfig(5, 11, 4, 4, 64));

        Assert.Equal(52_033L, looped.ParameterCounts().Total);
        Assert.Equal(201_985L, standard.ParameterCounts().Total);
        Assert.Equal((12L * 64 * 64) + (13 * 64) + 128, looped.ParameterCounts().Backbone);
    }

    [Fact]
    public void ParameterCounts_PaperModels_MatchSpec()
    {
        // Spec §4: backbones 790,272 ("0.79M") and 9,477,632 ("9.48M"); totals 847,873 and 9,535,233.
        using var looped = new LoopedTransformer(new IclConfig(20, 101, 1, 8, 256), 20);
        using var standard = new IclTransformer(new IclConfig(20, 101, 12, 8, 256));

        Assert.Equal((790_272L, 847_873L), looped.ParameterCounts());
        Assert.Equal((9_477_632L, 9_535_233L), standard.ParameterCounts());
    }

    [Fact]
    public void WindowLoss_GradientWrtPrompt_MatchesCentralDifferences()
    {
        // Full window (T = b = 2): the loss is differentiable in xs through read-in, injection and both iterations.
        using var scope = torch.NewDisposeScope();
        using var looped = Looped(2, cfg: Tiny with { NEmbd = 8, NPositions = 3 });
        looped.to(ScalarType.Float64);
        var (xs, ys) = Prompts(1, 3, 3, 10);
        var y64 = ys.to(ScalarType.Float64);

        GradCheck.Assert(x => torch.stack(looped.Loop(x, y64, 2, 0), 0).sub(y64).square().mean(), xs);
    }

    [Fact]
    public void Forward_AfterWarmUp_LeavesOnlyItsResult()
    {
        using var scope = torch.NewDisposeScope();
        using var looped = Looped(6);
        var (xs, ys) = Prompts(2, 5, 3, 11);
        using (torch.NewDisposeScope())
        {
            looped.call(xs, ys);
        }

        DisposeScopeManager.Statistics.Reset();
        var output = looped.call(xs, ys);
        long live = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        output.Dispose();

        Assert.Equal(1, live);
    }
}
