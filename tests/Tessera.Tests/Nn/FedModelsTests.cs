using Tessera.Nn;

namespace Tessera.Tests.Nn;

public sealed class FedModelsTests
{
    [Fact]
    public void FedLeNet_StateDictKeys_AndLeNetSParameterCount()
    {
        using var model = new FedLeNet(1, 28, 28, 10, [10, 20, 100]);

        Assert.Equal(["conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"], ModelChecks.Keys(model));
        Assert.Equal(38_390, model.parameters().Sum(p => p.numel()));   // spec §6: LeNet-S
    }

    [Fact]
    public void FedLeNet_Shapes_AndNoNonlinearityBetweenTheFcLayers()
    {
        using var scope = torch.NewDisposeScope();
        using var model = new FedLeNet(1, 28, 28, 10, [20, 50, 500]);

        Tensor logits = model.call(torch.randn(2, 1, 28, 28));

        Assert.Equal([2L, 10L], logits.shape);
        Assert.Equal([500L, 800L], model.state_dict()["fc1.weight"].shape);   // flatten 800 (§4)
        Assert.Equal(431_080, model.parameters().Sum(p => p.numel()));        // the paper's LeNet
        // fc2∘fc1 is affine (Q7): the logits of a mix of two inputs' fc1 features mix linearly.
        using var noGrad = torch.no_grad();
        Tensor h = torch.randn(2, 500);
        Tensor fc2 = model.state_dict()["fc2.weight"], b2 = model.state_dict()["fc2.bias"];
        Tensor mixed = nn.functional.linear((h[0] + h[1]) / 2, fc2, b2);
        Tensor mean = (nn.functional.linear(h[0], fc2, b2) + nn.functional.linear(h[1], fc2, b2)) / 2;
        Assert.True(mixed.allclose(mean, 1e-5, 1e-5));
    }

    [Fact]
    public void FedLeNet_SaveLoad_RoundTrip() =>
        ModelChecks.AssertSaveLoadRoundTrip(() => new FedLeNet(1, 28, 28, 10, [4, 8, 16]), torch.randn(2, 1, 28, 28));

    [Fact]
    public void Vgg9_StateDictKeys_ParameterCountAndShape()
    {
        using var scope = torch.NewDisposeScope();
        using var model = new Vgg9(3, 32, 10);
        model.eval();

        Tensor logits = model.call(torch.randn(2, 3, 32, 32));

        Assert.Equal([2L, 10L], logits.shape);
        Assert.Equal(3_491_530, model.parameters().Sum(p => p.numel()));     // spec §4
        Assert.Equal(Enumerable.Range(1, 6).SelectMany(i => new[] { $"conv{i}.weight", $"conv{i}.bias" })
            .Concat(["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias", "fc3.weight", "fc3.bias"]), ModelChecks.Keys(model));
    }

    [Fact]
    public void Vgg9_SaveLoad_RoundTrip() =>
        ModelChecks.AssertSaveLoadRoundTrip(() => new Vgg9(3, 16, 10, [4, 4, 6, 6, 8, 8, 12, 12]), torch.randn(2, 3, 16, 16));

    [Fact]
    public void CharLstm_StateDictKeys_ShapesAndPaperParameterCount()
    {
        using var scope = torch.NewDisposeScope();
        using var model = new CharLstm(80, 8, 256, 80);

        Tensor logits = model.call(torch.randint(0, 80, [3, 12]));

        Assert.Equal([3L, 80L], logits.shape);
        Assert.Equal(["embedding.weight", "lstm.weight_ih_l0", "lstm.weight_hh_l0", "lstm.bias_ih_l0", "lstm.bias_hh_l0", "decoder.weight", "decoder.bias"],
            ModelChecks.Keys(model));
        Assert.Equal(293_584, model.parameters().Sum(p => p.numel()));      // spec §4
        Assert.Equal([1024L, 8L], model.state_dict()["lstm.weight_ih_l0"].shape);
    }

    [Fact]
    public void CharLstm_OutputDependsOnTheLastStep_AndSaveLoadRoundTrips()
    {
        using var scope = torch.NewDisposeScope();
        using var model = new CharLstm(80, 8, 16, 80);
        Tensor x = torch.randint(0, 80, [1, 6]);
        Tensor y = x.clone();
        y[0, 5] = (x[0, 5] + 1) % 80;

        using (torch.no_grad())
        {
            Assert.False(model.call(x).allclose(model.call(y)));
        }
        ModelChecks.AssertSaveLoadRoundTrip(() => new CharLstm(80, 8, 16, 80), torch.randint(0, 80, [2, 6]));
    }

