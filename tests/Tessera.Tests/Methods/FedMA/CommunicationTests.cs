using Tessera.Methods.FedMA;

namespace Tessera.Tests.Methods.FedMA;

public sealed class CommunicationTests
{
    private static readonly FedArchitecture LeNetS = FedArchitecture.LeNet(1, 28, 28, 10, [10, 20, 100]);

    private static ArrayRecord Template()
    {
        using var model = LeNetS.Create([10, 20, 100]);
        return ModelWeights.Get(model);
    }

    [Fact]
    public void PassBytes_SpecWorkedExample_Exactly()
    {
        // Check 7 / §2.6: LeNet-S, global widths 19/29/109, J = 4: one pass = 4·123,463·4 = 1,975,408 bytes.
        ArrayRecord t = Template();

        Assert.Equal(260 + 9_520 + 46_500 + 1_100,
            new[] { (0, 10, 0), (1, 20, 19), (2, 100, 29), (3, 0, 109) }.Sum(x => FedMaMath.Count(FedMaMath.LayerShapes(LeNetS, t, x.Item1, x.Item2, x.Item3))));
        Assert.Equal(494 + 13_804 + 50_685 + 1_100,
            new[] { (0, 19, 0), (1, 29, 19), (2, 109, 29), (3, 0, 109) }.Sum(x => FedMaMath.Count(FedMaMath.LayerShapes(LeNetS, t, x.Item1, x.Item2, x.Item3))));
        Assert.Equal(1_975_408, FedMaMath.PassBytes(LeNetS, t, [10, 20, 100], [19, 29, 109], 4));
        Assert.Equal(614_240, 4 * 4 * ModelWeights.ParameterCount(t));                  // a RECONSTRUCT download
        Assert.Equal(1_228_480, FedMaMath.FedAvgRoundBytes(ModelWeights.ParameterCount(t), 4));
    }

    [Fact]
    public void Grid_CountsWhatIsSent_ParametersAndAssignmentsApart()
    {
        // Pitfall 15: local-width uploads and global-width downloads are counted as they travel; ints apart.
        var transport = new InProcessTransport([KeyValuePair.Create("client-0", (IFederatedClient)new EchoUpload())]);
        var grid = new Grid(transport, new GridOptions(), _ => { });
        ArrayRecord payload = [NamedArray.Of("a", [3], [1, 2, 3]), NamedArray.OfInts("assignment", [2], [0, 1])];

        grid.SendAndReceive(Grid.ToAll(["client-0"], new FedInstruction(MessageKinds.Install, 0, payload, [])));
        grid.SendAndReceive(Grid.ToAll(["client-0"], new FedInstruction(MessageKinds.GetParameters, 0, [], [])), count: false);

        Assert.Equal(12, grid.Bytes.Down);
        Assert.Equal(20, grid.Bytes.Up);
        Assert.Equal(8, grid.Bytes.Assignments);
    }

    private sealed class EchoUpload : IFederatedClient
    {
        public FedReply Handle(FedInstruction instruction) => FedReply.Ok([NamedArray.Of("u", [5], new float[5])], 1, []);
    }
}
