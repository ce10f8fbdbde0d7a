namespace Tessera.Methods.Arithmetic;

/// <summary>
/// The data sets of spec §2.1, §2.8, §2.9 and §6. Every set is a pure function of its arguments (seeded draws);
/// none of them reproduces the reference files bit for bit (those came from Python's Mersenne Twister), only their
/// procedure. Training sets may contain duplicates where the reference procedure allows them; held-out sets never
/// share a problem with the training set they are built against.
/// </summary>
public static class ArithmeticData
{
    /// <summary>sin inputs x ~ U(-π/2, π/2), sqrt inputs x ~ U(1, 10) (spec §2.1).</summary>
    public static (double Low, double High) Range(Operation op) => op switch
    {
        Operation.Sin => (-Math.PI / 2, Math.PI / 2),
        Operation.Sqrt => (1, 10),
        _ => throw new ArgumentOutOfRangeException(nameof(op), op, "Only sin and sqrt draw real inputs."),
    };

    /// <summary>Reduced-scale protocol (spec §6): all (10^digits)² pairs (a, b ∈ 0..10^digits−1) in a seeded random
    /// order; the first <paramref name="trainCount"/> are the training set, the next <paramref name="testCount"/> the
    /// test set — disjoint by construction, and for one seed the training sets of growing size are nested.</summary>
    public static (Problem[] Train, Problem[] Test) TableSplit(Operation op, int digits, int trainCount, int testCount, long seed)
    {
        RequireInteger(op, nameof(TableSplit));
        int size = TableSize(digits), total = size * size;
        if (trainCount < 0 || testCount < 0 || (long)trainCount + testCount > total)
        {
            throw new InputException(
                $"A {digits}-digit table has {total} pairs; {trainCount} training plus {testCount} test problems do not fit. Lower the counts.");
        }
        var cells = Enumerable.Range(0, total).ToArray();
        Rngs.PartialShuffle(Rngs.Create(seed, 0, "table-split"), cells, trainCount + testCount);
        Problem Cell(int c) => new(op, c / size, c % size);
        return (cells[..trainCount].Select(Cell).ToArray(), cells[trainCount..(trainCount + testCount)].Select(Cell).ToArray());
    }

    /// <summary>
    /// make_balanced of spec §2.1 for 2- or 3-digit addition (subtraction uses the same pairs): all 100 one-digit pairs
    /// (a-major), then floor(900N/10000) pairs with operands uniform in 0..99 and the rest uniform in 0..999 (for
    /// 2 digits: the rest uniform in 0..99), each draw kept only while its carry count is below ceil(N/(d+1)).
    /// Carries are counted by the addition identity for both operations. Duplicates are kept.
    /// For N=10000, d=3 the carry counts are exactly [2500, 2500, 2500, 2500].
    /// </summary>
    public static Problem[] Balanced(Operation op, int n, int digits, long seed)
    {
        if (op is not (Operation.Add or Operation.Subtract))
        {
            throw new InputException($"Balanced sampling is defined for addition and subtraction, not {op}; use Multiplication or SinSqrt.");
        }
        if (digits is not (2 or 3))
        {
            throw new InputException($"Balanced sampling supports 2 or 3 digits, got {digits}; use MultiDigit for longer operands.");
        }
        int q2 = digits == 3 ? (int)(900L * n / 10000) : n - 100;
        int[] quotas = digits == 3 ? [q2, n - 100 - q2] : [q2];
        if (quotas.Any(q => q < 0))
        {
            throw new InputException($"Balanced {digits}-digit sets need at least {(digits == 3 ? 110 : 100)} examples (all 100 one-digit pairs come first), got {n}.");
        }
        int cap = (n + digits) / (digits + 1);          // ceil(N/(d+1))
        var counts = new int[digits + 1];
        var result = new List<Problem>(n);
        for (int a = 0; a < 10; a++)
        {
            for (int b = 0; b < 10; b++)
            {
                result.Add(new Problem(op, a, b));
                counts[Problem.CarryCount(a, b)]++;
            }
        }
        var rng = Rngs.Create(seed, 0, "balanced");
        for (int bucket = 0; bucket < quotas.Length; bucket++)
        {
            int lo = bucket + 2, limit = TableSize(lo);
            for (int k = 0; k < quotas[bucket];)
            {
                if (counts.Take(lo + 1).All(c => c >= cap))
                {
                    throw new InputException(
                        $"Cannot balance {n} examples: every carry count reachable with {lo}-digit operands already has {cap} examples. Use a larger N.");
                }
                int a = rng.Next(limit), b = rng.Next(limit), c = Problem.CarryCount(a, b);
                if (counts[c] < cap)
                {
                    result.Add(new Problem(op, a, b));
                    counts[c]++;
                    k++;
                }
            }
        }
        return result.ToArray();
    }

