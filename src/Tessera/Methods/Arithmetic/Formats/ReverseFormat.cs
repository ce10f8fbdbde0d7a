namespace Tessera.Methods.Arithmetic.Formats;

/// <summary>"reverse": <c>$128+367=594$\n</c>, <c>$128-367=932-$\n</c>; prompt <c>$128+367=</c>. Only the result
/// string is reversed (a minus sign lands at the end); operands stay most-significant-digit first.
/// Answer: the text before the first '$', then before '\n', reversed back.</summary>
public sealed class ReverseFormat(Operation op) : IArithmeticFormat
{
    public string Name => "reverse";

    public Operation Operation => op;

    public string Prompt(Problem p) => $"${p}=";

    public string Example(Problem p) => $"{Prompt(p)}{FormatText.Reverse(p.Answer)}$\n";

    public string? Answer(string generated) =>
        FormatText.Canonical(op, FormatText.Reverse(FormatText.Before(FormatText.Before(generated, "$"), "\n")));

    public string Target(Problem p) => p.Answer;

    public int MaxNewTokens(int digits) => FormatText.MaxAnswerLength(op, digits) + 1;
}
