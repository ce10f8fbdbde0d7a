namespace Tessera.Methods.Arithmetic.Formats;

/// <summary>"plain2" (reference code only): the plain result wrapped in dollars, <c>$128+367=495$\n</c>; prompt
/// <c>$128+367=</c>. Answer: the text before the first '$' (then before '\n', as the reference evaluator does).</summary>
public sealed class DollarFormat(Operation op) : IArithmeticFormat
{
    public string Name => "plain2";

    public Operation Operation => op;

    public string Prompt(Problem p) => $"${p}=";

    public string Example(Problem p) => $"{Prompt(p)}{p.Answer}$\n";

    public string? Answer(string generated) =>
        FormatText.Canonical(op, FormatText.Before(FormatText.Before(generated, "$"), "\n"));

    public string Target(Problem p) => p.Answer;

    public int MaxNewTokens(int digits) => FormatText.MaxAnswerLength(op, digits) + 1;
}
