namespace Tessera.Nn;

/// <summary>
/// A character language model (ACCORDION's R4, spec accordion.md §6): Embedding(vocab → embed) → one LSTM layer
/// (embed → hidden, libtorch gate order [i, f, g, o]) → Linear(hidden → vocab) at every time step. Input: int64 (N, T)
/// token ids; output: (N·T, vocab) logits, row n·T + t predicting the character after x[n, t], so a plain cross-entropy
/// against the flattened (N, T) targets is the mean per-character loss. Each sequence starts from a zero state.
/// </summary>
/// <remarks>Float32 throughout. libtorch's float32 LSTM is wrong through oneDNN on this machine kind (off by 0.27 from the
/// gate equations for an 8 → 12 layer, measured), and right on libtorch's own kernel, which Tessera uses (oneDNN is off,
/// see <c>OneDnn</c>); the gate-equation test in CharLstmTests guards that.</remarks>
public sealed class CharLstmLm : nn.Module<Tensor, Tensor>
{
    // state_dict keys: embedding.weight, lstm.{weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0}, decoder.*
    private readonly Embedding embedding;
    private readonly LSTM lstm;
    private readonly Linear decoder;

    public CharLstmLm(int vocab, int embed, int hidden) : base(nameof(CharLstmLm))
    {
        if (vocab < 1 || embed < 1 || hidden < 1)
        {
            throw new InputException($"The character language model needs positive sizes; got vocab {vocab}, embed {embed}, hidden {hidden}.");
        }
        embedding = nn.Embedding(vocab, embed);
        lstm = nn.LSTM(embed, hidden, numLayers: 1, batchFirst: true);
        decoder = nn.Linear(hidden, vocab);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        (Tensor output, _, _) = lstm.call(embedding.call(x));              // (N, T, hidden)
        return decoder.call(output.reshape(-1, output.shape[2])).MoveToOuterDisposeScope();   // (N·T, vocab)
    }
}
