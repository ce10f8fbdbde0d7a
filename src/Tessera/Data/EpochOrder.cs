namespace Tessera.Data;

/// <summary>Shuffled epochs: the order of epoch <c>e</c> is a function of (seed, e) only, so the batch of any step
/// can be rebuilt after a resume. Caches the current epoch's permutation.</summary>
public sealed class EpochOrder(long seed, long count)
{
    private long _epoch = -1;
    private long[] _order = [];

    public long[] Batch(long epoch, long batchIndex, int batchSize)
    {
        if (epoch != _epoch)
        {
            (_order, _epoch) = (ImageBatches.Permutation(seed, epoch, count), epoch);
        }
        long start = batchIndex * batchSize;
        return _order[(int)start..(int)Math.Min(start + batchSize, count)];
    }
}
