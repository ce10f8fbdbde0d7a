using Tessera.Nn;

namespace Tessera.Tests.Nn;

public sealed class GptModelTests
{
    private static readonly GptConfig Small = new(BlockSize: 8, VocabSize: 11, NLayer: 2, NHead: 2, NEmbd: 16);

    private static Tensor Param(nn.Module model, string name) =>
        model.named_parameters().Single(p => p.name == name).parameter;

    [Fact]
    public void StateDict_BiasAndTiedHead_KeysInNanoGptOrderWithoutLmHead()
    {
        using var model = new GptModel(Small);

        string[] block(int i) =>
        [
            $"h.{i}.ln_1.weight", $"h.{i}.ln_1.bias",
            $"h.{i}.attn.c_attn.weight", $"h.{i}.attn.c_attn.bias",
            $"h.{i}.attn.c_proj.weight", $"h.{i}.attn.c_proj.bias",
            $"h.{i}.ln_2.weight", $"h.{i}.ln_2.bias",
            $"h.{i}.mlp.c_fc.weight", $"h.{i}.mlp.c_fc.bias",
            $"h.{i}.mlp.c_proj.weight", $"h.{i}.mlp.c_proj.bias",
        ];
        Assert.Equal(
            ["wte.weight", "wpe.weight", .. block(0), .. block(1), "ln_f.weight", "ln_f.bias"],
            ModelChecks.Keys(model));
    }

    [Fact]
    public void StateDict_NoBiasUntiedHead_KeysHaveNoBiasesAndAnLmHead()
    {
        using var model = new GptModel(Small with { NLayer = 1, Bias = false, TiedHead = false });

        Assert.Equal(
            ["wte.weight", "wpe.weight", "h.0.ln_1.weight", "h.0.attn.c_attn.weight", "h.0.attn.c_proj.weight",
             "h.0.ln_2.weight", "h.0.mlp.c_fc.weight", "h.0.mlp.c_proj.weight", "ln_f.weight", "lm_head.weight"],
            ModelChecks.Keys(model));
        var sd = model.state_dict();
        Assert.Equal([11L, 16L], sd["wte.weight"].shape);
        Assert.Equal([8L, 16L], sd["wpe.weight"].shape);
        Assert.Equal([48L, 16L], sd["h.0.attn.c_attn.weight"].shape);
        Assert.Equal([64L, 16L], sd["h.0.mlp.c_fc.weight"].shape);
        Assert.Equal([16L, 64L], sd["h.0.mlp.c_proj.weight"].shape);
        Assert.Equal([11L, 16L], sd["lm_head.weight"].shape);
    }

    [Theory]
    [InlineData(8)]
    [InlineData(3)]
    [InlineData(1)]
    public void Forward_TokenIds_GivesLogitsPerPosition(int t)
    {
        using var scope = torch.NewDisposeScope();
        using var model = new GptModel(Small);

        var logits = model.call(torch.randint(0, 11, [4, t]));

        Assert.Equal([4L, t, 11L], logits.shape);
    }

    [Fact]
    public void Forward_LongerThanBlockSize_Throws()
    {
        using var scope = torch.NewDisposeScope();
        using var model = new GptModel(Small);

        Assert.Throws<ArgumentException>(() => model.call(torch.zeros(1, 9, dtype: ScalarType.Int64)));
    }

    [Theory]
    [InlineData(true, true)]
    [InlineData(false, false)]
    public void SaveLoad_RoundTrip_GivesIdenticalOutputs(bool bias, bool tied)
    {
        using var scope = torch.NewDisposeScope();
        var cfg = Small with { Bias = bias, TiedHead = tied, Dropout = 0.1 };
        var idx = torch.randint(0, 11, [2, 8]);

        ModelChecks.AssertSaveLoadRoundTrip(() =>
        {
            var m = new GptModel(cfg);
            Init.Gpt2(m);
            return m;
        }, idx);
    }

    [Fact]
    public void Forward_AfterWarmUp_LeavesOnlyItsResult()
    {
        using var scope = torch.NewDisposeScope();
        using var model = new GptModel(Small with { Dropout = 0.1 });
        ModelChecks.AssertForwardLeavesOnlyItsResult(model, torch.randint(0, 11, [2, 8]));
    }

