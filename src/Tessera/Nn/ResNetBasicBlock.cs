namespace Tessera.Nn;

/// <summary>The basic residual block of the CIFAR ResNet-18 (two 3×3 convs without bias, each with an affine BatchNorm;
/// a 1×1 conv + BN projection shortcut when the stride or width changes, else the identity). Input (N, in, H, W),
/// output (N, planes, H/stride, W/stride).</summary>
public sealed class ResNetBasicBlock : nn.Module<Tensor, Tensor>
{
    // state_dict keys: conv1.weight, bn1.*, conv2.weight, bn2.*, shortcut.0.weight, shortcut.1.*  (declared in call order)
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly Conv2d conv2;
    private readonly BatchNorm2d bn2;
    private readonly Sequential shortcut;
    private readonly bool _projects;

    public ResNetBasicBlock(int inPlanes, int planes, int stride) : base(nameof(ResNetBasicBlock))
    {
        conv1 = nn.Conv2d(inPlanes, planes, 3, stride: stride, padding: 1, bias: false);
        bn1 = nn.BatchNorm2d(planes);
        conv2 = nn.Conv2d(planes, planes, 3, stride: 1, padding: 1, bias: false);
        bn2 = nn.BatchNorm2d(planes);
        _projects = stride != 1 || inPlanes != planes;
        shortcut = _projects
            ? nn.Sequential(nn.Conv2d(inPlanes, planes, 1, stride: stride, bias: false), nn.BatchNorm2d(planes))
            : nn.Sequential();
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        Tensor y = nn.functional.relu(bn1.call(conv1.call(x)));         // (N, planes, H/s, W/s)
        y = bn2.call(conv2.call(y));
        y = y + (_projects ? shortcut.call(x) : x);
        return nn.functional.relu(y).MoveToOuterDisposeScope();
    }
}
