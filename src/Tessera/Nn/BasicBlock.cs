namespace Tessera.Nn;

/// <summary>The ResNet basic block (two 3×3 convolutions without bias, each followed by BatchNorm, plus a
/// shortcut): out = ReLU(bn2(conv2(ReLU(bn1(conv1(x))))) + shortcut(x)). The shortcut is the identity when the
/// shape is kept, else a 1×1 convolution (stride <c>stride</c>, no bias) followed by BatchNorm.</summary>
public sealed class BasicBlock : nn.Module<Tensor, Tensor>
{
    // state_dict keys: conv1.*, bn1.*, conv2.*, bn2.*, shortcut.0.* and shortcut.1.* (only with a projection)
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly Conv2d conv2;
    private readonly BatchNorm2d bn2;
    private readonly Sequential shortcut;
    private readonly bool _projection;

    /// <param name="inPlanes">Input channels.</param>
    /// <param name="planes">Output channels.</param>
    /// <param name="stride">Stride of the first convolution (2 halves the map).</param>
    public BasicBlock(long inPlanes, long planes, long stride) : base(nameof(BasicBlock))
    {
        conv1 = nn.Conv2d(inPlanes, planes, 3, stride: stride, padding: 1, bias: false);
        bn1 = nn.BatchNorm2d(planes);
        conv2 = nn.Conv2d(planes, planes, 3, stride: 1, padding: 1, bias: false);
        bn2 = nn.BatchNorm2d(planes);
        _projection = stride != 1 || inPlanes != planes;
        shortcut = _projection
            ? nn.Sequential(nn.Conv2d(inPlanes, planes, 1, stride: stride, bias: false), nn.BatchNorm2d(planes))
            : nn.Sequential();
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        Tensor y = nn.functional.relu(bn1.call(conv1.call(x)));       // (N, planes, H/stride, W/stride)
        y = bn2.call(conv2.call(y));                                  // (N, planes, H/stride, W/stride)
        y = y + (_projection ? shortcut.call(x) : x);
        return nn.functional.relu(y).MoveToOuterDisposeScope();
    }
}
