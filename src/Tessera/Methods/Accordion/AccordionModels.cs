using Tessera.Nn;

namespace Tessera.Methods.Accordion;

/// <summary>Builds the classifier named by <c>model.name</c> for the data's input shape.</summary>
public static class AccordionModels
{
    public static nn.Module<Tensor, Tensor> Create(AccordionModelConfig model, long[] inputShape, int numClasses)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputShape);
        bool image = inputShape.Length == 3;
        if (model.Name == "char-lstm")
        {
            return new CharLstmLm(numClasses, model.Embed, model.Hidden[0]);   // text: numClasses is the vocabulary
        }
        if (!image && model.Name != "mlp")
        {
            throw new InputException($"model.name={model.Name} needs image data (C, H, W); the synthetic data are flat vectors: use model.name=mlp.");
        }
        return model.Name switch
        {
            "mlp" => new Mlp((int)inputShape.Aggregate(1L, (a, b) => a * b), model.Hidden, numClasses),
            "fmnist-cnn" => new FmnistCnn((int)inputShape[0], numClasses),
            "resnet18" => CifarResNet.ResNet18((int)inputShape[0], numClasses),
            "vgg19bn" when inputShape[1] >= Vgg.MinSize && inputShape[2] >= Vgg.MinSize =>
                Vgg.Vgg19Bn((int)inputShape[0], (int)inputShape[1], (int)inputShape[2], numClasses),
            "vgg19bn" => throw new InputException("model.name=vgg19bn needs images of at least 32x32 (CIFAR); use fmnist-cnn for Fashion-MNIST."),
            _ => throw new InputException($"model.name must be fmnist-cnn, mlp, resnet18, vgg19bn or char-lstm (got '{model.Name}')."),
        };
    }
}
