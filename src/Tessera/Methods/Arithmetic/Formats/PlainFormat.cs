namespace Tessera.Methods.Arithmetic.Formats;

/// <summary>"plain": <c>128+367=495\n</c>, <c>128-367=-239\n</c>, <c>sin(0.6836)=0.6315\n</c>; prompt <c>128+367=</c>.
/// Answer: the generated text before the first '\n'.</summary>
public sealed class PlainFormat(Operation op) : IArithmeticFormat
{
    public string Name => "plain";

    public Operation Operation => op;

    public string Prompt(Problem p) => $"{p}=";

    public string Example(Problem p) => $"{Prompt(p)}{p.Answer}\n";

    public string? Answer(string generated) => FormatText.Canonical(op, FormatText.Before(generated, "\n"));

    public string Target(Problem p) => p.Answer;

    public int MaxNewTokens(int digits) => FormatText.MaxAnswerLength(op, digits) + 1;
}
