using Tessera.Methods.Arithmetic;

namespace Tessera.Tests.Methods.Arithmetic;

/// <summary>The "oracle" check of spec §8.6: the training text, teacher-forced as the model's continuation, must parse
/// to the right answer under every format's own extraction rule, and fit the generation budget.</summary>
public sealed class FormatRoundTripTests
{
    public static TheoryData<Operation, string> AllFormats()
    {
        var data = new TheoryData<Operation, string>();
        foreach (var op in Enum.GetValues<Operation>())
        {
            foreach (string name in ArithmeticFormats.Names(op))
            {
                data.Add(op, name);
            }
        }
        return data;
    }

    private static IEnumerable<Problem> Problems(Operation op)
    {
        if (!op.IsInteger())
        {
            var grid = op == Operation.Sin ? new[] { -1.5708, -0.0001, 0.0, 0.0001, 1.5707 } : new[] { 1.0, 4.0, 9.9999, 2.25 };
            return ArithmeticData.SinSqrt(op, 400, seed: 3).Concat(grid.Select(x => new Problem(op, 0, 0, x)));
        }
        var edges = new long[] { 0, 1, 9, 10, 99, 100, 500, 999 };
        return ArithmeticData.PerLengthTest(op, [1, 2, 3], 150, seed: 5)
            .Concat(edges.SelectMany(a => edges.Select(b => new Problem(op, a, b))));
    }

    [Theory]
    [MemberData(nameof(AllFormats))]
    public void Answer_OfTeacherForcedExample_IsTheTarget(Operation op, string name)
    {
        var f = ArithmeticFormats.Create(name, op, noiseSeed: 11);
        foreach (var p in Problems(op))
        {
            string example = f.Example(p), prompt = f.Prompt(p);
            Assert.StartsWith(prompt, example, StringComparison.Ordinal);
            Assert.EndsWith("\n", example, StringComparison.Ordinal);

            string continuation = example[prompt.Length..];
            string? parsed = f.Answer(continuation);

            Assert.Equal(f.Target(p), parsed);
            Assert.True(ArithmeticFormats.IsCorrect(f, p, parsed), $"{name} {p}: {parsed}");
            // the generation budget suffices: the continuation cut to MaxNewTokens still parses to the target
            string cut = continuation[..Math.Min(continuation.Length, f.MaxNewTokens(p.Digits))];
            Assert.True(f.Answer(cut) == parsed, $"{name} {p}: budget {f.MaxNewTokens(p.Digits)} < {continuation.Length}");
        }
    }

    [Theory]
    [MemberData(nameof(AllFormats))]
    public void Target_IsTheProblemAnswer_ExceptSinSqrtScratchpads(Operation op, string name)
    {
        var f = ArithmeticFormats.Create(name, op);
        foreach (var p in Problems(op))
        {
            if (!op.IsInteger() && name == "detailed")
            {
                // Spec §2.2: x_4 differs from the floored true value by at most a few 1e-4.
                Assert.True(ArithmeticFormats.IsCorrect(p, f.Target(p), tolerance: 5e-4), $"{p}: {f.Target(p)} vs {p.Answer}");
            }
            else
            {
                Assert.Equal(p.Answer, f.Target(p));
            }
        }
    }

    [Fact]
    public void SinScratchpad_TargetSometimesDiffersFromFlooredSine()
    {
        var f = ArithmeticFormats.Create("detailed", Operation.Sin);

        int differing = ArithmeticData.SinSqrt(Operation.Sin, 500, seed: 1).Count(p => f.Target(p) != p.Answer);

        Assert.InRange(differing, 1, 499);
    }

    [Theory]
    [InlineData("plain", "128+367=")]
    [InlineData("reverse", "$128+367=")]
    [InlineData("plain2", "$128+367=")]
    public void WithPromptPrefix_PrefixesPromptOnly(string name, string innerPrompt)
    {
        var inner = ArithmeticFormats.Create(name, Operation.Add);
        var f = ArithmeticFormats.WithPromptPrefix(inner, "\n");
        var p = new Problem(Operation.Add, 128, 367);

        Assert.Equal("\n" + innerPrompt, f.Prompt(p));
        Assert.Equal(inner.Example(p), f.Example(p));
        Assert.Equal("495", f.Answer(inner.Example(p)[innerPrompt.Length..]));
        Assert.Equal($"{name}-nl", f.Name);
        Assert.Equal(inner.MaxNewTokens(3), f.MaxNewTokens(3));
    }

    [Theory]
    [InlineData("plain", "495\n128+", "495")]
    [InlineData("plain", "495", "495")]
    [InlineData("plain", "0495\n", "495")]
    [InlineData("plain", "49x\n", null)]
    [InlineData("plain", "\n495", null)]
    [InlineData("plain", "", null)]
    [InlineData("plain", "-\n", null)]
    [InlineData("plain", " 495\n", null)]
    [InlineData("reverse", "594$\n$12", "495")]
    [InlineData("reverse", "594\n$", "495")]
    [InlineData("reverse", "$594", null)]
    [InlineData("plain2", "495$\n", "495")]
    [InlineData("plain2", "495\n$", "495")]
    [InlineData("simplified", "A->5 , C->1\nA->9 , C->0\nA->4 , C->0.\n495\nInput", "495")]
    [InlineData("simplified", "A->5 , C->1\nA->9 , C->0\nA->4 , C->0\n495\n", null)]
    [InlineData("detailed", "<scratch>\n[] + [] , A=[4,9,5] C=0 , END\n</scratch>\n4 9 5\nInput:", "495")]
    [InlineData("detailed", "<scratch>\n[] + [] , A=[4,9,5] C=0 , END\n4 9 5\n", null)]
    public void Answer_AdditionExtraction_FollowsSpecRules(string name, string generated, string? expected) =>
        Assert.Equal(expected, ArithmeticFormats.Create(name, Operation.Add).Answer(generated));

