using Tessera.Methods.Arithmetic;

namespace Tessera.Tests.Methods.Arithmetic;

/// <summary>Exact training strings and prompts. Fixtures: spec §2.2 and §8.2/§8.3/§8.10 (128+367, 128-367, 128*367 line 2,
/// sin(1.5707), sqrt(7.3174), 999+999 reverse); the other cases are derived by hand from the §2.2 rules; the full
/// 128*367 scratchpad is the reference notebook's printed output.</summary>
public sealed class FormatGoldenTests
{
    private static Problem Add(long a, long b) => new(Operation.Add, a, b);

    private static Problem Sub(long a, long b) => new(Operation.Subtract, a, b);

    private static string Example(string format, Problem p) => ArithmeticFormats.Create(format, p.Op).Example(p);

    private static string Prompt(string format, Problem p) => ArithmeticFormats.Create(format, p.Op).Prompt(p);

    [Theory]
    [InlineData("plain", "128+367=495\n", "128+367=")]
    [InlineData("reverse", "$128+367=594$\n", "$128+367=")]
    [InlineData("plain2", "$128+367=495$\n", "$128+367=")]
    [InlineData("simplified", "Input:\n128+367\nTarget:\nA->5 , C->1\nA->9 , C->0\nA->4 , C->0.\n495\n", "Input:\n128+367\nTarget:\n")]
    public void Addition_128Plus367_MatchesSpec(string format, string example, string prompt)
    {
        Assert.Equal(example, Example(format, Add(128, 367)));
        Assert.Equal(prompt, Prompt(format, Add(128, 367)));
    }

    [Fact]
    public void DetailedAddition_128Plus367_MatchesSpec()
    {
        const string expected =
            "Input:\n128+367\nTarget:\n<scratch>\n" +
            "[1,2,8] has 3 digits.\n" +
            "[3,6,7] has 3 digits.\n" +
            "[1,2,8] + [3,6,7] , A=[] , C=0 , 8+7+0=15 , A->5 , C->1\n" +
            "[1,2] + [3,6] , A=[5] , C=1 , 2+6+1=9 , A->9 , C->0\n" +
            "[1] + [3] , A=[9,5] , C=0 , 1+3+0=4 , A->4 , C->0\n" +
            "[] + [] , A=[4,9,5] C=0 , END\n" +
            "</scratch>\n" +
            "4 9 5\n";

        Assert.Equal(expected, Example("detailed", Add(128, 367)));
        Assert.Equal("Input:\n128+367\nTarget:\n", Prompt("detailed", Add(128, 367)));
    }

    [Theory]
    [InlineData("plain", "999+999=1998\n")]
    [InlineData("reverse", "$999+999=8991$\n")]
    [InlineData("plain2", "$999+999=1998$\n")]
    [InlineData("simplified", "Input:\n999+999\nTarget:\nA->8 , C->1\nA->9 , C->1\nA->9 , C->1.\n1998\n")]
    [InlineData("detailed", "Input:\n999+999\nTarget:\n<scratch>\n[9,9,9] has 3 digits.\n[9,9,9] has 3 digits.\n" +
        "[9,9,9] + [9,9,9] , A=[] , C=0 , 9+9+0=18 , A->8 , C->1\n" +
        "[9,9] + [9,9] , A=[8] , C=1 , 9+9+1=19 , A->9 , C->1\n" +
        "[9] + [9] , A=[9,8] , C=1 , 9+9+1=19 , A->9 , C->1\n" +
        "[] + [] , A=[9,9,8] C=1 , END\n</scratch>\n1 9 9 8\n")]
    public void Addition_999Plus999_FinalCarryAppearsOnlyInAnswer(string format, string expected) =>
        Assert.Equal(expected, Example(format, Add(999, 999)));

    [Theory]
    [InlineData("plain", "5+7=12\n")]
    [InlineData("reverse", "$5+7=21$\n")]
    [InlineData("plain2", "$5+7=12$\n")]
    [InlineData("simplified", "Input:\n5+7\nTarget:\nA->2 , C->1.\n12\n")]
    [InlineData("detailed", "Input:\n5+7\nTarget:\n<scratch>\n[5] has 1 digits.\n[7] has 1 digits.\n" +
        "[5] + [7] , A=[] , C=0 , 5+7+0=12 , A->2 , C->1\n[] + [] , A=[2] C=1 , END\n</scratch>\n1 2\n")]
    public void Addition_5Plus7_MatchesRules(string format, string expected) => Assert.Equal(expected, Example(format, Add(5, 7)));

    [Theory]
    [InlineData("plain", "0+0=0\n")]
    [InlineData("reverse", "$0+0=0$\n")]
    [InlineData("plain2", "$0+0=0$\n")]
    [InlineData("simplified", "Input:\n0+0\nTarget:\nA->0 , C->0.\n0\n")]
    [InlineData("detailed", "Input:\n0+0\nTarget:\n<scratch>\n[0] has 1 digits.\n[0] has 1 digits.\n" +
        "[0] + [0] , A=[] , C=0 , 0+0+0=0 , A->0 , C->0\n[] + [] , A=[0] C=0 , END\n</scratch>\n0\n")]
    public void Addition_0Plus0_MatchesRules(string format, string expected) => Assert.Equal(expected, Example(format, Add(0, 0)));

