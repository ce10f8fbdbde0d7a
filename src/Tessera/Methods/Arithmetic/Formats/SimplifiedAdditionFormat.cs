using System.Text;

namespace Tessera.Methods.Arithmetic.Formats;

/// <summary>
/// Simplified scratchpad for addition (spec §2.2): one <c>A->digit , C->carry</c> line per position, least significant
/// first, the last one ending in '.', then the sum:
/// <c>Input:\n128+367\nTarget:\nA->5 , C->1\nA->9 , C->0\nA->4 , C->0.\n495\n</c>.
/// With <see cref="ScratchNoise"/> the A and/or C values are random (deterministic per (noise seed, problem), so a
/// repeated problem gets the same noise); the reference code draws fresh noise per line and, through a flag that its
/// first 0 draw clears, leaves later positions clean — this class randomises every position as the paper describes.
/// Answer: the text after the first ".\n", up to the next '\n'.
/// </summary>
public sealed class SimplifiedAdditionFormat(ScratchNoise noise = ScratchNoise.None, long noiseSeed = 0) : IArithmeticFormat
{
    public string Name => noise switch
    {
        ScratchNoise.None => "simplified",
        ScratchNoise.RandomA => "noisy-simplified-a",
        ScratchNoise.RandomC => "noisy-simplified-c",
        _ => "noisy-simplified",
    };

    public Operation Operation => Operation.Add;

    public string Prompt(Problem p) => FormatText.ScratchPrompt(p);

    public string Example(Problem p)
    {
        var sb = new StringBuilder(Prompt(p));
        var rng = noise == ScratchNoise.None ? null : Rngs.ForProblem(noiseSeed, p, "noisy-simplified");
        long a = p.A, b = p.B;
        int positions = p.Digits, carry = 0;
        for (int i = 0; i < positions; i++, a /= 10, b /= 10)
        {
            int t = (int)(a % 10 + b % 10) + carry;
            int shownA = noise is ScratchNoise.RandomA or ScratchNoise.RandomBoth ? rng!.Next(10) : t % 10;
            int shownC = noise is ScratchNoise.RandomC or ScratchNoise.RandomBoth ? rng!.Next(2) : t / 10;
            sb.Append($"A->{shownA} , C->{shownC}").Append(i == positions - 1 ? ".\n" : "\n");
            carry = t / 10;
        }
        return sb.Line(p.Answer).ToString();
    }

    public string? Answer(string generated)
    {
        string? rest = FormatText.After(generated, ".\n");
        return rest is null ? null : FormatText.Canonical(Operation.Add, FormatText.Before(rest, "\n"));
    }

    public string Target(Problem p) => p.Answer;

    public int MaxNewTokens(int digits) => FormatText.SimplifiedBudget(digits);
}
