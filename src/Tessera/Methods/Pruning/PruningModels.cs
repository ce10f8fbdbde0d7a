using Tessera.Nn;

namespace Tessera.Methods.Pruning;

/// <summary>The models of the pruning experiments, by config name (<c>model.name</c>).</summary>
public static class PruningModels
{
    public static IReadOnlyList<string> Names { get; } = ["bn-mlp", "conv-fm", "conv4", "resnet20", "resnet32", "resnet18", "vgg16"];

    /// <summary>Creates the named model for (N, channels, height, width) inputs; construction-time init only (the
    /// pruners apply their own). <paramref name="hidden"/> is used by bn-mlp only.</summary>
    public static nn.Module<Tensor, Tensor> Create(string name, int channels, int height, int width, int numClasses, int[] hidden) =>
        name switch
        {
            "bn-mlp" => new MlpBn(channels * height * width, hidden, numClasses, biasFree: true),
            "conv-fm" => new ConvFm(channels, height, width, numClasses),
            "conv4" => new Conv4(channels, height, width, numClasses),
            "resnet20" => CifarResNet.ResNet20(channels, numClasses, biasFree: true),
            "resnet32" => CifarResNet.ResNet32(channels, numClasses, biasFree: true),
            "resnet18" => CifarResNet.ResNet18(channels, numClasses, biasFree: true),
            "vgg16" => Vgg.Vgg16(channels, height, width, numClasses, biasFree: true),
            _ => throw new InputException($"model.name '{name}' is not a pruning model; use one of: {string.Join(", ", Names)}."),
        };
}