    [Theory]
    [InlineData("plain", "5+367=372\n")]
    [InlineData("reverse", "$5+367=273$\n")]
    [InlineData("simplified", "Input:\n5+367\nTarget:\nA->2 , C->1\nA->7 , C->0\nA->3 , C->0.\n372\n")]
    [InlineData("detailed", "Input:\n5+367\nTarget:\n<scratch>\n[5] has 1 digits.\n[3,6,7] has 3 digits.\n" +
        "[5] + [3,6,7] , A=[] , C=0 , 5+7+0=12 , A->2 , C->1\n" +
        "[] + [3,6] , A=[2] , C=1 , 0+6+1=7 , A->7 , C->0\n" +
        "[] + [3] , A=[7,2] , C=0 , 0+3+0=3 , A->3 , C->0\n" +
        "[] + [] , A=[3,7,2] C=0 , END\n</scratch>\n3 7 2\n")]
    public void Addition_5Plus367_ShortOperandPadsWithZeros(string format, string expected) =>
        Assert.Equal(expected, Example(format, Add(5, 367)));

    [Fact]
    public void Padded_7Plus123_MatchesSpec()
    {
        var f = ArithmeticFormats.Create("padded", Operation.Add);

        Assert.Equal("007+123=0130\n", f.Example(Add(7, 123)));
        Assert.Equal("007+123=", f.Prompt(Add(7, 123)));
        Assert.Equal("130", f.Answer("0130\n"));
    }

    [Theory]
    [InlineData("plain", "128-367=-239\n", "128-367=")]
    [InlineData("reverse", "$128-367=932-$\n", "$128-367=")]
    [InlineData("simplified", "Input:\n128-367\nTarget:\nA->1 , C->0\nA->6 , C->-1\nA->-3 , C->-1\n-300+61=-239.\n-239\n", "Input:\n128-367\nTarget:\n")]
    public void Subtraction_128Minus367_MatchesSpec(string format, string example, string prompt)
    {
        Assert.Equal(example, Example(format, Sub(128, 367)));
        Assert.Equal(prompt, Prompt(format, Sub(128, 367)));
    }

    [Fact]
    public void DetailedSubtraction_128Minus367_MatchesSpec()
    {
        const string expected =
            "Input:\n128-367\nTarget:\n<scratch>\n" +
            "[1,2,8] has 3 digits.\n" +
            "[3,6,7] has 3 digits.\n" +
            "[1,2,8] - [3,6,7] , A=[] , C=0 , 8-7-0=1 , A->1 , C->0\n" +
            "[1,2] - [3,6] , A=[1] , C=0 , 2-6-0+10=6 , A->6 , C->-1\n" +
            "[1] - [3] , A=[6,1] , C=-1 , 1-3-1=-3 , A->-3 , C->-1\n" +
            "[] - [] , A=[-3,6,1]\n" +
            "-300+61=-239 , END\n" +
            "</scratch>\n" +
            "-2 3 9\n";

        var f = ArithmeticFormats.Create("detailed", Operation.Subtract);

        Assert.Equal(expected, f.Example(Sub(128, 367)));
        Assert.Equal("-239", f.Answer(expected[f.Prompt(Sub(128, 367)).Length..]));
    }

    [Fact]
    public void DetailedSubtraction_PositiveAndOneDigit_MatchRules()
    {
        // 367-128: 7-8 borrows (+10), 6-2-1=3, 3-1=2 → 239; 5-7 is a single (top) position: -2 stays negative.
        Assert.Equal(
            "Input:\n367-128\nTarget:\n<scratch>\n[3,6,7] has 3 digits.\n[1,2,8] has 3 digits.\n" +
            "[3,6,7] - [1,2,8] , A=[] , C=0 , 7-8-0+10=9 , A->9 , C->-1\n" +
            "[3,6] - [1,2] , A=[9] , C=-1 , 6-2-1=3 , A->3 , C->0\n" +
            "[3] - [1] , A=[3,9] , C=0 , 3-1-0=2 , A->2 , C->0\n" +
            "[] - [] , A=[2,3,9]\n200+39=239 , END\n</scratch>\n2 3 9\n",
            Example("detailed", Sub(367, 128)));
        Assert.Equal(
            "Input:\n5-7\nTarget:\n<scratch>\n[5] has 1 digits.\n[7] has 1 digits.\n" +
            "[5] - [7] , A=[] , C=0 , 5-7-0=-2 , A->-2 , C->-1\n[] - [] , A=[-2]\n-2+0=-2 , END\n</scratch>\n-2\n",
            Example("detailed", Sub(5, 7)));
        Assert.Equal("Input:\n5-7\nTarget:\nA->-2 , C->-1\n-2+0=-2.\n-2\n", Example("simplified", Sub(5, 7)));
    }

