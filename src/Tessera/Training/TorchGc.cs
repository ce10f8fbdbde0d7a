using System.Runtime;

namespace Tessera.Training;

/// <summary>
/// Keeps garbage collections out of libtorch calls. TorchSharp 0.107 turns every double or alpha it passes to libtorch
/// (<c>x * 0.5</c>, <c>a + b</c>, every optimizer update) into a <c>Scalar</c> object that is garbage as soon as its
/// native handle has been read. When a collection started by another thread lands during that native call, the
/// finalizer thread frees the scalar while libtorch still reads it: wrong values, NaN losses, or "Expected false to be
/// true" from <c>c10/core/Scalar.h</c> (about 1 in 100 foreign collections, measured). So the process runs inside a
/// no-GC region, and the runtime collects only at safe points: moments when no thread of this process is inside a
/// libtorch call. The region is 64 MiB; a safe point that finds it half used collects, runs the finalizers (they call
/// into libtorch too, so they should not run beside the training thread either), and opens the next region.
/// This narrows the race, it does not close it: with a thread allocating flat out, 80,000 scalar operations gave 5 and
/// 10 wrong results without safe points and 0 in most runs with them, but 1 in one run (the region can run out, or fail
/// to open, between two safe points). Safe points also hand freed native memory back to the system
/// (<see cref="NativeHeap"/>).
/// </summary>
public static class TorchGc
{
    private const long RegionBytes = 64L << 20;
    private static readonly Lock Gate = new();
    private static long _regionStart;
    private static int _sideBySide;

    /// <summary>A safe point for the thread that does all of this process's torch work: between training steps or
    /// evaluation batches. Does nothing while ranks run torch work side by side in this process
    /// (<see cref="SideBySide"/>); their barrier provides the safe point then (<see cref="AllRanksWaiting"/>).</summary>
    public static void SafePoint()
    {
        if (Volatile.Read(ref _sideBySide) == 0)
        {
            Collect();
        }
    }

    /// <summary>Called by the last thread to reach a barrier of in-process ranks, while every other rank waits.</summary>
    public static void AllRanksWaiting() => Collect();

    /// <summary>Marks a section in which several threads run torch work at once (in-process ranks); dispose to end it.</summary>
    public static IDisposable SideBySide()
    {
        Interlocked.Increment(ref _sideBySide);
        return new SideBySideSection();
    }

    private static void Collect()
    {
        lock (Gate)
        {
            NativeHeap.TrimIfGrown();
            bool open = GCSettings.LatencyMode == GCLatencyMode.NoGCRegion;
            if (open && GC.GetTotalAllocatedBytes() - _regionStart < RegionBytes / 2)
            {
                return;
            }
            try
            {
                if (open)
                {
                    GC.EndNoGCRegion();
                }
            }
            catch (InvalidOperationException)
            {
                // The region already ended (an explicit GC.Collect, or more than RegionBytes allocated): open a new one.
            }
            try
            {
                // Opening a region collects first, here, where it is safe.
                if (GC.TryStartNoGCRegion(RegionBytes))
                {
                    _regionStart = GC.GetTotalAllocatedBytes();
                }
                // Finalizers of TorchSharp objects call into libtorch; let them run now, not during the next steps.
                GC.WaitForPendingFinalizers();
            }
            catch (InvalidOperationException)
            {
                // Still inside a region the runtime has not closed yet; the next safe point tries again.
            }
        }
    }

    private sealed class SideBySideSection : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                Interlocked.Decrement(ref _sideBySide);
            }
        }
    }
}
