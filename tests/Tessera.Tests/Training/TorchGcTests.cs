using System.Runtime;
using Tessera.Training;

namespace Tessera.Tests.Training;

public sealed class TorchGcTests
{
    [Fact]
    public void EveryTest_StartsInsideANoGcRegion()
    {
        Assert.Equal(GCLatencyMode.NoGCRegion, GCSettings.LatencyMode);
    }

    [Fact]
    public void RankBarrier_AndSafePoint_LeaveTheProcessInANoGcRegion()
    {
        using (TorchGc.SideBySide())
        {
            TorchGc.AllRanksWaiting();
            Assert.Equal(GCLatencyMode.NoGCRegion, GCSettings.LatencyMode);
        }

        TorchGc.SafePoint();

        Assert.Equal(GCLatencyMode.NoGCRegion, GCSettings.LatencyMode);
    }
}
