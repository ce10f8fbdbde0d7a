using Tessera.Methods.Arithmetic;

namespace Tessera.Tests.Methods.Arithmetic;

public sealed class ArithmeticEvalTests
{
    private static readonly CharTokenizer Tokens = CharTokenizer.AllAscii;

    /// <summary>A "model" that knows the answers: given the text so far, it puts all its weight on the next character
    /// of the problem's training example (spec §8 pitfall 6: teacher-forced correct text must score 100%).</summary>
    private static Func<Tensor, Tensor> Oracle(IArithmeticFormat format, IEnumerable<Problem> problems) => context =>
    {
        var examples = problems.DistinctBy(format.Prompt).ToDictionary(format.Prompt, p => format.Example(p));
        long rows = context.shape[0];
        var logits = new float[rows * Tokens.VocabSize];
        long[] ids = context.data<long>().ToArray();
        for (int r = 0; r < rows; r++)
        {
            string text = Tokens.Decode(ids.AsSpan(r * (int)context.shape[1], (int)context.shape[1]));
            string full = examples.Single(e => text.StartsWith(e.Key, StringComparison.Ordinal)).Value;
            char next = text.Length < full.Length ? full[text.Length] : '\n';
            logits[(r * Tokens.VocabSize) + Tokens.Encode(next.ToString())[0]] = 10;
        }
        return torch.tensor(logits, [rows, Tokens.VocabSize]);
    };

    public static TheoryData<string, Operation> EveryFormat()
    {
        var data = new TheoryData<string, Operation>();
        foreach (Operation op in Enum.GetValues<Operation>())
        {
            foreach (string name in ArithmeticFormats.Names(op))
            {
                data.Add(name, op);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(EveryFormat))]
    public void Score_OracleModel_ScoresEveryFormatPerfectly(string name, Operation op)
    {
        // Given: 40 problems of different prompt lengths (so several batches), decoded in batches of 16
        IArithmeticFormat format = ArithmeticFormats.Create(name, op);
        Problem[] problems = op is Operation.Sin or Operation.Sqrt
            ? ArithmeticData.SinSqrt(op, 40, seed: 3)
            : ArithmeticData.TableSplit(op, 2, 40, 1, seed: 3).Train;
        var options = new ArithmeticEvalConfig { BatchSize = 16 };

        // When
        ArithmeticScore score = ArithmeticEval.Score(Oracle(format, problems), Tokens, format, problems, format.Prompt, options, digits: 2);

        // Then
        Assert.Equal(1.0, score.Accuracy);
        Assert.Equal(1.0, score.Parsed);
        Assert.All(score.Items, i => Assert.Equal(format.Target(i.Problem), i.Answer));
    }

    [Fact]
    public void Score_WrongAnswers_CountAsWrong_AndUnparsableAsUnparsed()
    {
        IArithmeticFormat format = ArithmeticFormats.Create("plain", Operation.Add);
        Problem[] problems = [new(Operation.Add, 12, 34), new(Operation.Add, 5, 7)];
        // A "model" that always says "9" then newline: 12+34= -> "9" (wrong), 5+7= -> "9" (wrong).
        Func<Tensor, Tensor> nines = context =>
        {
            long last = context[0, -1].item<long>();
            long next = Tokens.Encode(last == Tokens.Encode("9")[0] ? "\n" : "9")[0];
            return torch.nn.functional.one_hot(torch.full(context.shape[0], next, dtype: ScalarType.Int64), Tokens.VocabSize).to(ScalarType.Float32);
        };

        ArithmeticScore score = ArithmeticEval.Score(nines, Tokens, format, problems, format.Prompt, new ArithmeticEvalConfig(), digits: 2);

        Assert.Equal(0.0, score.Accuracy);
        Assert.All(score.Items, i => Assert.Equal("9", i.Answer));
    }

    [Fact]
    public void AllComplete_KnowsWhenMoreTextCannotChangeTheAnswer()
    {
        IArithmeticFormat reverse = ArithmeticFormats.Create("reverse", Operation.Add);
        Assert.True(ArithmeticEval.AllComplete(reverse, ["594$\n$1"]));
        Assert.False(ArithmeticEval.AllComplete(reverse, ["594$\n", "59"]));
    }
}
