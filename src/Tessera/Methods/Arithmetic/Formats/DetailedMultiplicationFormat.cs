using System.Text;

namespace Tessera.Methods.Arithmetic.Formats;

/// <summary>
/// Detailed scratchpad for multiplication x*y (spec §2.2): after the header, one line per digit y_i of y (least
/// significant first) with the partial product A=y_i·x, the shift k=10^i, B=A·k and the running sum C; the last
/// line ends with " , END". E.g. for 128*367:
/// <code>
/// [1,2,8] * 7 , A=[8,9,6] , k=1 , B=[8,9,6] , C=0+896=896
/// [1,2,8] * 6 , A=[7,6,8] , k=10 , B=[7,6,8,0] , C=896+7680=8576
/// [1,2,8] * 3 , A=[3,8,4] , k=100 , B=[3,8,4,0,0] , C=8576+38400=46976 , END
/// &lt;/scratch&gt;
/// 4 6 9 7 6
/// </code>
/// </summary>
public sealed class DetailedMultiplicationFormat : IArithmeticFormat
{
    public string Name => "detailed";

    public Operation Operation => Operation.Multiply;

    public string Prompt(Problem p) => FormatText.ScratchPrompt(p);

    public string Example(Problem p)
    {
        int[] x = FormatText.DigitsOf(p.A), y = FormatText.DigitsOf(p.B);
        var sb = new StringBuilder(Prompt(p)).Line("<scratch>");
        sb.Line($"{FormatText.List(x)} has {x.Length} digits.").Line($"{FormatText.List(y)} has {y.Length} digits.");
        long c = 0, k = 1;
        for (int i = 0; i < y.Length; i++, k *= 10)
        {
            int digit = y[^(i + 1)];
            long partial = digit * p.A, shifted = partial * k, previous = c;
            c += shifted;
            sb.Append($"{FormatText.List(x)} * {digit} , A={FormatText.List(partial)} , k={FormatText.Num(k)} , B={FormatText.List(shifted)} , C={FormatText.Num(previous)}+{FormatText.Num(shifted)}={FormatText.Num(c)}")
              .Append(i == y.Length - 1 ? " , END\n" : "\n");
        }
        sb.Line("</scratch>");
        return sb.Line(FormatText.Spaced(p.Answer)).ToString();
    }

    public string? Answer(string generated) => ScratchpadAnswer.Detailed(Operation.Multiply, generated);

    public string Target(Problem p) => p.Answer;

    public int MaxNewTokens(int digits) => FormatText.DetailedBudget(digits);
}
