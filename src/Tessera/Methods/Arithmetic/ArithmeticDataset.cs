using Tessera.Data;
using Tessera.Training;

namespace Tessera.Methods.Arithmetic;

/// <summary>Everything a run trains and tests on, built from the data config: the problems, the format, the
/// tokenizer and the tokenized training stream.</summary>
public sealed record ArithmeticDataset(
    IArithmeticFormat Format,
    IReadOnlyList<Problem> Train,
    IReadOnlyList<Problem> Test,
    IReadOnlyList<Problem> ExcludedTest,
    CharTokenizer Tokenizer,
    long[] StreamTokens,
    double TokensPerExample,
    int Digits,
    Func<Problem, string> Prompt)
{
    public static ArithmeticDataset Build(ArithmeticConfig config)
    {
        ArithmeticDataConfig d = config.Data;
        Operation op = ArithmeticDataConfig.ParseOperation(d.Operation);
        IArithmeticFormat format = ArithmeticFormats.Create(d.Format, op, d.NoiseSeed);
        (Problem[] train, Problem[] test) = Split(op, d);
        Problem[] excludedTest = [];
        if (d.Excluded.Length > 0)
        {
            // Spec §2.8: training operands that are excluded numbers get a digit redrawn; the model is then tested
            // on additions that contain an excluded number (which it never saw as an operand).
            train = ArithmeticData.ExcludeNumbers(train, d.Excluded, d.Digits, d.Seed);
            test = Disjoint(test, train, test.Length);
            int available = d.Excluded.Distinct().Count() * 2 * (int)Math.Pow(10, d.Digits);
            excludedTest = ArithmeticData.ContainingNumbers(op, d.Excluded, d.Digits, Math.Min(d.TestSize, available / 2), d.Seed + 2);
        }

        string arithmetic = ArithmeticStream.Build(format, train, d.Seed);
        string stream = d.Text switch
        {
            "none" => arithmetic,
            _ => ArithmeticStream.MixWithText(arithmetic, TextCorpus(d.Text, d.Tokenizer == "ascii"), d.TextFraction, d.Seed),
        };
        Func<Problem, string> prompt = config.Eval.FewShot == 0 ? format.Prompt : FewShot(format, train, config.Eval.FewShot, d.Seed);
        CharTokenizer tokenizer = d.Tokenizer == "ascii"
            ? CharTokenizer.AllAscii
            : CharTokenizer.FromText(stream + string.Concat(test.Select(p => format.Example(p))));
        int digits = test.Concat(train).Max(p => p.Digits);
        return new ArithmeticDataset(format, train, test, excludedTest, tokenizer, tokenizer.Encode(stream),
            (double)arithmetic.Length / train.Length, Math.Max(1, digits), prompt);
    }

    private static (Problem[] Train, Problem[] Test) Split(Operation op, ArithmeticDataConfig d)
    {
        if (op is Operation.Sin or Operation.Sqrt)
        {
            Problem[] all = ArithmeticData.SinSqrt(op, d.TrainSize + (4 * d.TestSize), d.Seed);
            Problem[] train = all[..d.TrainSize];
            var seen = train.Select(p => p.X).ToHashSet();
            return (train, all[d.TrainSize..].Where(p => seen.Add(p.X)).Take(d.TestSize).ToArray());
        }
        switch (d.Sampling)
        {
            case "table":
                return ArithmeticData.TableSplit(op, d.Digits, d.TrainSize, d.TestSize, d.Seed);
            case "balanced":
                Problem[] balanced = ArithmeticData.Balanced(op, d.TrainSize, d.Digits, d.Seed);
                return (balanced, ArithmeticData.HeldOut(op, d.Digits, balanced, d.TestSize, d.Seed + 1));
            case "multidigit":
                Problem[] multi = ArithmeticData.MultiDigit(op, d.Digits, d.TrainSize, d.Seed);
                return (multi, Disjoint(ArithmeticData.MultiDigit(op, d.Digits, 2 * d.TestSize, d.Seed + 1), multi, d.TestSize));
            default:
                // Per length, prompts whose longer operand has that many digits; a length whose every pair is in
                // training (all 1-digit pairs, when 1 is a training length) has no test prompts: see train_acc_by_digits.
                Problem[] lengths = ArithmeticData.OfLengths(op, d.TrainLengths, d.TrainSize, d.Seed);
                return (lengths, Disjoint(ArithmeticData.PerLengthTest(op, d.TestLengths, d.TestPerLength, d.Seed + 1), lengths, int.MaxValue));
        }
    }

    private static Problem[] Disjoint(IEnumerable<Problem> candidates, IEnumerable<Problem> train, int count)
    {
        var seen = train.ToHashSet();
        return candidates.Where(seen.Add).Take(count).ToArray();
    }

    /// <summary>Few-shot prompts: <paramref name="shots"/> solved training examples (chosen per problem,
    /// deterministically) before the test prompt.</summary>
    private static Func<Problem, string> FewShot(IArithmeticFormat format, Problem[] train, int shots, long seed) => p =>
    {
        long key = (p.A * 1_000_003) ^ (p.B * 7919) ^ BitConverter.DoubleToInt64Bits(p.X);
        var random = new Random((int)(StepSeeds.For(seed, key, "few-shot") & int.MaxValue));
        Problem[] chosen = Enumerable.Range(0, shots).Select(_ => train[random.Next(train.Length)]).ToArray();
        return ArithmeticStream.FewShotPrompt(format, chosen, p);
    };

    /// <summary>The text corpus; for the 96-character vocabulary, tabs become spaces and characters outside it
    /// (accents, carriage returns, other control characters) are dropped.</summary>
    private static string TextCorpus(string name, bool asciiOnly)
    {
        string text = string.Concat(DatasetCatalog.LoadText(name).Select(c => c.Text));
        return asciiOnly
            ? string.Concat(text.Replace('\t', ' ').Where(CharTokenizer.AllAscii.Contains))
            : text;
    }
}
