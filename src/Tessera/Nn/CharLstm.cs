namespace Tessera.Nn;

/// <summary>
/// The FedMA character model (spec §2.7): Embedding(vocab → embed) → one fused LSTM layer (embed → hidden, libtorch
/// gate order [i, f, g, o]) → Linear(hidden → classes) on the last time step. Input: int64 (N, T) token ids;
/// output (N, classes). The paper's Shakespeare model is 80/8/256/80.
/// </summary>
/// <remarks>The LSTM layer's parameters and arithmetic are float64: libtorch 2.10's float32 LSTM kernel returned wrong
/// values on the AMD EPYC machines this was built on (off by up to 0.4 from the gate equations, while float64, GRU,
/// conv and linear layers agree to 1e-7; see CharLstmTests). That was oneDNN's LSTM, which Tessera now turns off
/// (CharLstmLm runs float32); this model stays float64 so that FedMA's measured runs stay reproducible. The embedding
/// and decoder are float32; weights move to and from float32 records unchanged in value.</remarks>
public sealed class CharLstm : nn.Module<Tensor, Tensor>
{
    // state_dict keys: embedding.weight, lstm.{weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0}, decoder.*
    private readonly Embedding embedding;
    private readonly LSTM lstm;
    private readonly Linear decoder;

    /// <param name="vocab">Number of token ids.</param>
    /// <param name="embed">Embedding width (matched as L0).</param>
    /// <param name="hidden">LSTM hidden units (matched as L1).</param>
    /// <param name="classes">Output logits (the vocabulary for next-character prediction).</param>
    public CharLstm(int vocab, int embed, int hidden, int classes) : base(nameof(CharLstm))
    {
        if (vocab < 1 || embed < 1 || hidden < 1 || classes < 1)
        {
            throw new InputException($"The character LSTM needs positive sizes; got vocab {vocab}, embed {embed}, hidden {hidden}, classes {classes}.");
        }
        embedding = nn.Embedding(vocab, embed);
        lstm = nn.LSTM(embed, hidden, numLayers: 1, batchFirst: true);
        lstm.to(ScalarType.Float64);
        decoder = nn.Linear(hidden, classes);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        Tensor e = embedding.call(x);                                  // (N, T, embed)
        (Tensor output, _, _) = lstm.call(e.to(ScalarType.Float64));   // (N, T, hidden), float64 (see remarks)
        Tensor last = output.select(1, output.shape[1] - 1).to(ScalarType.Float32);   // (N, hidden)
        return decoder.call(last).MoveToOuterDisposeScope();           // (N, classes)
    }
}
