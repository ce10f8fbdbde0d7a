using System.Text;

namespace Tessera.Methods.Arithmetic.Formats;

/// <summary>
/// Detailed scratchpad for subtraction (spec §2.2), e.g. for 128-367:
/// <code>
/// Input:
/// 128-367
/// Target:
/// &lt;scratch&gt;
/// [1,2,8] has 3 digits.
/// [3,6,7] has 3 digits.
/// [1,2,8] - [3,6,7] , A=[] , C=0 , 8-7-0=1 , A->1 , C->0
/// [1,2] - [3,6] , A=[1] , C=0 , 2-6-0+10=6 , A->6 , C->-1
/// [1] - [3] , A=[6,1] , C=-1 , 1-3-1=-3 , A->-3 , C->-1
/// [] - [] , A=[-3,6,1]
/// -300+61=-239 , END
/// &lt;/scratch&gt;
/// -2 3 9
/// </code>
/// The column rule is <see cref="SubtractionSteps"/>. Answer: as for the other detailed scratchpads.
/// </summary>
public sealed class DetailedSubtractionFormat : IArithmeticFormat
{
    public string Name => "detailed";

    public Operation Operation => Operation.Subtract;

    public string Prompt(Problem p) => FormatText.ScratchPrompt(p);

    public string Example(Problem p)
    {
        int[] x = FormatText.DigitsOf(p.A), y = FormatText.DigitsOf(p.B);
        var sb = new StringBuilder(Prompt(p)).Line("<scratch>");
        sb.Line($"{FormatText.List(x)} has {x.Length} digits.").Line($"{FormatText.List(y)} has {y.Length} digits.");
        var steps = SubtractionSteps.Of(p.A, p.B);
        var acc = new List<int>();
        for (int i = 0; i < steps.Length; i++)
        {
            var s = steps[i];
            string column = $"{s.X}-{s.Y}-{Math.Abs(s.BorrowIn)}" + (s.PlusTen ? "+10" : "") + $"={s.Digit}";
            sb.Line($"{DetailedAdditionFormat.Remaining(x, i)} - {DetailedAdditionFormat.Remaining(y, i)} , A={FormatText.List(acc)} , C={s.BorrowIn} , {column} , A->{s.Digit} , C->{s.BorrowOut}");
            acc.Insert(0, s.Digit);
        }
        sb.Line($"[] - [] , A={FormatText.List(acc)}").Line(SubtractionSteps.Recombination(steps) + " , END").Line("</scratch>");
        return sb.Line(FormatText.Spaced(p.Answer)).ToString();
    }

    public string? Answer(string generated) => ScratchpadAnswer.Detailed(Operation.Subtract, generated);

    public string Target(Problem p) => p.Answer;

    public int MaxNewTokens(int digits) => FormatText.DetailedBudget(digits);
}
