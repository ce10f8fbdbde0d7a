namespace Tessera.Nn;

/// <summary>Decoder-only GPT in the nanoGPT layout: token + learned position embeddings, a stack of pre-LN
/// <see cref="Block"/>s, a final LayerNorm and a language-model head (tied to the token embedding by default).
/// Input: token ids (B, T) int64 with T ≤ BlockSize. Output: logits (B, T, VocabSize).
/// Construction uses TorchSharp's default init; call <see cref="Init.Gpt2(GptModel, Generator?)"/> for GPT-2's.</summary>
public sealed class GptModel : nn.Module<Tensor, Tensor>
{
    // state_dict keys: wte.*, wpe.*, h.{i}.*, ln_f.*, [lm_head.* only when the head is untied]
    private readonly Embedding wte;
    private readonly Embedding wpe;
    private readonly Dropout drop;
    private readonly ModuleList<Block> h;
    private readonly LayerNorm ln_f;
    private readonly Linear? lm_head;

    /// <param name="cfg">Model shape; validated here (throws <see cref="InputException"/>).</param>
    public GptModel(GptConfig cfg) : base(nameof(GptModel))
    {
        cfg.Validate();
        Config = cfg;
        wte = nn.Embedding(cfg.VocabSize, cfg.NEmbd);
        wpe = nn.Embedding(cfg.BlockSize, cfg.NEmbd);
        drop = nn.Dropout(cfg.Dropout);
        h = nn.ModuleList(Enumerable.Range(0, cfg.NLayer).Select(_ => new Block(cfg)).ToArray());
        ln_f = nn.LayerNorm(cfg.NEmbd, bias: cfg.Bias);
        lm_head = cfg.TiedHead ? null : nn.Linear(cfg.NEmbd, cfg.VocabSize, hasBias: false);
        RegisterComponents();
    }

    /// <summary>The configuration this model was built from.</summary>
    public GptConfig Config { get; }

    public override Tensor forward(Tensor idx)
    {
        using var scope = torch.NewDisposeScope();
        var x = Hidden(idx);                                   // (B, T, C)
        return Head(x).MoveToOuterDisposeScope();              // (B, T, V)
    }

    /// <summary>Token plus position embedding, after embedding dropout: (B, T) ids → (B, T, C).</summary>
    public Tensor Embed(Tensor idx)
    {
        using var scope = torch.NewDisposeScope();
        long t = idx.shape[1];
        if (t > Config.BlockSize)
        {
            throw new ArgumentException(
                $"Sequence length {t} exceeds the model's block size {Config.BlockSize}; crop the context first.",
                nameof(idx));
        }

        var pos = torch.arange(0, t, dtype: ScalarType.Int64, device: idx.device);  // (T)
        var tok = wte.call(idx);                                                     // (B, T, C)
        var x = drop.call(tok + wpe.call(pos));                                      // (B, T, C)
        return x.MoveToOuterDisposeScope();
    }

    /// <summary>Generates <paramref name="maxNewTokens"/> tokens after <paramref name="idx"/> (B, T) and returns
    /// (B, T + maxNewTokens). Runs without autograd; the context is cropped to the last BlockSize tokens.
    /// Temperature 0 is greedy (argmax, ties go to the lowest id); otherwise tokens are sampled from
    /// softmax(logits / temperature), keeping only the <paramref name="topK"/> largest logits when given.
    /// The train/eval mode is left as it is: call <c>eval()</c> first when the model has dropout.</summary>
    public Tensor Generate(Tensor idx, int maxNewTokens, double temperature = 1.0, int? topK = null,
        Generator? generator = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxNewTokens);
        ArgumentOutOfRangeException.ThrowIfNegative(temperature);
        if (topK is { } k0)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k0, nameof(topK));
        }

        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        var seq = idx.alias();                                                            // (B, T)
        for (int i = 0; i < maxNewTokens; i++)
        {
            long t = seq.shape[1];
            var cond = t <= Config.BlockSize ? seq : seq.narrow(1, t - Config.BlockSize, Config.BlockSize);
            var last = Hidden(cond).select(1, -1);                                        // (B, C)
            var logits = Head(last);                                                      // (B, V)
            Tensor next;                                                                  // (B, 1)
            if (temperature == 0.0)
            {
                next = logits.argmax(-1, keepdim: true);
            }
            else
            {
                logits = logits / temperature;
                if (topK is { } k)
                {
                    var (top, _) = logits.topk(Math.Min(k, Config.VocabSize), dim: -1);   // (B, k)
                    var kth = top.select(1, -1).unsqueeze(1);                              // (B, 1)
                    logits = logits.masked_fill(logits < kth, double.NegativeInfinity);
                }

                var probs = nn.functional.softmax(logits, dim: -1);                       // (B, V)
                next = torch.multinomial(probs, 1, generator: generator);
            }

            seq = torch.cat([seq, next], dim: 1);                                         // (B, t + 1)
            scope.DisposeEverythingBut(seq);
        }

        return seq.MoveToOuterDisposeScope();
    }

    /// <summary>Number of parameter elements (each shared tensor once). By default the position table is
    /// excluded, as nanoGPT and the papers report it.</summary>
    public long NumParameters(bool excludePositionEmbedding = true)
    {
        long n = parameters().Sum(p => p.numel());
        return excludePositionEmbedding ? n - wpe.weight!.numel() : n;
    }

    /// <summary>Optimizer groups: <c>Decay</c> holds the 2-D weights of Linear layers only; <c>NoDecay</c>
    /// holds everything else (embeddings, hence a tied head, LayerNorm weights, all biases). Every parameter
    /// appears exactly once, in state_dict order.</summary>
    public (IReadOnlyList<Parameter> Decay, IReadOnlyList<Parameter> NoDecay) DecayAndNoDecayParameters()
    {
        var linearWeights = named_modules()
            .Where(m => m.Item2 is Linear)
            .Select(m => m.Item1 + ".weight")
            .ToHashSet(StringComparer.Ordinal);
        var decay = new List<Parameter>();
        var noDecay = new List<Parameter>();
        foreach (var (name, p) in named_parameters())
        {
            (linearWeights.Contains(name) ? decay : noDecay).Add(p);
        }

        return (decay, noDecay);
    }

    /// <summary>Embeddings → blocks → final LayerNorm: (B, T) → (B, T, C).</summary>
    private Tensor Hidden(Tensor idx)
    {
        using var scope = torch.NewDisposeScope();
        var x = Embed(idx);                                    // (B, T, C)
        foreach (var block in h)
        {
            x = block.call(x);                                 // (B, T, C)
        }

        return ln_f.call(x).MoveToOuterDisposeScope();        // (B, T, C)
    }

    /// <summary>The language-model head: (..., C) → (..., V).</summary>
    private Tensor Head(Tensor x) =>
        lm_head is null ? nn.functional.linear(x, wte.weight!) : lm_head.call(x);
}
