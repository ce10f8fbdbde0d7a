using System.Globalization;
using Tessera.Data;
using Tessera.Methods.FedMA;

namespace Tessera.Benchmarks;

/// <summary>The FedMA assignment solver on dense random n x n weights (uniform in [0, 1)), maximising.</summary>
public static class AssignmentBench
{
    public static void Run()
    {
        foreach (int n in new[] { 100, 300, 1000 })
        {
            var rng = new SeededRandom(n);
            double[] w = new double[n * n];
            for (int i = 0; i < w.Length; i++)
            {
                w[i] = rng.NextDouble();
            }
            int[] best = [];
            double seconds = Timing.MedianSeconds(() => best = LinearAssignment.Maximize(w, n, n), warmup: 1, repeats: n >= 1000 ? 3 : 7);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"assignment {n} x {n} dense float64: {seconds * 1e3:F1} ms (median), total weight {LinearAssignment.Total(w, n, best):F3}"));
        }
    }
}
