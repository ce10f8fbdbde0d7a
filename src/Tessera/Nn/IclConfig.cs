namespace Tessera.Nn;

/// <summary>Shape of an in-context regression transformer (<see cref="IclTransformer"/>, <see cref="LoopedTransformer"/>):
/// real-valued prompts of width <paramref name="NDims"/> are read in by a linear layer, run through a GPT-2 backbone of
/// <paramref name="NLayer"/> pre-LN blocks, and read out to one number per token.</summary>
/// <param name="NDims">Width of the x vectors, and of every token (y is padded to this width).</param>
/// <param name="NPositions">Most (x, y) pairs per prompt; the position table has 2·NPositions + 1 rows, as in the
/// looped-transformer code.</param>
/// <param name="NLayer">Blocks in the backbone stack (1 for the looped model, which applies it repeatedly).</param>
/// <param name="NHead">Attention heads; <paramref name="NEmbd"/> must be divisible by it.</param>
/// <param name="NEmbd">Residual stream width.</param>
public sealed record IclConfig(int NDims = 20, int NPositions = 101, int NLayer = 12, int NHead = 8, int NEmbd = 256)
{
    /// <summary>Rows of the learned position table.</summary>
    public int PositionRows => (2 * NPositions) + 1;

    /// <summary>The block shape for <see cref="Block"/>: biases everywhere and no dropout, as in the papers.</summary>
    public GptConfig Blocks => new(BlockSize: PositionRows, VocabSize: 1, NLayer: NLayer, NHead: NHead, NEmbd: NEmbd,
        Dropout: 0.0, Bias: true, TiedHead: false);

    /// <summary>Throws <see cref="InputException"/> naming the first invalid field (config keys <c>model.*</c>).</summary>
    public void Validate()
    {
        if (NDims < 1 || NPositions < 1)
        {
            throw new InputException($"task.dims and model.nPositions must be at least 1 (got {NDims} and {NPositions}).");
        }
        Blocks.Validate();
    }
}
