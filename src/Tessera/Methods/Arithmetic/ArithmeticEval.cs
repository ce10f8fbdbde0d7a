using Tessera.Nn;
using Tessera.Training;

namespace Tessera.Methods.Arithmetic;

/// <summary>One scored prompt.</summary>
public sealed record ScoredPrompt(Problem Problem, string Prompt, string Generated, string? Answer, bool Correct);

/// <summary>Exact-match accuracy of a set of prompts, with the breakdowns the paper reports.</summary>
public sealed record ArithmeticScore(IReadOnlyList<ScoredPrompt> Items)
{
    public double Accuracy => Items.Count == 0 ? 0 : (double)Items.Count(i => i.Correct) / Items.Count;

    /// <summary>Share of generations from which the format's parser could extract an answer.</summary>
    public double Parsed => Items.Count == 0 ? 0 : (double)Items.Count(i => i.Answer is not null) / Items.Count;

    public IReadOnlyDictionary<int, (double Accuracy, int Count)> By(Func<Problem, int> key) =>
        Items.GroupBy(i => key(i.Problem)).OrderBy(g => g.Key)
            .ToDictionary(g => g.Key, g => ((double)g.Count(i => i.Correct) / g.Count(), g.Count()));
}

/// <summary>
/// Greedy (or sampled) autoregressive decoding of test prompts and exact-match scoring (spec §2.6). Prompts start
/// at position 0 with nothing before them; they are batched by equal token length, so no padding shifts positions.
/// A batch stops early once every row's answer is complete (appending text no longer changes what the parser reads).
/// </summary>
public static class ArithmeticEval
{
    public static ArithmeticScore Score(GptModel model, CharTokenizer tokenizer, IArithmeticFormat format,
        IReadOnlyList<Problem> problems, Func<Problem, string> prompt, ArithmeticEvalConfig options, int digits, long seed = 0)
    {
        bool wasTraining = model.training;
        model.eval();
        int blockSize = model.Config.BlockSize;
        // Context cropped to the last BlockSize tokens (spec §2.6); logits of the last position: (B, V).
        ArithmeticScore score = Score(context => model.call(context.shape[1] <= blockSize ? context
                : context.narrow(1, context.shape[1] - blockSize, blockSize)).select(1, -1),
            tokenizer, format, problems, prompt, options, digits, seed);
        model.train(wasTraining);
        return score;
    }

    /// <summary>Scores any next-token predictor: <paramref name="nextLogits"/> maps the token ids so far (B, T) to
    /// the logits of the next token (B, V).</summary>
    public static ArithmeticScore Score(Func<Tensor, Tensor> nextLogits, CharTokenizer tokenizer, IArithmeticFormat format,
        IReadOnlyList<Problem> problems, Func<Problem, string> prompt, ArithmeticEvalConfig options, int digits, long seed = 0)
    {
        using var noGrad = torch.no_grad();
        var results = new ScoredPrompt[problems.Count];
        var byLength = Enumerable.Range(0, problems.Count).Select(i => (Index: i, Prompt: prompt(problems[i])))
            .GroupBy(p => p.Prompt.Length);
        int maxNew = format.MaxNewTokens(digits);
        using var generator = options.Temperature > 0 ? new Generator((ulong)seed) : null;
        foreach (var group in byLength)
        {
            foreach (var chunk in group.Chunk(options.BatchSize))
            {
                string[] generated = Decode(nextLogits, tokenizer, format, chunk.Select(c => c.Prompt).ToArray(), maxNew, options, generator);
                for (int j = 0; j < chunk.Length; j++)
                {
                    Problem p = problems[chunk[j].Index];
                    string? answer = format.Answer(generated[j]);
                    results[chunk[j].Index] = new ScoredPrompt(p, chunk[j].Prompt, generated[j], answer,
                        ArithmeticFormats.IsCorrect(format, p, answer, options.Tolerance));
                }
            }
        }
        return new ArithmeticScore(results);
    }

    /// <summary>Continues equal-length prompts token by token; returns the generated text of each row.</summary>
    private static string[] Decode(Func<Tensor, Tensor> nextLogits, CharTokenizer tokenizer, IArithmeticFormat format, string[] prompts,
        int maxNewTokens, ArithmeticEvalConfig options, Generator? generator)
    {
        using var scope = torch.NewDisposeScope();
        int rows = prompts.Length;
        long[] flat = prompts.SelectMany(tokenizer.Encode).ToArray();
        Tensor seq = torch.tensor(flat, [rows, flat.Length / rows]);                   // (B, T)
        var newTokens = new List<long[]>();
        for (int i = 0; i < maxNewTokens; i++)
        {
            TorchGc.SafePoint();
            Tensor logits = nextLogits(seq);                                             // (B, V)
            Tensor next = options.Temperature == 0 ? logits.argmax(-1) : Sample(logits, options, generator!);  // (B)
            newTokens.Add(next.data<long>().ToArray());
            seq = torch.cat([seq, next.unsqueeze(1)], dim: 1);
            scope.DisposeEverythingBut(seq);
            if ((i + 1) % 4 == 0 && AllComplete(format, Texts(tokenizer, newTokens, rows)))
            {
                break;
            }
        }
        return Texts(tokenizer, newTokens, rows);
    }

    /// <summary>An answer is complete when more text would not change what the parser extracts. Two different
    /// digits are tried because parsers normalise numbers (a leading or trailing 0 can vanish).</summary>
    internal static bool AllComplete(IArithmeticFormat format, string[] generated) =>
        generated.All(g => format.Answer(g) is { } a && format.Answer(g + "1\n") == a && format.Answer(g + "8\n") == a);

    private static string[] Texts(CharTokenizer tokenizer, List<long[]> steps, int rows)
    {
        var texts = new string[rows];
        var ids = new long[steps.Count];
        for (int r = 0; r < rows; r++)
        {
            for (int s = 0; s < steps.Count; s++)
            {
                ids[s] = steps[s][r];
            }
            texts[r] = tokenizer.Decode(ids);
        }
        return texts;
    }

    private static Tensor Sample(Tensor logits, ArithmeticEvalConfig options, Generator generator)
    {
        Tensor scaled = logits / options.Temperature;
        if (options.TopK is { } k && k < scaled.shape[1])
        {
            Tensor kth = scaled.topk(k, dim: -1).values.select(1, -1).unsqueeze(1);
            scaled = scaled.masked_fill(scaled < kth, double.NegativeInfinity);
        }
        return torch.multinomial(nn.functional.softmax(scaled, dim: -1), 1, generator: generator).squeeze(1);
    }
}
