using Tessera.Methods.Accordion;
using Tessera.Methods.Arithmetic;
using Tessera.Methods.BadMinima;
using Tessera.Methods.Classify;
using Tessera.Methods.FedMA;
using Tessera.Methods.LoopedTf;
using Tessera.Methods.Pruning;

namespace Tessera.Experiments;

/// <summary>Every method the toolkit runs, by name.</summary>
public static class Registry
{
    public static IReadOnlyList<IExperiment> All { get; } =
    [
        new ClassifyExperiment(),
        new ArithmeticExperiment(),
        new LrmcExperiment(),
        new LoopedExperiment(),
        new GemMinerExperiment(),
        new BadMinimaExperiment(),
        new AccordionExperiment(),
        new FedmaExperiment(),
    ];

    public static IExperiment Get(string name) =>
        All.FirstOrDefault(e => e.Name == name)
        ?? throw new InputException($"Unknown method '{name}'. Methods: {string.Join(", ", All.Select(e => e.Name))} (see `tessera list`).");
}
