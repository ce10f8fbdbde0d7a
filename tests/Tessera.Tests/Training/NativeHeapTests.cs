using System.Diagnostics;
using Tessera.Training;

namespace Tessera.Tests.Training;

public sealed class NativeHeapTests
{
    private const long MiB = 1L << 20;

    [Fact]
    public void ResidentBytes_AgreesWithTheProcessWorkingSet()
    {
        long statm = NativeHeap.ResidentBytes();
        long process = Process.GetCurrentProcess().WorkingSet64;

        Assert.InRange(statm, process - (64 * MiB), process + (64 * MiB));
    }

    [Fact]
    public void Trim_TorchBuffersFreedBelowALiveOne_GoBackToTheSystem()
    {
        // 3,000 touched 64 KiB buffers (below glibc's mmap threshold, so on the heap), then one that stays alive above
        // them: freeing the 3,000 leaves ~190 MiB of free heap that glibc keeps until it is trimmed.
        var buffers = new List<Tensor>();
        for (int i = 0; i < 3000; i++)
        {
            buffers.Add(torch.ones(16 * 1024));
        }
        using Tensor alive = torch.ones(16 * 1024);
        buffers.ForEach(b => b.Dispose());
        long kept = NativeHeap.ResidentBytes();

        NativeHeap.Trim();

        long afterTrim = NativeHeap.ResidentBytes();
        Assert.True(kept - afterTrim > 100 * MiB, $"resident {kept / MiB} MiB before the trim, {afterTrim / MiB} MiB after");
    }
}