    /// <summary>Smaller sets cut from a 3-digit balanced set (spec §2.1): its first 100 problems, a random
    /// floor(900n/10000) of problems 100..999 and a random rest from problems 1000 on (not re-balanced).</summary>
    public static Problem[] BalancedSubset(Problem[] full, int n, long seed)
    {
        int q2 = (int)(900L * n / 10000), rest = n - 100 - q2;
        if (full.Length < 1000 || rest < 0 || rest > full.Length - 1000)
        {
            throw new InputException(
                $"A subset of {n} needs a balanced set with 1000 + {Math.Max(rest, 0)} problems or more and n ≥ 110; the set has {full.Length}.");
        }
        var rng = Rngs.Create(seed, 0, "balanced-subset");
        var twoDigit = full[100..1000];
        var threeDigit = full[1000..];
        Rngs.PartialShuffle(rng, twoDigit, q2);
        Rngs.PartialShuffle(rng, threeDigit, rest);
        return [.. full[..100], .. twoDigit[..q2], .. threeDigit[..rest]];
    }

    /// <summary>Test problems disjoint from <paramref name="train"/> (spec §2.1, §8.5): every pair of the
    /// <paramref name="digits"/>-digit table (for sin/sqrt: every 1e-4 grid value of the input range) that is not in
    /// the training set, in seeded random order, the first <paramref name="count"/>.</summary>
    public static Problem[] HeldOut(Operation op, int digits, IEnumerable<Problem> train, int count, long seed)
    {
        var used = train.Select(Key).ToHashSet();
        long[] free;
        if (op.IsInteger())
        {
            int size = TableSize(digits);
            free = Enumerable.Range(0, size * size).Select(c => ((long)(c / size) << 32) | (uint)(c % size))
                .Where(k => !used.Contains(k)).ToArray();
        }
        else
        {
            var (lo, hi) = GridRange(op);
            free = Enumerable.Range(lo, hi - lo + 1).Select(k => (long)k).Where(k => !used.Contains(k)).ToArray();
        }
        if (count < 0 || count > free.Length)
        {
            throw new InputException($"Only {free.Length} {op} problems are not in the training set; {count} test problems were asked for.");
        }
        Rngs.PartialShuffle(Rngs.Create(seed, 0, "held-out"), free, count);
        return free[..count].Select(k => op.IsInteger() ? new Problem(op, k >> 32, (uint)k) : new Problem(op, 0, 0, k / 10000.0)).ToArray();
    }

    /// <summary>Multi-digit training set (spec §2.1): <see cref="OfLengths"/> with lengths 1..maxDigits — all 100
    /// one-digit pairs, then d = floor((N−100)/(n(n+1)/2−1)) and bucket L gets L·d problems (the remainder goes to
    /// bucket 2).</summary>
    public static Problem[] MultiDigit(Operation op, int maxDigits, int n, long seed) =>
        OfLengths(op, Enumerable.Range(1, Math.Max(maxDigits, 1)).ToArray(), n, seed);

    /// <summary>
    /// Problems whose operands both have lengths from <paramref name="lengths"/> (spec §2.9, e.g. {1, 3}). If 1 is a
    /// length, the 100 one-digit pairs come first; the other lengths L share the remaining problems in proportion to L
    /// (the rounding remainder goes to the shortest of them). Inside bucket L the longer operand has exactly L digits
    /// and the other exactly k digits, for each allowed k ≤ L in equal parts; operand order is swapped with p=0.5.
    /// "Exactly 1 digit" is 0..9, "exactly k ≥ 2 digits" is 10^(k−1)..10^k−1. Duplicates are allowed.
    /// </summary>
    public static Problem[] OfLengths(Operation op, IReadOnlyList<int> lengths, int n, long seed)
    {
        RequireInteger(op, nameof(OfLengths));
        int[] ls = lengths.Distinct().Order().ToArray();
        if (ls.Length == 0 || ls[0] < 1 || ls[^1] > 9)
        {
            throw new InputException($"Operand lengths must be 1..9 digits, got [{string.Join(", ", lengths)}].");
        }
        var result = new List<Problem>(n);
        if (ls[0] == 1)
        {
            if (n < 100)
            {
                throw new InputException($"Sets with one-digit operands start with all 100 one-digit pairs; {n} examples are too few.");
            }
            for (int a = 0; a < 10; a++)
            {
                for (int b = 0; b < 10; b++)
                {
                    result.Add(new Problem(op, a, b));
                }
            }
        }
        int[] longer = ls.Where(l => l > 1).ToArray();
        if (longer.Length == 0)
        {
            return result.ToArray();
        }
        int remaining = n - result.Count, unit = remaining / longer.Sum();
        int[] sizes = longer.Select(l => l * unit).ToArray();
        sizes[0] += remaining - sizes.Sum();
        var rng = Rngs.Create(seed, 0, "of-lengths");
        for (int bucket = 0; bucket < longer.Length; bucket++)
        {
            int len = longer[bucket];
            int[] others = ls.Where(l => l <= len).ToArray();
            for (int part = 0; part < others.Length; part++)
            {
                int partSize = (sizes[bucket] / others.Length) + (part < sizes[bucket] % others.Length ? 1 : 0);
                for (int i = 0; i < partSize; i++)
                {
                    long x = OfLength(rng, len), y = OfLength(rng, others[part]);
                    result.Add(rng.Next(2) == 0 ? new Problem(op, x, y) : new Problem(op, y, x));
                }
            }
        }
        return result.ToArray();
    }

