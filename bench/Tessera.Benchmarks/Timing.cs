using System.Diagnostics;

namespace Tessera.Benchmarks;

/// <summary>Wall-clock timing with warm-up; the median of repeated measurements resists scheduler noise.</summary>
public static class Timing
{
    public static double MedianSeconds(Action body, int warmup, int repeats)
    {
        for (int i = 0; i < warmup; i++)
        {
            body();
        }
        var times = new double[repeats];
        for (int i = 0; i < repeats; i++)
        {
            long start = Stopwatch.GetTimestamp();
            body();
            times[i] = Stopwatch.GetElapsedTime(start).TotalSeconds;
        }
        Array.Sort(times);
        return times[repeats / 2];
    }

    /// <summary>Interleaves two bodies (A, B, A, B, ...) and returns both medians, so drift hits both alike.</summary>
    public static (double A, double B) Interleaved(Action a, Action b, int warmup, int repeats)
    {
        var ta = new List<double>();
        var tb = new List<double>();
        for (int i = 0; i < warmup + repeats; i++)
        {
            foreach ((Action body, List<double> into) in new[] { (a, ta), (b, tb) })
            {
                long start = Stopwatch.GetTimestamp();
                body();
                if (i >= warmup)
                {
                    into.Add(Stopwatch.GetElapsedTime(start).TotalSeconds);
                }
            }
        }
        ta.Sort();
        tb.Sort();
        return (ta[ta.Count / 2], tb[tb.Count / 2]);
    }
}
