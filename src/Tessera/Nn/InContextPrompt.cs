namespace Tessera.Nn;

/// <summary>The prompt encoding of in-context regression (Garg et al. 2022; looped-transformer spec §2.3).</summary>
public static class InContextPrompt
{
    /// <summary>Interleaves <paramref name="xs"/> (B, n, d) and <paramref name="ys"/> (B, n) into (B, 2n, d):
    /// token 2i is x_i, token 2i+1 is [y_i, 0, ..., 0].</summary>
    public static Tensor Combine(Tensor xs, Tensor ys)
    {
        using var scope = torch.NewDisposeScope();
        long b = xs.shape[0], n = xs.shape[1], d = xs.shape[2];
        var yTokens = torch.zeros([b, n, d], dtype: xs.dtype, device: xs.device);    // (B, n, d)
        yTokens[.., .., 0] = ys;
        var zs = torch.stack([xs, yTokens], dim: 2).view(b, 2 * n, d);                // (B, 2n, d)
        return zs.MoveToOuterDisposeScope();
    }

    /// <summary>The x-token rows of a per-token tensor (B, 2n, ...) → (B, n, ...): positions 0, 2, ..., 2n−2.</summary>
    public static Tensor XTokens(Tensor perToken) =>
        perToken.index(TensorIndex.Colon, TensorIndex.Slice(0, null, 2));
}
