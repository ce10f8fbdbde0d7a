using Tessera.Data;
using Tessera.Methods.Arithmetic;
using Xunit.Abstractions;
using static Tessera.Tests.Data.DataFixtures;

namespace Tessera.Tests.Methods.Arithmetic;

public sealed class ArithmeticDatasetTests(ITestOutputHelper output)
{
    private static ArithmeticDataset Build(ArithmeticDataConfig data) =>
        ArithmeticDataset.Build(new ArithmeticConfig { Data = data });

    public static TheoryData<string, ArithmeticDataConfig> Samplings() => new()
    {
        { "table", new ArithmeticDataConfig { TrainSize = 4000, TestSize = 1000 } },
        { "table subtract", new ArithmeticDataConfig { Operation = "subtract", Format = "plain", TrainSize = 3000, TestSize = 500 } },
        { "table multiply", new ArithmeticDataConfig { Operation = "multiply", Format = "plain", TrainSize = 3000, TestSize = 500 } },
        { "balanced 3-digit", new ArithmeticDataConfig { Sampling = "balanced", Digits = 3, TrainSize = 2000, TestSize = 500 } },
        { "multidigit", new ArithmeticDataConfig { Sampling = "multidigit", Digits = 4, TrainSize = 3000, TestSize = 500 } },
        { "lengths", new ArithmeticDataConfig { Sampling = "lengths", Digits = 3, TrainSize = 3000, TrainLengths = [1, 3], TestLengths = [1, 2, 3, 4] } },
        { "excluded", new ArithmeticDataConfig { TrainSize = 4000, TestSize = 1000, Excluded = [5, 17, 52] } },
        { "sin", new ArithmeticDataConfig { Operation = "sin", Format = "plain", TrainSize = 2000, TestSize = 500 } },
        { "sqrt", new ArithmeticDataConfig { Operation = "sqrt", Format = "detailed", TrainSize = 2000, TestSize = 500 } },
    };

    [Theory]
    [MemberData(nameof(Samplings))]
    public void Build_TestPrompts_NeverOverlapTraining(string name, ArithmeticDataConfig data)
    {
        ArithmeticDataset d = Build(data);

        var train = d.Train.ToHashSet();
        Assert.True(d.Test.Count > 0, name);
        Assert.DoesNotContain(d.Test, train.Contains);
        Assert.DoesNotContain(d.ExcludedTest, train.Contains);
        Assert.Equal(d.Test.Count, d.Test.Distinct().Count());
    }

    [Fact]
    public void Build_Excluded_NumbersNeverAppearInTraining_AndAreTested()
    {
        ArithmeticDataset d = Build(new ArithmeticDataConfig { TrainSize = 4000, TestSize = 300, Excluded = [5, 17, 52] });

        long[] excluded = [5, 17, 52];
        Assert.DoesNotContain(d.Train, p => excluded.Contains(p.A) || excluded.Contains(p.B));
        Assert.Equal(300, d.ExcludedTest.Count);
        Assert.All(d.ExcludedTest, p => Assert.True(excluded.Contains(p.A) || excluded.Contains(p.B)));
    }

    [Fact]
    public void Build_Lengths_TestsOnlyUntrainedPairsPerLength()
    {
        ArithmeticDataset d = Build(new ArithmeticDataConfig
        {
            Sampling = "lengths",
            Digits = 3,
            TrainSize = 3000,
            TrainLengths = [1, 3],
            TestLengths = [1, 2, 3, 4],
            TestPerLength = 100,
        });

        Assert.All(d.Train, p => Assert.True(p.Digits is 1 or 3));
        var perLength = d.Test.GroupBy(p => p.Digits).ToDictionary(g => g.Key, g => g.Count());
        Assert.False(perLength.ContainsKey(1));          // every 1-digit pair is a training example
        Assert.Equal(100, perLength[2]);
        Assert.Equal(100, perLength[4]);
        Assert.InRange(perLength[3], 90, 100);            // minus the few 3-digit pairs that happen to be in training
    }

    [Fact]
    public void Build_Stream_IsTheShuffledConcatenationOfTrainingExamples()
    {
        ArithmeticDataset d = Build(new ArithmeticDataConfig { TrainSize = 500, TestSize = 10 });

        string stream = d.Tokenizer.Decode(d.StreamTokens);
        Assert.Equal(d.Train.Sum(p => d.Format.Example(p).Length), stream.Length);
        Assert.Equal(d.Train.Select(d.Format.Example).Order(StringComparer.Ordinal),
            stream.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(e => e + "\n").Order(StringComparer.Ordinal));
        Assert.NotEqual(string.Concat(d.Train.Select(d.Format.Example)), stream);
    }

    [Fact]
    public void Build_CustomTokenizer_HasOnlyTheCharactersOfTheTask()
    {
        ArithmeticDataset d = Build(new ArithmeticDataConfig { Format = "plain", TrainSize = 500, TestSize = 10, Tokenizer = "custom" });

        Assert.Equal(13, d.Tokenizer.VocabSize);      // newline, '+', '=' and ten digits (spec §2.3)
    }

    [Fact]
    public void Build_FewShot_PutsSolvedExamplesBeforeThePrompt()
    {
        var config = new ArithmeticConfig { Data = new ArithmeticDataConfig { Format = "plain", TrainSize = 500, TestSize = 10 }, Eval = new ArithmeticEvalConfig { FewShot = 2 } };
        ArithmeticDataset d = ArithmeticDataset.Build(config);

        Problem p = d.Test[0];
        string prompt = d.Prompt(p);
        Assert.EndsWith(d.Format.Prompt(p), prompt, StringComparison.Ordinal);
        Assert.Equal(2, prompt[..^d.Format.Prompt(p).Length].Count(c => c == '\n'));
        Assert.Equal(prompt, d.Prompt(p));            // deterministic
    }

    [Fact]
    public void Build_WithFortunes_MixesTextIntoTheStreamAtTheRequestedShare()
    {
        if (!RequireInstalled(output, Directory.Exists(FortunesReader.DefaultDir), "The fortunes database", "fortunes"))
        {
            return;
        }

        ArithmeticDataset d = Build(new ArithmeticDataConfig { TrainSize = 2000, TestSize = 10, Text = "fortunes", TextFraction = 0.5 });

        string stream = d.Tokenizer.Decode(d.StreamTokens);
        int arithmetic = d.Train.Sum(p => d.Format.Example(p).Length);
        Assert.InRange((double)(stream.Length - arithmetic) / stream.Length, 0.45, 0.55);
        Assert.All(d.Train.Take(50), p => Assert.Contains(d.Format.Example(p), stream));
    }
}
