using System.Runtime;
using System.Runtime.InteropServices;
using Tessera.Training;

namespace Tessera.Tests.Training;

public sealed class TorchGcTests
{
    [Fact]
    public void ImplicitScalars_WhileAnotherThreadAllocates_StayIntact_WhenTheLoopHasSafePoints()
    {
        // Without the safe point, a thread allocating flat out starts thousands of collections during this loop and
        // about one in a hundred frees a TorchSharp Scalar libtorch is still reading (measured: ~25 bad results in
        // 150,000 iterations). With it, collections happen only between iterations.
        using var x = torch.ones(4);
        using var one = torch.ones(4);
        bool stop = false;
        object? sink = null;
        var allocator = new Thread(() =>
        {
            while (!Volatile.Read(ref stop))
            {
                sink = new byte[100];
            }
            GC.KeepAlive(sink);
        })
        { IsBackground = true };
        allocator.Start();
        int wrong = 0;
        try
        {
            for (int i = 0; i < 80_000; i++)
            {
                TorchGc.SafePoint();
                using var scope = torch.NewDisposeScope();
                try
                {
                    if (((x + one) * 0.5)[0].item<float>() != 1f)
                    {
                        wrong++;
                    }
                }
                catch (ExternalException)
                {
                    wrong++;   // libtorch read a freed scalar: "Expected false to be true" from c10/core/Scalar.h
                }
            }
        }
        finally
        {
            Volatile.Write(ref stop, true);
            allocator.Join();
        }

        Assert.Equal(0, wrong);
    }

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
