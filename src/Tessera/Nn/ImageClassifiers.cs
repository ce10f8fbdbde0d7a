namespace Tessera.Nn;

/// <summary>Builds an image classifier from its config name (<c>model.name</c>).</summary>
public static class ImageClassifiers
{
    /// <summary>The accepted names, in the order they are listed to users.</summary>
    public static IReadOnlyList<string> Names { get; } = ["mlp", "lenet5", "smallcnn"];

    /// <summary>Creates the named classifier for (N, channels, height, width) inputs; names are case-insensitive.</summary>
    /// <param name="name"><c>mlp</c>, <c>lenet5</c> or <c>smallcnn</c>.</param>
    /// <param name="channels">Input channels.</param>
    /// <param name="height">Input height in pixels.</param>
    /// <param name="width">Input width in pixels.</param>
    /// <param name="numClasses">Number of output logits.</param>
    /// <param name="hidden">Hidden widths of the MLP (default [128]); ignored by the CNNs.</param>
    public static nn.Module<Tensor, Tensor> Create(string name, int channels, int height, int width, int numClasses,
        int[]? hidden = null) =>
        name.Trim().ToLowerInvariant() switch
        {
            "mlp" => new Mlp(channels * height * width, hidden ?? [128], numClasses),
            "lenet5" => new LeNet5(channels, height, width, numClasses),
            "smallcnn" => new SmallCnn(channels, height, width, numClasses),
            _ => throw new InputException(
                $"model.name '{name}' is not a known image classifier; use one of: {string.Join(", ", Names)}."),
        };
}