    [Fact]
    public void Forward_AfterWarmUp_LeavesOnlyItsResult()
    {
        using var scope = torch.NewDisposeScope();
        using var lenet = new FedLeNet(1, 28, 28, 10, [4, 8, 16]);
        using var lstm = new CharLstm(80, 8, 16, 80);
        ModelChecks.AssertForwardLeavesOnlyItsResult(lenet, torch.randn(2, 1, 28, 28));
        ModelChecks.AssertForwardLeavesOnlyItsResult(lstm, torch.randint(0, 80, [2, 5]));
    }
}

public sealed class CharLstmTests
{
    /// <summary>A character model (embedding → LSTM → decoder) by hand in float64 from its state_dict: the LSTM by its gate
    /// equations i, f, g, o = split(W_ih x_t + b_ih + W_hh h + b_hh); c = σ(f)c + σ(i)tanh(g); h = σ(o)tanh(c), from a zero
    /// state, then the decoder on every h. Returns the logits of every step, (N, T, classes).</summary>
    private static Tensor ByGateEquations(nn.Module model, Tensor tokens)
    {
        var sd = model.state_dict();
        Tensor W(string k) => sd[k].detach().to(ScalarType.Float64);
        long n = tokens.shape[0], steps = tokens.shape[1], hidden = W("lstm.weight_hh_l0").shape[1];
        Tensor inputs = W("embedding.weight").index_select(0, tokens.flatten()).view(n, steps, -1);
        Tensor h = torch.zeros(n, hidden, ScalarType.Float64), c = torch.zeros(n, hidden, ScalarType.Float64);
        var all = new List<Tensor>();
        for (int t = 0; t < steps; t++)
        {
            Tensor gates = inputs.select(1, t).matmul(W("lstm.weight_ih_l0").t()) + W("lstm.bias_ih_l0") + h.matmul(W("lstm.weight_hh_l0").t()) + W("lstm.bias_hh_l0");
            Tensor[] q = gates.chunk(4, 1);
            c = (q[1].sigmoid() * c) + (q[0].sigmoid() * q[2].tanh());
            h = q[3].sigmoid() * c.tanh();
            all.Add(h);
        }
        return torch.stack(all, 1).matmul(W("decoder.weight").t()) + W("decoder.bias");
    }

    [Fact]
    public void Forward_MatchesTheGateEquations()
    {
        // The decoder on the last step. (libtorch's float32 LSTM kernel failed this on the build machines while oneDNN was
        // on, which is why CharLstm runs its LSTM in float64.)
        using var scope = torch.NewDisposeScope();
        torch.random.manual_seed(1);
        using var model = new CharLstm(80, 4, 6, 80);
        Tensor x = torch.randint(0, 80, [3, 5]);
        Tensor expected = ByGateEquations(model, x).select(1, 4);

        using var noGrad = torch.no_grad();
        Tensor actual = model.call(x).to(ScalarType.Float64);

        Assert.True(actual.allclose(expected, 1e-5, 1e-5), $"max diff {(actual - expected).abs().max().item<double>()}");
    }

    [Fact]
    public void LanguageModel_Float32Forward_MatchesTheGateEquationsAtEveryStep()
    {
        // CharLstmLm runs libtorch's float32 LSTM: logits row n·T + t = decoder(h[n, t]) to float32 precision. With oneDNN
        // on, a layer of this shape is off by 0.27 (measured), so the test also guards Tessera's oneDNN-off setting.
        using var scope = torch.NewDisposeScope();
        torch.random.manual_seed(2);
        using var model = new CharLstmLm(30, 8, 12);
        Tensor x = torch.randint(0, 30, [3, 7]);
        Tensor expected = ByGateEquations(model, x).reshape(21, 30);

        using var noGrad = torch.no_grad();
        Tensor actual = model.call(x);

        Assert.Equal([21L, 30L], actual.shape);
        Assert.Equal(ScalarType.Float32, actual.dtype);
        Tensor diff = (actual.to(ScalarType.Float64) - expected).abs().max();
        Assert.True(diff.item<double>() < 1e-5, $"max diff {diff.item<double>()}");
    }
}
