namespace Tessera.Methods.Arithmetic;

/// <summary>
/// One data format of spec §2.2: how a problem is written as training text, what the model is prompted with at test
/// time, and how the answer is read back from the generated continuation. Implementations are in <c>Formats/</c>;
/// create them with <see cref="ArithmeticFormats.Create"/>.
/// </summary>
public interface IArithmeticFormat
{
    /// <summary>"plain", "reverse", "plain2", "padded", "simplified", "detailed", "noisy-simplified", ...</summary>
    string Name { get; }

    Operation Operation { get; }

    /// <summary>The full training text of one example, ending with '\n'.</summary>
    string Example(Problem p);

    /// <summary>The test prompt (what the model is given); the training example starts with it, except for a
    /// prompt-prefixed format (<see cref="ArithmeticFormats.WithPromptPrefix"/>) whose prompt adds the prefix.</summary>
    string Prompt(Problem p);

    /// <summary>Parses the model's continuation (the text generated after the prompt) with the format's answer
    /// extraction rule (spec §2.2). Returns the answer in canonical plain form ("495", "-239", "0.6315"), or null when
    /// the extracted text is not a number.</summary>
    string? Answer(string generated);

    /// <summary>The answer the training text teaches, in plain form: <see cref="Problem.Answer"/>, except the sin/sqrt
    /// scratchpads whose target is the Taylor/Newton iterate x_4 (spec §2.2, §8.10), as in the reference evaluation.</summary>
    string Target(Problem p);

    /// <summary>Tokens to generate for operands of <paramref name="digits"/> digits (spec §2.6).</summary>
    int MaxNewTokens(int digits);
}