    [Theory]
    [InlineData("plain", "-239\n", "-239")]
    [InlineData("reverse", "932-$\n", "-239")]
    [InlineData("reverse", "93-2$\n", null)]
    [InlineData("simplified", "A->-3 , C->-1\n-300+61=-239.\n-239\n", "-239")]
    [InlineData("detailed", "</scratch>\n-2 3 9\n", "-239")]
    public void Answer_SubtractionSigns_ParseBack(string name, string generated, string? expected) =>
        Assert.Equal(expected, ArithmeticFormats.Create(name, Operation.Subtract).Answer(generated));

    [Theory]
    [InlineData("0.6315\n", "0.6315")]
    [InlineData("0.63150\n", "0.6315")]
    [InlineData("-0.9429\nsin(", "-0.9429")]
    [InlineData("2\n", "2.0")]
    [InlineData("0.63.1\n", null)]
    [InlineData(".5\n", null)]
    [InlineData("1e-3\n", null)]
    public void Answer_SinPlain_ParsesDecimals(string generated, string? expected) =>
        Assert.Equal(expected, ArithmeticFormats.Create("plain", Operation.Sin).Answer(generated));

    [Fact]
    public void IsCorrect_Integers_NeedTheExactValue()
    {
        var p = new Problem(Operation.Add, 128, 367);

        Assert.True(ArithmeticFormats.IsCorrect(p, "495"));
        Assert.True(ArithmeticFormats.IsCorrect(p, "0495"));      // Python int() semantics
        Assert.False(ArithmeticFormats.IsCorrect(p, "496"));
        Assert.False(ArithmeticFormats.IsCorrect(p, null));
        Assert.False(ArithmeticFormats.IsCorrect(p, "4 9 5"));
        Assert.False(ArithmeticFormats.IsCorrect(p, "495.0"));
        Assert.True(ArithmeticFormats.IsCorrect(new Problem(Operation.Subtract, 128, 367), "-239"));
        Assert.False(ArithmeticFormats.IsCorrect(new Problem(Operation.Subtract, 128, 367), "239"));
    }

    [Fact]
    public void IsCorrect_SinSqrt_UsesTolerance()
    {
        var p = new Problem(Operation.Sin, 0, 0, 0.6836);            // answer 0.6315

        Assert.True(ArithmeticFormats.IsCorrect(p, "0.6315"));
        Assert.False(ArithmeticFormats.IsCorrect(p, "0.6316"));
        Assert.True(ArithmeticFormats.IsCorrect(p, "0.632", tolerance: 5e-4));   // |Δ| = 5e-4 exactly
        Assert.False(ArithmeticFormats.IsCorrect(p, "0.6321", tolerance: 5e-4));
        Assert.True(ArithmeticFormats.IsCorrect(p, "0.63", tolerance: 5e-3));
        Assert.False(ArithmeticFormats.IsCorrect(p, "abc", tolerance: 1));
    }

    [Fact]
    public void Create_UnknownCombination_ListsValidNames()
    {
        var ex = Assert.Throws<InputException>(() => ArithmeticFormats.Create("simplified", Operation.Multiply));

        Assert.Contains("plain, reverse, plain2, detailed", ex.Message);
        Assert.Throws<InputException>(() => ArithmeticFormats.Create("reverse", Operation.Sin));
        Assert.Throws<InputException>(() => ArithmeticFormats.Create("Plain", Operation.Add));
    }

    [Fact]
    public void Names_CoverEveryOperation()
    {
        Assert.Equal(["plain", "reverse", "plain2", "padded", "simplified", "detailed", "noisy-simplified", "noisy-simplified-a", "noisy-simplified-c"],
            ArithmeticFormats.Names(Operation.Add));
        Assert.Equal(["plain", "detailed"], ArithmeticFormats.Names(Operation.Sqrt));
        foreach (var op in Enum.GetValues<Operation>())
        {
            foreach (string name in ArithmeticFormats.Names(op))
            {
                var f = ArithmeticFormats.Create(name, op);
                Assert.Equal(name, f.Name);
                Assert.Equal(op, f.Operation);
            }
        }
    }

    [Fact]
    public void MaxNewTokens_FollowsSpecBudgets()
    {
        Assert.Equal(5, ArithmeticFormats.Create("plain", Operation.Add).MaxNewTokens(3));     // d+2
        Assert.Equal(5, ArithmeticFormats.Create("reverse", Operation.Add).MaxNewTokens(3));
        Assert.Equal(80, ArithmeticFormats.Create("simplified", Operation.Add).MaxNewTokens(3));
        Assert.Equal(320, ArithmeticFormats.Create("detailed", Operation.Add).MaxNewTokens(3));
        Assert.Equal(20 + (15 * 5), ArithmeticFormats.Create("simplified", Operation.Add).MaxNewTokens(5));
        Assert.Equal(450, ArithmeticFormats.Create("detailed", Operation.Add).MaxNewTokens(5));
        Assert.Equal(1000, ArithmeticFormats.Create("detailed", Operation.Add).MaxNewTokens(10));
    }
}
