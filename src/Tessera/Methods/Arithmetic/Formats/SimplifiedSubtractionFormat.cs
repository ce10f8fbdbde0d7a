using System.Text;

namespace Tessera.Methods.Arithmetic.Formats;

/// <summary>
/// Simplified scratchpad for subtraction (spec §2.2): per position, least significant first, <c>A->t , C->c</c> with
/// the borrow c ∈ {0,-1}; t gets +10 when the column is negative, except at the top position where it stays negative.
/// Then the recombination <c>A0·10^n+rest=result.</c> and the result:
/// <c>Input:\n128-367\nTarget:\nA->1 , C->0\nA->6 , C->-1\nA->-3 , C->-1\n-300+61=-239.\n-239\n</c>.
/// Noise (random A digit, random borrow) as in <see cref="SimplifiedAdditionFormat"/>.
/// Answer: the text after the first ".\n", up to the next '\n'.
/// </summary>
public sealed class SimplifiedSubtractionFormat(ScratchNoise noise = ScratchNoise.None, long noiseSeed = 0) : IArithmeticFormat
{
    public string Name => noise switch
    {
        ScratchNoise.None => "simplified",
        ScratchNoise.RandomA => "noisy-simplified-a",
        ScratchNoise.RandomC => "noisy-simplified-c",
        _ => "noisy-simplified",
    };

    public Operation Operation => Operation.Subtract;

    public string Prompt(Problem p) => FormatText.ScratchPrompt(p);

    public string Example(Problem p)
    {
        var sb = new StringBuilder(Prompt(p));
        var rng = noise == ScratchNoise.None ? null : Rngs.ForProblem(noiseSeed, p, "noisy-simplified");
        var steps = SubtractionSteps.Of(p.A, p.B);
        foreach (var s in steps)
        {
            int shownA = noise is ScratchNoise.RandomA or ScratchNoise.RandomBoth ? rng!.Next(10) : s.Digit;
            int shownC = noise is ScratchNoise.RandomC or ScratchNoise.RandomBoth ? -rng!.Next(2) : s.BorrowOut;
            sb.Line($"A->{shownA} , C->{shownC}");
        }
        return sb.Line(SubtractionSteps.Recombination(steps) + ".").Line(p.Answer).ToString();
    }

    public string? Answer(string generated)
    {
        string? rest = FormatText.After(generated, ".\n");
        return rest is null ? null : FormatText.Canonical(Operation.Subtract, FormatText.Before(rest, "\n"));
    }

    public string Target(Problem p) => p.Answer;

    public int MaxNewTokens(int digits) => FormatText.SimplifiedBudget(digits);
}
