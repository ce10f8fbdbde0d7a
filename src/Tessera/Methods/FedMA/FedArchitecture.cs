using Tessera.Nn;

namespace Tessera.Methods.FedMA;

/// <summary>What a weight layer is, for matching, patching and RECONSTRUCT (spec §2.1, §2.3, §2.5, §2.7).</summary>
public enum LayerKind
{
    /// <summary>Conv2d: element = output channel, vector = [W[o] in (c_in, kh, kw) order, b[o]].</summary>
    Conv,

    /// <summary>Linear: element = output unit, vector = [W[o, :], b[o]]. After a conv stack its input is channel-major
    /// with <see cref="LayerSpec.InputBlock"/> = H·W columns per input channel (the "first FC").</summary>
    Fc,

    /// <summary>Embedding (V × e): element = a dimension (column), vector = E[:, c], no bias.</summary>
    Embedding,

    /// <summary>One LSTM layer: element = hidden unit, vector = its four gate rows of W_ih then the four b_ih entries.</summary>
    Lstm,
}

/// <summary>A weight layer: its state_dict prefix, its kind, and how many input columns belong to one input element
/// (conv: k·k, first FC: H·W, otherwise 1).</summary>
public sealed record LayerSpec(string Name, LayerKind Kind, int InputBlock = 1)
{
    /// <summary>The state_dict names of this layer's arrays, in state_dict order.</summary>
    public string[] ParameterNames => Kind switch
    {
        LayerKind.Embedding => [$"{Name}.weight"],
        LayerKind.Lstm => [$"{Name}.weight_ih_l0", $"{Name}.weight_hh_l0", $"{Name}.bias_ih_l0", $"{Name}.bias_hh_l0"],
        _ => [$"{Name}.weight", $"{Name}.bias"],
    };

    /// <summary>The array whose input columns the previous layer's matching permutes.</summary>
    public string InputWeightName => Kind == LayerKind.Lstm ? $"{Name}.weight_ih_l0" : $"{Name}.weight";
}

/// <summary>
/// A model family FedMA can match: its weight layers in forward order (the last is the classifier, which is
/// averaged, not matched), a factory for any widths of the matched layers, and the local widths clients start with.
/// </summary>
public sealed class FedArchitecture
{
    private readonly Func<int[], nn.Module<Tensor, Tensor>> _create;

    public FedArchitecture(string name, IReadOnlyList<LayerSpec> layers, int[] localWidths, Func<int[], nn.Module<Tensor, Tensor>> create)
    {
        ArgumentNullException.ThrowIfNull(layers);
        ArgumentNullException.ThrowIfNull(localWidths);
        if (layers.Count < 2 || localWidths.Length != layers.Count - 1)
        {
            throw new ArgumentException("An architecture needs at least one matched layer plus the classifier, and one width per matched layer.");
        }
        (Name, Layers, LocalWidths, _create) = (name, layers, localWidths, create);
    }

    public string Name { get; }

    public IReadOnlyList<LayerSpec> Layers { get; }

    /// <summary>Widths of the matched layers (all but the classifier) of a client's model.</summary>
    public int[] LocalWidths { get; }

    public int MatchedLayers => Layers.Count - 1;

    public LayerSpec Classifier => Layers[^1];

    public nn.Module<Tensor, Tensor> Create(int[] widths) => _create(widths);

    /// <summary>The widths of the matched layers of a weight record.</summary>
    public int[] WidthsOf(ArrayRecord weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        return Layers.Take(MatchedLayers).Select(l => LayerOps.Width(weights, l)).ToArray();
    }

    /// <summary>The FedMA LeNet (§4; LeNet-S 10/20/100, LeNet-T 4/8/16) for (C, H, W) images.</summary>
    public static FedArchitecture LeNet(int channels, int height, int width, int classes, int[] widths)
    {
        using var probe = new FedLeNet(channels, height, width, classes, widths);
        int spatial = probe.FeatureHeight * probe.FeatureWidth;
        return new FedArchitecture("lenet",
            [new("conv1", LayerKind.Conv, 25), new("conv2", LayerKind.Conv, 25), new("fc1", LayerKind.Fc, spatial), new("fc2", LayerKind.Fc)],
            widths, w => new FedLeNet(channels, height, width, classes, w));
    }

    /// <summary>VGG-9 (§4) for square images of side <paramref name="size"/>.</summary>
    public static FedArchitecture Vgg9(int channels, int size, int classes, int[]? widths = null)
    {
        int[] w = widths ?? Nn.Vgg9.DefaultWidths;
        int side = size / 8;
        return new FedArchitecture("vgg9",
            [
                new("conv1", LayerKind.Conv, 9), new("conv2", LayerKind.Conv, 9), new("conv3", LayerKind.Conv, 9),
                new("conv4", LayerKind.Conv, 9), new("conv5", LayerKind.Conv, 9), new("conv6", LayerKind.Conv, 9),
                new("fc1", LayerKind.Fc, side * side), new("fc2", LayerKind.Fc), new("fc3", LayerKind.Fc),
            ],
            w, ws => new Nn.Vgg9(channels, size, classes, ws));
    }

    /// <summary>The character LSTM (§2.7): embedding and hidden units are matched, the decoder averaged.</summary>
    public static FedArchitecture Lstm(int vocab, int embed, int hidden, int classes) =>
        new("lstm",
            [new("embedding", LayerKind.Embedding), new("lstm", LayerKind.Lstm), new("decoder", LayerKind.Fc)],
            [embed, hidden], w => new CharLstm(vocab, w[0], w[1], classes));
}
