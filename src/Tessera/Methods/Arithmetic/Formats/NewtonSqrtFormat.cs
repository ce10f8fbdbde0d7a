using System.Text;

namespace Tessera.Methods.Arithmetic.Formats;

/// <summary>
/// Scratchpad for sqrt (spec §2.2, §8.10): x_0 = int(floor4(√a)) printed as an integer (0.1 if that is below 1),
/// then four Newton steps x_i = floor4(1/2·(x_{i-1} + a/x_{i-1})); the answer is x_4 (the format's
/// <see cref="Target"/>). E.g. for a=7.3174:
/// <code>
/// Input:
/// sqrt(7.3174)
/// Target:
/// &lt;scratch&gt;
/// x_0=2
/// x_1: 1/2*(2+7.3174/2)=2.8293, x_1=2.8293
/// x_2: 1/2*(2.8293+7.3174/2.8293)=2.7077, x_2=2.7077
/// x_3: 1/2*(2.7077+7.3174/2.7077)=2.705, x_3=2.705
/// x_4: 1/2*(2.705+7.3174/2.705)=2.705, x_4=2.705 , END
/// &lt;/scratch&gt;
/// 2.705
/// </code>
/// </summary>
public sealed class NewtonSqrtFormat : IArithmeticFormat
{
    public const int Steps = 4;

    public string Name => "detailed";

    public Operation Operation => Operation.Sqrt;

    public string Prompt(Problem p) => FormatText.ScratchPrompt(p);

    public string Example(Problem p)
    {
        var (x0, x0Text) = Start(p.X);
        var sb = new StringBuilder(Prompt(p)).Line("<scratch>").Line($"x_0={x0Text}");
        double v = x0;
        string a = FloatText.Repr(p.X), previousText = x0Text;
        for (int i = 1; i <= Steps; i++)
        {
            v = Next(v, p.X);
            string vText = FloatText.Repr(v);
            sb.Append($"x_{i}: 1/2*({previousText}+{a}/{previousText})={vText}, x_{i}={vText}").Append(i < Steps ? "\n" : " , END\n");
            previousText = vText;
        }
        return sb.Line("</scratch>").Line(FloatText.Repr(v)).ToString();
    }

    public string? Answer(string generated) => ScratchpadAnswer.Detailed(Operation.Sqrt, generated);

    public string Target(Problem p)
    {
        double v = Start(p.X).Value;
        for (int i = 1; i <= Steps; i++)
        {
            v = Next(v, p.X);
        }
        return FloatText.Repr(v);
    }

    public int MaxNewTokens(int digits) => 320;

    private static (double Value, string Text) Start(double a)
    {
        double root = FloatText.Floor4(Math.Sqrt(a));
        if (root < 1)
        {
            return (0.1, "0.1");
        }
        long whole = (long)root;
        return (whole, FormatText.Num(whole));
    }

    private static double Next(double previous, double a) => FloatText.Floor4(0.5 * (previous + (a / previous)));
}
