using System.Text;

namespace Tessera.Methods.Arithmetic.Formats;

/// <summary>
/// Scratchpad for sin (spec §2.2, §8.10): x_0=x, then four Taylor steps x_i = floor4(x_{i-1} ∓ x^(2i+1)/(2i+1)!)
/// (minus for odd i), the answer is x_4 — which can differ from the floored true sine by a few 1e-4, and is the
/// format's <see cref="Target"/>. E.g. for x=1.5707:
/// <code>
/// Input:
/// sin(1.5707)
/// Target:
/// &lt;scratch&gt;
/// x_0=1.5707
/// x_1: x_0 - 1/3! * (x^3) , x_1=0.9248
/// x_2: x_1 + 1/5! * (x^5) , x_2=1.0044
/// x_3: x_2 - 1/7! * (x^7) , x_3=0.9997
/// x_4: x_3 + 1/9! * (x^9) , x_4=0.9998 , END
/// &lt;/scratch&gt;
/// 0.9998
/// </code>
/// x is printed as given (already floored once when the problem was made; it is not re-floored here).
/// </summary>
public sealed class TaylorSinFormat : IArithmeticFormat
{
    public const int Steps = 4;

    public string Name => "detailed";

    public Operation Operation => Operation.Sin;

    public string Prompt(Problem p) => FormatText.ScratchPrompt(p);

    public string Example(Problem p)
    {
        var sb = new StringBuilder(Prompt(p)).Line("<scratch>").Line($"x_0={FloatText.Repr(p.X)}");
        double v = p.X;
        for (int i = 1; i <= Steps; i++)
        {
            int k = (2 * i) + 1;
            v = Next(v, p.X, i);
            string sign = i % 2 == 0 ? "+" : "-";
            sb.Append($"x_{i}: x_{i - 1} {sign} 1/{k}! * (x^{k}) , x_{i}={FloatText.Repr(v)}").Append(i < Steps ? "\n" : " , END\n");
        }
        return sb.Line("</scratch>").Line(FloatText.Repr(v)).ToString();
    }

    public string? Answer(string generated) => ScratchpadAnswer.Detailed(Operation.Sin, generated);

    public string Target(Problem p)
    {
        double v = p.X;
        for (int i = 1; i <= Steps; i++)
        {
            v = Next(v, p.X, i);
        }
        return FloatText.Repr(v);
    }

    public int MaxNewTokens(int digits) => 320;

    // The reference expression: this_x + (-1)**i * (x**k) / factorial(k), then floored.
    private static double Next(double previous, double x, int i)
    {
        int k = (2 * i) + 1;
        double factorial = 1;
        for (int f = 2; f <= k; f++)
        {
            factorial *= f;
        }
        double sign = i % 2 == 0 ? 1 : -1;
        return FloatText.Floor4(previous + (sign * Math.Pow(x, k) / factorial));
    }
}
