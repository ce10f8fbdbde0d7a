using Tessera.Nn;

namespace Tessera.Methods.BadMinima;

/// <summary>The spec's models by <c>model.name</c>: mlp-bn and cnn-bn for Fashion-MNIST (§6.1, F5), vgg16 and resnet18 for
/// CIFAR (§4.2). All use BatchNorm, as every model of the paper does.</summary>
public static class BadMinimaModels
{
    public static IReadOnlyList<string> Names { get; } = ["mlp-bn", "cnn-bn", "vgg16", "resnet18"];

    /// <summary>Builds the named model with TorchSharp's default initialisation from the global generator
    /// (seed it first).</summary>
    public static nn.Module<Tensor, Tensor> Create(BadMinimaModelConfig model, int channels, int height, int width, int numClasses) =>
        model.Name.Trim().ToLowerInvariant() switch
        {
            "mlp-bn" => new MlpBn(channels * height * width, model.Hidden, numClasses),
            "cnn-bn" => new CnnBn(channels, height, width, numClasses),
            "vgg16" => Vgg.Vgg16(channels, height, width, numClasses),
            "resnet18" => CifarResNet.ResNet18(channels, numClasses),
            _ => throw new InputException($"model.name '{model.Name}' is not a model of this method; use one of: {string.Join(", ", Names)}."),
        };
}
