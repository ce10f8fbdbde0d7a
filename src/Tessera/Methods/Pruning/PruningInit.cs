namespace Tessera.Methods.Pruning;

/// <summary>Weight initialisations of the pruning papers, drawn from an explicit generator, in place and without
/// autograd. fan_in = weights per output unit (in_features, or in_channels·kh·kw); ReLU gain √2.</summary>
public static class PruningInit
{
    /// <summary>Signed constant (Gem-Miner §2.3): W = sign(N(0,1)) · √2/√fan_in, so every entry of a layer has
    /// the same magnitude. <paramref name="fanScale"/> multiplies fan_in (Edge-popup's scale_fan uses 1 − k).</summary>
    public static void SignedConstant(IEnumerable<MaskedLayer> layers, Generator generator, double fanScale = 1.0)
    {
        if (!(fanScale > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(fanScale), fanScale, "The fan scale must be positive.");
        }
        using var noGrad = torch.no_grad();
        foreach (MaskedLayer l in layers)
        {
            using var scope = torch.NewDisposeScope();
            double magnitude = Math.Sqrt(2.0) / Math.Sqrt(l.FanIn * fanScale);
            Tensor draw = torch.randn(l.Weight.shape, dtype: l.Weight.dtype, generator: generator);
            l.Weight.copy_(torch.where(draw.ge(0), magnitude, -magnitude));
        }
    }

    /// <summary>Kaiming normal (fan_in, ReLU): W ~ N(0, 2/fan_in) (IMP, SNIP, GraSP, SynFlow, the reinit check).</summary>
    public static void KaimingNormal(IEnumerable<MaskedLayer> layers, Generator generator)
    {
        using var noGrad = torch.no_grad();
        foreach (MaskedLayer l in layers)
        {
            using var scope = torch.NewDisposeScope();
            double std = Math.Sqrt(2.0 / l.FanIn);
            l.Weight.copy_(torch.randn(l.Weight.shape, dtype: l.Weight.dtype, generator: generator).mul_(std));
        }
    }

    /// <summary>Kaiming uniform with a = √5 (PyTorch's default layer init): U(−1/√fan_in, 1/√fan_in), for
    /// Edge-popup's scores.</summary>
    public static Tensor KaimingUniform(MaskedLayer layer, Generator generator)
    {
        using var scope = torch.NewDisposeScope();
        double bound = 1.0 / Math.Sqrt(layer.FanIn);
        Tensor u = torch.rand(layer.Weight.shape, dtype: layer.Weight.dtype, generator: generator);
        return u.mul_(2 * bound).sub_(bound).MoveToOuterDisposeScope();
    }
}
