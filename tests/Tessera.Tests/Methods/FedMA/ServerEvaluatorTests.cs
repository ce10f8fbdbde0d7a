using Tessera.Methods.FedMA;
using Tessera.Training;

namespace Tessera.Tests.Methods.FedMA;

public sealed class ServerEvaluatorTests
{
    [Fact]
    public void Ensemble_OfOneModel_ScoresLikeThatModel_AcrossSeveralBatches()
    {
        // An ensemble of one is the model itself; 2,500 samples in batches of 1,000 cover a partial last batch.
        using var g = new Generator(7);
        using var test = new ClientData(torch.randn([2500, 1, 28, 28], generator: g), torch.randint(0, 10, [2500], generator: g), 10);
        FedArchitecture arch = FedArchitecture.LeNet(1, 28, 28, 10, [4, 8, 16]);
        torch.random.manual_seed(3);
        ArrayRecord member;
        using (var model = arch.Create(arch.LocalWidths))
        {
            member = ModelWeights.Get(model);
        }
        using var evaluator = new ServerEvaluator(arch, test, 1000);

        ClassifierScore single = evaluator.Evaluate(member);
        ClassifierScore ensemble = evaluator.Ensemble([member]);

        Assert.Equal(single.Accuracy, ensemble.Accuracy, 1e-9);
        Assert.Equal(single.Loss, ensemble.Loss, 1e-4);
    }

    [Fact]
    public void Ensemble_OfFourModels_MatchesTheAverageOfTheirSoftmaxByHand()
    {
        using var g = new Generator(7);
        using var test = new ClientData(torch.randn([5000, 1, 28, 28], generator: g), torch.randint(0, 10, [5000], generator: g), 10);
        FedArchitecture arch = FedArchitecture.LeNet(1, 28, 28, 10, [10, 20, 100]);
        var members = new List<ArrayRecord>();
        using var byHand = torch.zeros([5000, 10]);
        for (int k = 0; k < 4; k++)
        {
            torch.random.manual_seed(10 + k);
            using var model = arch.Create(arch.LocalWidths);
            members.Add(ModelWeights.Get(model));
            model.eval();
            using (torch.no_grad())
            {
                for (long start = 0; start < 5000; start += 1000)   // the evaluator's batches, so the sums match exactly
                {
                    byHand.narrow(0, start, 1000).add_(nn.functional.softmax(model.call(test.X.narrow(0, start, 1000)), 1));
                }
            }
        }
        using var evaluator = new ServerEvaluator(arch, test, 1000);
        foreach (ArrayRecord m in members)
        {
            evaluator.Evaluate(m);
        }

        ClassifierScore ensemble = evaluator.Ensemble(members);

        double expected = byHand.argmax(1).eq(test.Y).to(ScalarType.Float64).mean().item<double>();
        Assert.Equal(expected, ensemble.Accuracy, 1e-9);
    }
}