    [Fact]
    public void Generate_Sampling_LeavesOnlyItsResult()
    {
        // Given
        using var scope = torch.NewDisposeScope();
        using var model = new GptModel(Small);
        var prompt = torch.randint(0, 11, [2, 3]);
        var generator = new Generator(3);
        model.Generate(prompt, 2, temperature: 0.9, topK: 4, generator: generator);
        DisposeScopeManager.Statistics.Reset();

        // When: 9 new tokens, so the context is cropped on the last steps
        var generated = model.Generate(prompt, 9, temperature: 0.9, topK: 4, generator: generator);
        long live = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        generated.Dispose();

        // Then
        Assert.Equal(1, live);
        Assert.Equal(0, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    [Fact]
    public void Forward_LaterTokensChanged_EarlierLogitsUnchanged()
    {
        // Given: two sequences equal up to position k = 3 and different after it
        using var scope = torch.NewDisposeScope();
        torch.random.manual_seed(3);
        using var model = new GptModel(Small);
        Init.Gpt2(model);
        model.eval();
        var a = torch.randint(0, 11, [2, 8]);
        var b = a.clone();
        b[.., 4..] = (b[.., 4..] + 1) % 11;

        // When
        using var noGrad = torch.no_grad();
        var la = model.call(a);
        var lb = model.call(b);

        // Then: positions 0..3 agree, position 4 (which sees its own changed token) differs
        Assert.True(torch.allclose(la[.., ..4], lb[.., ..4], rtol: 0, atol: 1e-6));
        Assert.False(torch.allclose(la[.., 4], lb[.., 4], rtol: 0, atol: 1e-4));
    }

    [Theory]
    [InlineData(13, 10_626_816L)]
    [InlineData(96, 10_658_688L)]
    public void NumParameters_ArithmeticPaperModel_MatchesSpecFormula(int vocab, long expected)
    {
        // 6·(12d² + 2d) + d + V·d with d = 384 (no biases, tied head, position table excluded)
        using var model = new GptModel(new GptConfig(BlockSize: 256, VocabSize: vocab, NLayer: 6, NHead: 6,
            NEmbd: 384, Dropout: 0.2, Bias: false, TiedHead: true));

        Assert.Equal(expected, model.NumParameters());
        Assert.Equal(expected + 256 * 384, model.NumParameters(excludePositionEmbedding: false));
    }

    [Fact]
    public void NumParameters_WithBiasAndUntiedHead_CountsEachTensorOnce()
    {
        // Per block with biases: 12d² + 13d (QKV 3d²+3d, proj d²+d, fc 4d²+4d, proj 4d²+d, two LNs 4d)
        using var model = new GptModel(Small with { TiedHead = false });
        const long d = 16, v = 11, l = 2;
        long expected = l * (12 * d * d + 13 * d) + 2 * d + v * d + v * d;

        Assert.Equal(expected, model.NumParameters());
    }

    [Fact]
    public void Generate_Greedy_MatchesStepByStepArgmaxWithCroppedContext()
    {
        // Given: a prompt of 5 and 7 new tokens, so the context must be cropped to the block size 8
        using var scope = torch.NewDisposeScope();
        torch.random.manual_seed(11);
        using var model = new GptModel(Small);
        Init.Gpt2(model);
        model.eval();
        var prompt = torch.randint(0, 11, [3, 5]);

        // When
        var generated = model.Generate(prompt, 7, temperature: 0.0);

        // Then
        var expected = prompt.clone();
        using (torch.no_grad())
        {
            for (int i = 0; i < 7; i++)
            {
                long t = expected.shape[1];
                var ctx = t > 8 ? expected[.., (int)(t - 8)..] : expected;
                var next = model.call(ctx)[.., -1].argmax(-1, keepdim: true);
                expected = torch.cat([expected, next], 1);
            }
        }

        Assert.Equal([3L, 12L], generated.shape);
        Assert.True(ModelChecks.Same(expected, generated));
        Assert.True(ModelChecks.Same(prompt, generated[.., ..5]));
    }

    [Fact]
    public void Generate_GreedyForcedTie_PicksLowestTiedId()
    {
        // Given: ln_f outputs its bias (weight 0, bias 1), and the head rows 2 and 5 are all ones, the rest 0,
        // so logits are 16 for tokens 2 and 5 and 0 elsewhere, whatever the input
        using var scope = torch.NewDisposeScope();
        using var model = new GptModel(Small with { TiedHead = false });
        model.eval();
        using (torch.no_grad())
        {
            Param(model, "ln_f.weight").zero_();
            Param(model, "ln_f.bias").fill_(1.0);
            var head = Param(model, "lm_head.weight");
            head.zero_();
            head[2] = 1.0f;
            head[5] = 1.0f;
        }

        // When
        var generated = model.Generate(torch.tensor(new long[] { 7, 9, 1, 0 }, [2, 2]), 4, temperature: 0.0);

        // Then
        Assert.Equal([7L, 9L, 2L, 2L, 2L, 2L, 1L, 0L, 2L, 2L, 2L, 2L], generated.flatten().data<long>().ToArray());
    }

    [Fact]
    public void Generate_SamplingTopK1_EqualsGreedy()
    {
        using var scope = torch.NewDisposeScope();
        torch.random.manual_seed(5);
        using var model = new GptModel(Small);
        Init.Gpt2(model);
        model.eval();
        var prompt = torch.randint(0, 11, [4, 3]);

        var greedy = model.Generate(prompt, 6, temperature: 0.0);
        var topOne = model.Generate(prompt, 6, temperature: 0.8, topK: 1, generator: new Generator(1));

        Assert.True(ModelChecks.Same(greedy, topOne));
    }

    [Fact]
    public void Generate_SameGenerator_SameSamplesAndOnlyTopKTokens()
    {
        // Given: logits 3 on token 4, 2 on token 9, 1 on token 0, 0 elsewhere (ln_f → ones, head rows set)
        using var scope = torch.NewDisposeScope();
        using var model = new GptModel(Small with { TiedHead = false, NEmbd = 4 });
        model.eval();
        using (torch.no_grad())
        {
            Param(model, "ln_f.weight").zero_();
            Param(model, "ln_f.bias").fill_(0.25);
            var head = Param(model, "lm_head.weight");
            head.zero_();
            head[4] = 3.0f;
            head[9] = 2.0f;
            head[0] = 1.0f;
        }

        var prompt = torch.zeros(64, 1, dtype: ScalarType.Int64);

        // When
        var s1 = model.Generate(prompt, 4, temperature: 1.0, topK: 2, generator: new Generator(42));
        var s2 = model.Generate(prompt, 4, temperature: 1.0, topK: 2, generator: new Generator(42));

        // Then: reproducible, only tokens 4 and 9, and both occur in 256 draws (p(9) = 1/(1+e) ≈ 0.27)
        var tokens = s1[.., 1..].flatten().data<long>().ToArray();
        Assert.True(ModelChecks.Same(s1, s2));
        Assert.All(tokens, tok => Assert.True(tok == 4 || tok == 9, $"token {tok}"));
        Assert.InRange(tokens.Count(tok => tok == 9), 30, 110);
    }

    [Fact]
    public void TiedHead_Backward_GradientFlowsIntoWteRowsOfUnseenTokens()
    {
        // Given: inputs use only tokens 0 and 1, so any gradient on wte rows 2.. comes through the head
        using var scope = torch.NewDisposeScope();
        torch.random.manual_seed(2);
        using var tied = new GptModel(Small);
        torch.random.manual_seed(2);
        using var untied = new GptModel(Small with { TiedHead = false });
        var idx = torch.tensor(new long[] { 0, 1, 1, 0, 1, 0 }, [1, 6]);
        var targets = torch.tensor(new long[] { 3, 4, 5, 6, 7, 8 }, [1, 6]);

        // When
        foreach (var m in new[] { tied, untied })
        {
            nn.functional.cross_entropy(m.call(idx).view(-1, 11), targets.view(-1)).backward();
        }

        // Then
        var tiedGrad = Param(tied, "wte.weight").grad!;
        var untiedGrad = Param(untied, "wte.weight").grad!;
        Assert.True(tiedGrad[2..].abs().sum().item<float>() > 0f);
        Assert.Equal(0f, untiedGrad[2..].abs().sum().item<float>());
        Assert.DoesNotContain("lm_head.weight", ModelChecks.Keys(tied));
    }

    [Fact]
    public void TiedHead_Logits_AreFinalHiddenTimesWteTransposed()
    {
        // Given: the token table is scaled by 2; with ln_f's output h fixed, the logits must double exactly
        using var scope = torch.NewDisposeScope();
        using var model = new GptModel(Small);
        model.eval();
        using var noGrad = torch.no_grad();
        Param(model, "ln_f.weight").zero_();
        Param(model, "ln_f.bias").fill_(1.0);
        var idx = torch.zeros(1, 2, dtype: ScalarType.Int64);
        var before = model.call(idx);

        // When
        Param(model, "wte.weight").mul_(2.0);
        var after = model.call(idx);

        // Then: h = ones, so logits[v] = Σ_c wte[v, c]
        Assert.True(torch.allclose(after, 2 * before, rtol: 1e-5, atol: 1e-6));
        Assert.True(torch.allclose(after[0, 0], Param(model, "wte.weight").sum(1), rtol: 1e-5, atol: 1e-5));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void DecayAndNoDecay_Groups_PartitionParametersAndDecayOnlyLinearWeights(bool tied)
    {
        using var model = new GptModel(Small with { TiedHead = tied });
        var all = model.named_parameters().ToArray();

        var (decay, noDecay) = model.DecayAndNoDecayParameters();

        var decayNames = all.Where(p => decay.Any(d => ReferenceEquals(d, p.parameter))).Select(p => p.name).ToArray();
        var noDecayNames = all.Where(p => noDecay.Any(d => ReferenceEquals(d, p.parameter))).Select(p => p.name);
        string[] expected =
        [
            "h.0.attn.c_attn.weight", "h.0.attn.c_proj.weight", "h.0.mlp.c_fc.weight", "h.0.mlp.c_proj.weight",
            "h.1.attn.c_attn.weight", "h.1.attn.c_proj.weight", "h.1.mlp.c_fc.weight", "h.1.mlp.c_proj.weight",
            .. tied ? Array.Empty<string>() : ["lm_head.weight"],
        ];
        Assert.Equal(expected, decayNames);
        Assert.Equal(all.Length, decay.Count + noDecay.Count);
        Assert.Equal(all.Select(p => p.name).Except(expected), noDecayNames);
        Assert.Contains("wte.weight", noDecayNames);
        Assert.All(decay, p => Assert.Equal(2L, p.dim()));
    }

    [Fact]
    public void Train_RepeatingSequence_LossFallsWellBelowLnV()
    {
        // Given: a period-12 sequence over 8 tokens in which token 1 and 5 have two different successors,
        // so the model must use context; all 12 windows of length 16 as one batch
        using var scope = torch.NewDisposeScope();
        torch.random.manual_seed(1337);
        long[] period = [3, 1, 4, 1, 5, 2, 6, 5, 3, 5, 0, 7];
        long[] stream = Enumerable.Range(0, 12 + 17).Select(i => period[i % 12]).ToArray();
        var data = torch.tensor(stream);
        var x = torch.stack(Enumerable.Range(0, 12).Select(i => data[i..(i + 16)]).ToArray());        // (12, 16)
        var y = torch.stack(Enumerable.Range(0, 12).Select(i => data[(i + 1)..(i + 17)]).ToArray());  // (12, 16)
        using var model = new GptModel(new GptConfig(BlockSize: 16, VocabSize: 8, NLayer: 1, NHead: 2, NEmbd: 32));
        Init.Gpt2(model);
        using var opt = torch.optim.AdamW(model.parameters(), lr: 1e-2);
        double first = 0, last = 0;

        // When: 100 AdamW steps
        for (int step = 0; step < 100; step++)
        {
            using var stepScope = torch.NewDisposeScope();
            opt.zero_grad();
            var loss = nn.functional.cross_entropy(model.call(x).view(-1, 8), y.view(-1));
            loss.backward();
            opt.step();
            last = loss.item<float>();
            if (step == 0)
            {
                first = last;
            }
        }

        // Then: starts near ln 8 ≈ 2.08 and ends far below it
        Assert.InRange(first, 1.8, 2.4);
        Assert.True(last < 0.2, $"loss {first} → {last}");
    }
}
