namespace Tessera.Nn;

/// <summary>How a residual block matches the shortcut to a block that changes the width or the resolution.</summary>
public enum ShortcutKind
{
    /// <summary>Parameter-free (He et al. option A): subsample by 2 and zero-pad the channels, planes/4 on each side.</summary>
    ZeroPad,

    /// <summary>Projection (option B): a bias-free 1×1 conv with the block's stride, then BatchNorm.</summary>
    Projection,
}

/// <summary>Basic residual block of the CIFAR ResNets (convs without bias): conv 3×3 (stride) → BN → ReLU → conv 3×3 →
/// BN, plus the shortcut, then ReLU. With <c>biasFree</c> the BatchNorms have no γ/β (the pruning papers' layout).
/// Input (N, inPlanes, H, W), output (N, planes, H/stride, W/stride).</summary>
public sealed class ResNetBlock : nn.Module<Tensor, Tensor>
{
    // state_dict keys: conv1.weight, bn1.*, conv2.weight, bn2.*, [shortcut_conv.weight, shortcut_bn.* for a projection]
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly Conv2d conv2;
    private readonly BatchNorm2d bn2;
    private readonly Conv2d? shortcut_conv;
    private readonly BatchNorm2d? shortcut_bn;
    private readonly bool _padShortcut;
    private readonly long _pad;

    /// <param name="inPlanes">Input channels.</param>
    /// <param name="planes">Output channels.</param>
    /// <param name="stride">Stride of the first conv (1 or 2).</param>
    /// <param name="shortcut">How to match the shortcut when the shape changes; an identity shortcut otherwise.</param>
    /// <param name="biasFree">BatchNorm without γ/β, so that every parameter is a conv weight.</param>
    public ResNetBlock(int inPlanes, int planes, int stride, ShortcutKind shortcut, bool biasFree = false) : base(nameof(ResNetBlock))
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inPlanes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(planes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(stride);
        conv1 = nn.Conv2d(inPlanes, planes, 3, stride: stride, padding: 1, bias: false);
        bn1 = nn.BatchNorm2d(planes, affine: !biasFree);
        conv2 = nn.Conv2d(planes, planes, 3, padding: 1, bias: false);
        bn2 = nn.BatchNorm2d(planes, affine: !biasFree);
        bool changes = stride != 1 || inPlanes != planes;
        if (changes && shortcut == ShortcutKind.Projection)
        {
            shortcut_conv = nn.Conv2d(inPlanes, planes, 1, stride: stride, bias: false);
            shortcut_bn = nn.BatchNorm2d(planes, affine: !biasFree);
        }
        else if (changes)
        {
            if (stride != 2 || planes != inPlanes + (2 * (planes / 4)))
            {
                throw new ArgumentException(
                    $"A zero-padding shortcut needs stride 2 and planes = inPlanes + 2·(planes/4) (got {inPlanes} → {planes}, stride {stride}).");
            }
            (_padShortcut, _pad) = (true, planes / 4);
        }
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        var y = nn.functional.relu(bn1.call(conv1.call(x)));                      // (N, planes, H', W')
        y = bn2.call(conv2.call(y));                                               // (N, planes, H', W')
        Tensor shortcut;
        if (shortcut_conv is not null && shortcut_bn is not null)
        {
            shortcut = shortcut_bn.call(shortcut_conv.call(x));                    // (N, planes, H', W')
        }
        else if (_padShortcut)
        {
            var sub = x.slice(2, 0, x.shape[2], 2).slice(3, 0, x.shape[3], 2);    // (N, inPlanes, H/2, W/2)
            shortcut = nn.functional.pad(sub, [0, 0, 0, 0, _pad, _pad]);           // (N, planes, H/2, W/2)
        }
        else
        {
            shortcut = x;
        }
        return nn.functional.relu(y + shortcut).MoveToOuterDisposeScope();
    }
}