    /// <summary>Per-length test prompts (spec §2.9): for each length L, <paramref name="countPerLength"/> problems
    /// whose longer operand has exactly L digits (a, b uniform in 0..10^L−1, redrawn while both are shorter). For L=1
    /// this is all 100 one-digit pairs when the count is at least 100, else a random subset of them.</summary>
    public static Problem[] PerLengthTest(Operation op, IEnumerable<int> lengths, int countPerLength, long seed)
    {
        RequireInteger(op, nameof(PerLengthTest));
        var result = new List<Problem>();
        foreach (int len in lengths.Distinct().Order())
        {
            var rng = Rngs.Create(seed, len, "per-length");
            if (len == 1)
            {
                var pairs = Enumerable.Range(0, 100).ToArray();
                int take = Math.Min(countPerLength, 100);
                Rngs.PartialShuffle(rng, pairs, take);
                result.AddRange((countPerLength >= 100 ? pairs.Order() : pairs[..take].AsEnumerable()).Select(c => new Problem(op, c / 10, c % 10)));
                continue;
            }
            long limit = (long)Math.Pow(10, len), shorter = limit / 10;
            for (int i = 0; i < countPerLength;)
            {
                long a = rng.NextInt64(limit), b = rng.NextInt64(limit);
                if (a >= shorter || b >= shorter)
                {
                    result.Add(new Problem(op, a, b));
                    i++;
                }
            }
        }
        return result.ToArray();
    }

    /// <summary>2-digit multiplication training set (spec §2.1): all 100 one-digit pairs, then random pairs from
    /// 0..99 that are not both below 10 (duplicates allowed). The test set is <see cref="HeldOut"/> with 2 digits.</summary>
    public static Problem[] Multiplication(int n, long seed)
    {
        if (n < 100)
        {
            throw new InputException($"The multiplication set starts with all 100 one-digit pairs; {n} examples are too few.");
        }
        var result = new List<Problem>(n);
        for (int a = 0; a < 10; a++)
        {
            for (int b = 0; b < 10; b++)
            {
                result.Add(new Problem(Operation.Multiply, a, b));
            }
        }
        var rng = Rngs.Create(seed, 0, "multiplication");
        while (result.Count < n)
        {
            int a = rng.Next(100), b = rng.Next(100);
            if (a >= 10 || b >= 10)
            {
                result.Add(new Problem(Operation.Multiply, a, b));
            }
        }
        return result.ToArray();
    }

    /// <summary>sin or sqrt training inputs (spec §2.1): x uniform on <see cref="Range"/>, floored once to 4 decimals
    /// with <see cref="FloatText.Floor4"/>. The test set is <see cref="HeldOut"/> (grid values not in training).</summary>
    public static Problem[] SinSqrt(Operation op, int n, long seed)
    {
        var (lo, hi) = Range(op);
        var rng = Rngs.Create(seed, 0, "sin-sqrt");
        return Enumerable.Range(0, n).Select(_ => new Problem(op, 0, 0, FloatText.Floor4(lo + ((hi - lo) * rng.NextDouble())))).ToArray();
    }

