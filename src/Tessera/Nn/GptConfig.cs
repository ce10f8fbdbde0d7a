namespace Tessera.Nn;

/// <summary>Size and regularisation of a <see cref="GptModel"/> (the nanoGPT layout).</summary>
/// <param name="BlockSize">Longest context in tokens; also the number of rows of the position table.</param>
/// <param name="VocabSize">Number of token ids (character vocabularies are small: 13 to 96 here).</param>
/// <param name="NLayer">Number of transformer blocks.</param>
/// <param name="NHead">Attention heads per block; <paramref name="NEmbd"/> must be divisible by it.</param>
/// <param name="NEmbd">Residual stream width d.</param>
/// <param name="Dropout">Dropout on embeddings, attention weights and both residual branches, in [0, 1).</param>
/// <param name="Bias">Biases in every Linear and LayerNorm, as in GPT-2. The arithmetic paper's code trains with
/// false (LayerNorms then have a weight only), which changes the parameter count.</param>
/// <param name="TiedHead">The output head reuses the token embedding (logits = ln_f(x) · wteᵀ), as in GPT-2.
/// When false, a separate bias-free <c>lm_head</c> is created.</param>
public sealed record GptConfig(int BlockSize = 64, int VocabSize = 16, int NLayer = 2, int NHead = 2, int NEmbd = 128,
    double Dropout = 0.0, bool Bias = true, bool TiedHead = true)
{
    /// <summary>Throws <see cref="InputException"/> naming the first invalid field (config keys <c>model.*</c>).</summary>
    public void Validate()
    {
        Positive(BlockSize, "model.blockSize");
        Positive(VocabSize, "model.vocabSize");
        Positive(NLayer, "model.nLayer");
        Positive(NHead, "model.nHead");
        Positive(NEmbd, "model.nEmbd");
        if (NEmbd % NHead != 0)
        {
            throw new InputException(
                $"model.nEmbd must be divisible by model.nHead (got nEmbd={NEmbd}, nHead={NHead}); "
                + "choose a width that is a multiple of the head count.");
        }

        if (!(Dropout >= 0.0 && Dropout < 1.0))
        {
            throw new InputException($"model.dropout must be in [0, 1) (got {Dropout}); use e.g. 0.0 or 0.2.");
        }
    }

    private static void Positive(int value, string key)
    {
        if (value <= 0)
        {
            throw new InputException($"{key} must be a positive integer (got {value}).");
        }
    }
}
