using System.Globalization;

namespace Tessera.Methods.Arithmetic.Formats;

/// <summary>
/// The column algorithm behind both subtraction scratchpads (spec §2.2). Position i (least significant first) with
/// incoming borrow C ∈ {0,-1}: v = a_i − b_i − |C|; if v &lt; 0 and i is not the top position the written digit is
/// v+10 (the "+10" form), otherwise v itself (so the top digit may be negative); the outgoing borrow is −1 iff v &lt; 0.
/// </summary>
internal static class SubtractionSteps
{
    public readonly record struct Step(int X, int Y, int BorrowIn, int Digit, int BorrowOut, bool PlusTen);

    public static Step[] Of(long a, long b)
    {
        int n = Math.Max(Problem.Length(a), Problem.Length(b));
        var steps = new Step[n];
        int borrow = 0;
        for (int i = 0; i < n; i++, a /= 10, b /= 10)
        {
            int x = (int)(a % 10), y = (int)(b % 10);
            int v = x - y - Math.Abs(borrow);
            bool plusTen = v < 0 && i < n - 1;
            steps[i] = new Step(x, y, borrow, plusTen ? v + 10 : v, v < 0 ? -1 : 0, plusTen);
            borrow = steps[i].BorrowOut;
        }
        return steps;
    }

    /// <summary>The written digits, most significant first (the top one may be negative): 128-367 → [-3,6,1].</summary>
    public static int[] Digits(Step[] steps) => steps.Reverse().Select(s => s.Digit).ToArray();

    /// <summary>"A0·10^n+rest=result": 128-367 → "-300+61=-239"; one position → "-2+0=-2".</summary>
    public static string Recombination(Step[] steps)
    {
        int[] d = Digits(steps);
        int n = d.Length - 1;
        long head = d[0] * (long)Math.Pow(10, n);
        long rest = n > 0 ? long.Parse(string.Concat(d.Skip(1)), CultureInfo.InvariantCulture) : 0;
        return $"{FormatText.Num(head)}+{FormatText.Num(rest)}={FormatText.Num(head + rest)}";
    }
}