    /// <summary>
    /// Removes excluded numbers from a training set (spec §2.8): every operand equal to an excluded number gets one of
    /// its digits (chosen at random) redrawn — the leading digit of a multi-digit operand from 1–9, any other digit from
    /// 0–9 — until it is no longer excluded; its length never changes. Excluded numbers must lie in
    /// 0..10^<paramref name="digits"/>−1. Draws depend only on (seed, position in <paramref name="train"/>).
    /// </summary>
    public static Problem[] ExcludeNumbers(Problem[] train, IReadOnlyCollection<long> excluded, int digits, long seed)
    {
        long limit = TableSize(digits);
        var set = excluded.ToHashSet();
        if (set.Any(e => e < 0 || e >= limit))
        {
            throw new InputException($"Excluded numbers must be in 0..{limit - 1} for {digits}-digit data; got {set.First(e => e < 0 || e >= limit)}.");
        }
        for (int len = 1; len <= digits; len++)
        {
            long lo = len == 1 ? 0 : (long)Math.Pow(10, len - 1), hi = (long)Math.Pow(10, len);
            if (set.Count(e => e >= lo && e < hi) == hi - lo)
            {
                throw new InputException($"All {len}-digit numbers are excluded, so {len}-digit operands cannot be resampled.");
            }
        }
        var result = new Problem[train.Length];
        for (int i = 0; i < train.Length; i++)
        {
            var p = train[i];
            var rng = Rngs.Create(seed, i, "exclude");
            result[i] = set.Contains(p.A) || set.Contains(p.B)
                ? p with { A = Resample(p.A, set, rng), B = Resample(p.B, set, rng) }
                : p;
        }
        return result;
    }

    /// <summary>Test problems that contain at least one of <paramref name="numbers"/> as an operand (the other operand
    /// anywhere in 0..10^digits−1), distinct, in seeded random order — the evaluation of spec §2.8.</summary>
    public static Problem[] ContainingNumbers(Operation op, IReadOnlyCollection<long> numbers, int digits, int count, long seed)
    {
        RequireInteger(op, nameof(ContainingNumbers));
        int size = TableSize(digits);
        var set = numbers.Distinct().Order().ToArray();
        var pairs = new List<(long A, long B)>();
        foreach (long e in set)
        {
            for (long other = 0; other < size; other++)
            {
                pairs.Add((e, other));
                if (Array.BinarySearch(set, other) < 0)
                {
                    pairs.Add((other, e));
                }
            }
        }
        if (count < 0 || count > pairs.Count)
        {
            throw new InputException($"Only {pairs.Count} problems contain the given numbers; {count} were asked for.");
        }
        var all = pairs.ToArray();
        Rngs.PartialShuffle(Rngs.Create(seed, 0, "containing"), all, count);
        return all[..count].Select(t => new Problem(op, t.A, t.B)).ToArray();
    }

    private static long Resample(long operand, HashSet<long> excluded, Random rng)
    {
        int len = Problem.Length(operand);
        var digits = FormatDigits(operand);
        while (excluded.Contains(operand))
        {
            int i = rng.Next(len);
            digits[i] = i == 0 && len > 1 ? rng.Next(1, 10) : rng.Next(10);
            operand = digits.Aggregate(0L, (acc, d) => (acc * 10) + d);
        }
        return operand;
    }

    /// <summary>A uniform number with exactly <paramref name="len"/> digits (0..9 for one digit).</summary>
    private static long OfLength(Random rng, int len)
    {
        long hi = (long)Math.Pow(10, len), lo = len == 1 ? 0 : hi / 10;
        return rng.NextInt64(lo, hi);
    }

    private static int[] FormatDigits(long n) => n.ToString(System.Globalization.CultureInfo.InvariantCulture).Select(c => c - '0').ToArray();

    private static long Key(Problem p) => p.Op.IsInteger() ? (p.A << 32) | (uint)p.B : (long)Math.Round(p.X * 10000);

    /// <summary>The 1e-4 grid indices k (x = k/10⁴) that Floor4 can produce from the input range.</summary>
    private static (int Lo, int Hi) GridRange(Operation op)
    {
        var (lo, hi) = Range(op);
        return ((int)Math.Floor(lo * 10000), (int)Math.Ceiling(hi * 10000) - 1);
    }

    private static int TableSize(int digits)
    {
        if (digits is < 1 or > 3)
        {
            throw new InputException($"Operand tables are supported for 1 to 3 digits, got {digits}.");
        }
        return (int)Math.Pow(10, digits);
    }

    private static void RequireInteger(Operation op, string what)
    {
        if (!op.IsInteger())
        {
            throw new InputException($"{what} needs an integer operation (add, subtract, multiply), got {op}.");
        }
    }
}