    [Fact]
    public void DetailedMultiplication_128Times367_MatchesReferenceOutput()
    {
        const string expected =
            "Input:\n128*367\nTarget:\n<scratch>\n" +
            "[1,2,8] has 3 digits.\n" +
            "[3,6,7] has 3 digits.\n" +
            "[1,2,8] * 7 , A=[8,9,6] , k=1 , B=[8,9,6] , C=0+896=896\n" +
            "[1,2,8] * 6 , A=[7,6,8] , k=10 , B=[7,6,8,0] , C=896+7680=8576\n" +
            "[1,2,8] * 3 , A=[3,8,4] , k=100 , B=[3,8,4,0,0] , C=8576+38400=46976 , END\n" +
            "</scratch>\n" +
            "4 6 9 7 6\n";

        string actual = Example("detailed", new Problem(Operation.Multiply, 128, 367));

        Assert.Equal(expected, actual);
        Assert.Contains("\n[1,2,8] * 6 , A=[7,6,8] , k=10 , B=[7,6,8,0] , C=896+7680=8576\n", actual);
    }

    [Fact]
    public void Multiplication_PlainAndReverse_MatchRules()
    {
        var p = new Problem(Operation.Multiply, 12, 34);

        Assert.Equal("12*34=408\n", Example("plain", p));
        Assert.Equal("$12*34=804$\n", Example("reverse", p));
    }

    [Fact]
    public void SinScratchpad_1Point5707_TaylorStepsFromSpec()
    {
        var p = new Problem(Operation.Sin, 0, 0, 1.5707);
        const string expected =
            "Input:\nsin(1.5707)\nTarget:\n<scratch>\n" +
            "x_0=1.5707\n" +
            "x_1: x_0 - 1/3! * (x^3) , x_1=0.9248\n" +
            "x_2: x_1 + 1/5! * (x^5) , x_2=1.0044\n" +
            "x_3: x_2 - 1/7! * (x^7) , x_3=0.9997\n" +
            "x_4: x_3 + 1/9! * (x^9) , x_4=0.9998 , END\n" +
            "</scratch>\n" +
            "0.9998\n";
        var f = ArithmeticFormats.Create("detailed", Operation.Sin);

        Assert.Equal(expected, f.Example(p));
        Assert.Equal("0.9998", f.Target(p));
        Assert.Equal("0.9999", p.Answer);                      // the floored true sine differs from x_4
    }

    [Fact]
    public void SqrtScratchpad_7Point3174_NewtonStepsFromSpec()
    {
        var p = new Problem(Operation.Sqrt, 0, 0, 7.3174);
        const string expected =
            "Input:\nsqrt(7.3174)\nTarget:\n<scratch>\n" +
            "x_0=2\n" +
            "x_1: 1/2*(2+7.3174/2)=2.8293, x_1=2.8293\n" +
            "x_2: 1/2*(2.8293+7.3174/2.8293)=2.7077, x_2=2.7077\n" +
            "x_3: 1/2*(2.7077+7.3174/2.7077)=2.705, x_3=2.705\n" +
            "x_4: 1/2*(2.705+7.3174/2.705)=2.705, x_4=2.705 , END\n" +
            "</scratch>\n" +
            "2.705\n";

        Assert.Equal(expected, Example("detailed", p));
        Assert.Equal("2.705", p.Answer);
    }

    [Fact]
    public void SqrtScratchpad_PerfectSquare_KeepsPythonFloatText()
    {
        string text = Example("detailed", new Problem(Operation.Sqrt, 0, 0, 4.0));

        Assert.Contains("\nx_0=2\n", text);
        Assert.Contains("\nx_1: 1/2*(2+4.0/2)=2.0, x_1=2.0\n", text);
        Assert.Contains("\nx_2: 1/2*(2.0+4.0/2.0)=2.0, x_2=2.0\n", text);
        Assert.EndsWith("</scratch>\n2.0\n", text);
    }

    [Theory]
    [InlineData(Operation.Sin, 0.6836, "sin(0.6836)=0.6315\n")]
    [InlineData(Operation.Sin, -1.2311, "sin(-1.2311)=-0.9429\n")]
    [InlineData(Operation.Sin, 0.0, "sin(0.0)=0.0\n")]
    [InlineData(Operation.Sqrt, 7.3174, "sqrt(7.3174)=2.705\n")]
    [InlineData(Operation.Sqrt, 4.0, "sqrt(4.0)=2.0\n")]
    public void PlainSinSqrt_MatchesSpec(Operation op, double x, string expected)
    {
        var p = new Problem(op, 0, 0, x);

        Assert.Equal(expected, Example("plain", p));
        Assert.Equal(expected[..(expected.IndexOf('=') + 1)], Prompt("plain", p));
    }
}
