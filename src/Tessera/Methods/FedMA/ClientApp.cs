namespace Tessera.Methods.FedMA;

/// <summary>The result of <see cref="IClientTrainer.Fit"/>: new weights, examples used, metrics.</summary>
public sealed record FitResult(ArrayRecord Weights, long NumExamples, ConfigMap Metrics);

/// <summary>The result of <see cref="IClientTrainer.Evaluate"/>: loss, examples used, metrics.</summary>
public sealed record EvaluateResult(double Loss, long NumExamples, ConfigMap Metrics);

/// <summary>A client's training code, independent of any transport (Flower's NumPyClient).</summary>
public interface IClientTrainer
{
    ConfigMap GetProperties(ConfigMap config);

    ArrayRecord GetParameters(ConfigMap config);

    FitResult Fit(ArrayRecord parameters, ConfigMap config);

    EvaluateResult Evaluate(ArrayRecord parameters, ConfigMap config);
}

/// <summary>
/// Turns instructions into trainer calls: the standard kinds go to the <see cref="IClientTrainer"/>, any other kind to a
/// registered handler (FedMA's steps). An exception becomes an error reply, so one bad step never kills the client.
/// </summary>
public sealed class ClientApp(IClientTrainer trainer) : IFederatedClient
{
    private readonly Dictionary<string, Func<FedInstruction, FedReply>> _handlers = new(StringComparer.Ordinal);

    public IClientTrainer Trainer { get; } = trainer;

    /// <summary>Adds a handler for a message kind beyond Flower's four.</summary>
    public ClientApp On(string kind, Func<FedInstruction, FedReply> handler)
    {
        _handlers[kind] = handler;
        return this;
    }

    public FedReply Handle(FedInstruction instruction)
    {
        ArgumentNullException.ThrowIfNull(instruction);
        try
        {
            switch (instruction.Kind)
            {
                case MessageKinds.GetProperties:
                    return FedReply.Ok(ArrayRecord.Empty, 0, Trainer.GetProperties(instruction.Config));
                case MessageKinds.GetParameters:
                    return FedReply.Ok(Trainer.GetParameters(instruction.Config), 0, ConfigMap.Empty);
                case MessageKinds.Fit:
                    FitResult fit = Trainer.Fit(instruction.Arrays, instruction.Config);
                    return FedReply.Ok(fit.Weights, fit.NumExamples, fit.Metrics);
                case MessageKinds.Evaluate:
                    EvaluateResult eval = Trainer.Evaluate(instruction.Arrays, instruction.Config);
                    ConfigMap metrics = eval.Metrics.Copy().Set("loss", eval.Loss);
                    return FedReply.Ok(ArrayRecord.Empty, eval.NumExamples, metrics);
                default:
                    return _handlers.TryGetValue(instruction.Kind, out var handler)
                        ? handler(instruction)
                        : FedReply.Fail($"unknown instruction kind '{instruction.Kind}'");
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return FedReply.Fail($"{e.GetType().Name}: {e.Message}");
        }
    }
}
