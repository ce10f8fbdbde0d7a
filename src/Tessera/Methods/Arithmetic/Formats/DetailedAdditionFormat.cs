using System.Text;

namespace Tessera.Methods.Arithmetic.Formats;

/// <summary>
/// Detailed scratchpad for addition (spec §2.2), e.g. for 128+367:
/// <code>
/// Input:
/// 128+367
/// Target:
/// &lt;scratch&gt;
/// [1,2,8] has 3 digits.
/// [3,6,7] has 3 digits.
/// [1,2,8] + [3,6,7] , A=[] , C=0 , 8+7+0=15 , A->5 , C->1
/// [1,2] + [3,6] , A=[5] , C=1 , 2+6+1=9 , A->9 , C->0
/// [1] + [3] , A=[9,5] , C=0 , 1+3+0=4 , A->4 , C->0
/// [] + [] , A=[4,9,5] C=0 , END
/// &lt;/scratch&gt;
/// 4 9 5
/// </code>
/// Each step shows the remaining operand prefixes, the result digits so far, the carry in, the column sum (missing
/// digits as 0), then the new digit and carry. The closing line has no comma before C; a final carry of 1 appears
/// only in the answer. Answer: the text after "&lt;/scratch&gt;\n" up to '\n', spaces removed.
/// </summary>
public sealed class DetailedAdditionFormat : IArithmeticFormat
{
    public string Name => "detailed";

    public Operation Operation => Operation.Add;

    public string Prompt(Problem p) => FormatText.ScratchPrompt(p);

    public string Example(Problem p)
    {
        int[] x = FormatText.DigitsOf(p.A), y = FormatText.DigitsOf(p.B);
        var sb = new StringBuilder(Prompt(p)).Line("<scratch>");
        sb.Line($"{FormatText.List(x)} has {x.Length} digits.").Line($"{FormatText.List(y)} has {y.Length} digits.");
        var acc = new List<int>();
        int carry = 0;
        for (int i = 0; i < Math.Max(x.Length, y.Length); i++)
        {
            int a = i < x.Length ? x[^(i + 1)] : 0, b = i < y.Length ? y[^(i + 1)] : 0, t = a + b + carry;
            sb.Line($"{Remaining(x, i)} + {Remaining(y, i)} , A={FormatText.List(acc)} , C={carry} , {a}+{b}+{carry}={t} , A->{t % 10} , C->{t / 10}");
            acc.Insert(0, t % 10);
            carry = t / 10;
        }
        sb.Line($"[] + [] , A={FormatText.List(acc)} C={carry} , END").Line("</scratch>");
        return sb.Line(FormatText.Spaced(p.Answer)).ToString();
    }

    public string? Answer(string generated) => ScratchpadAnswer.Detailed(Operation.Add, generated);

    public string Target(Problem p) => p.Answer;

    public int MaxNewTokens(int digits) => FormatText.DetailedBudget(digits);

    /// <summary>The digits not yet consumed after <paramref name="used"/> positions: "[1,2]".</summary>
    internal static string Remaining(int[] digits, int used) => FormatText.List(digits.Take(Math.Max(digits.Length - used, 0)));
}
