namespace Tessera.Methods.Arithmetic.Formats;

/// <summary>
/// A format whose test prompt starts with a fixed prefix (spec §2.7, §7 issue #1): with "\n" the plain prompt
/// <c>\n5+367=</c> can no longer be read as the tail of <c>15+367=</c>. Training examples and answer parsing are the
/// inner format's (examples already end with '\n', so in the training stream every example follows one).
/// </summary>
public sealed class PrefixedFormat(IArithmeticFormat inner, string prefix) : IArithmeticFormat
{
    public IArithmeticFormat Inner => inner;

    public string PromptPrefix => prefix;

    public string Name => prefix == "\n" ? $"{inner.Name}-nl" : $"{inner.Name}-prefixed";

    public Operation Operation => inner.Operation;

    public string Example(Problem p) => inner.Example(p);

    public string Prompt(Problem p) => prefix + inner.Prompt(p);

    public string? Answer(string generated) => inner.Answer(generated);

    public string Target(Problem p) => inner.Target(p);

    public int MaxNewTokens(int digits) => inner.MaxNewTokens(digits);
}
