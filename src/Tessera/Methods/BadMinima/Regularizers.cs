using System.Globalization;
using Tessera.Data;

namespace Tessera.Methods.BadMinima;

/// <summary>Changes a batch of raw [0, 1] training images (N, C, H, W) before normalisation; draws its randomness
/// from <c>generator</c> (seeded per step, identical for both inits of a setting).</summary>
public delegate Tensor BatchAugmentation(Tensor rawImages, Generator generator);

/// <summary>A term added to the phase-2 training loss (e.g. a norm of the weights); must be differentiable.</summary>
public delegate Tensor LossPenalty(nn.Module<Tensor, Tensor> model);

/// <summary>How phase 2 trains: SGD with this momentum and coupled weight decay (PyTorch semantics: g ← ∇L + wd·θ,
/// v ← μ·v + g, θ ← θ − lr·v, on every parameter), augmentations applied in order to each training batch, and extra
/// loss terms. The empty recipe is vanilla SGD.</summary>
public sealed record TrainingRecipe
{
    public double Momentum { get; init; }

    public double WeightDecay { get; init; }

    public IReadOnlyList<BatchAugmentation> Augmentations { get; init; } = [];

    public IReadOnlyList<LossPenalty> Penalties { get; init; } = [];
}

/// <summary>Adds one explicit regularizer to a recipe. <paramref name="strength"/> is the number written after '='
/// in the setting (<c>l2=0.05</c>), null when none was given; <paramref name="phase2"/> holds the defaults.</summary>
public delegate TrainingRecipe Regularizer(TrainingRecipe recipe, double? strength, Phase2Config phase2);

/// <summary>One regularizer of a setting, with its optional strength.</summary>
public sealed record RegularizerTerm(string Name, double? Strength)
{
    public override string ToString() =>
        Strength is { } s ? $"{Name}={s.ToString("R", CultureInfo.InvariantCulture)}" : Name;
}

/// <summary>A grid setting: a set of regularizers ("vanilla" is the empty set).</summary>
public sealed record Setting(string Text, IReadOnlyList<RegularizerTerm> Terms)
{
    /// <summary>"vanilla", or the terms sorted by name and joined with '+' (so "all" is "da+l2+mom").</summary>
    public string Canonical => Terms.Count == 0 ? "vanilla" : string.Join('+', Terms.OrderBy(t => t.Name, StringComparer.Ordinal));

    /// <summary>The folder name of the setting's cells: the setting as written, '=' → '-', '+' → '_'.</summary>
    public string DirName => Text.Replace('=', '-').Replace('+', '_');

    /// <summary>Settings are equal when written the same way (the text determines the terms).</summary>
    public bool Equals(Setting? other) => other is not null && Text == other.Text;

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Text);
}

/// <summary>
/// The explicit regularizers a grid setting can combine. Built in (spec §2.4/§6.1): <c>da</c> (random crop after
/// padding by phase2.cropPadding with the raw background value 0, then a horizontal flip with
/// phase2.flipProbability, per sample each time it is drawn), <c>l2</c> (coupled weight decay, phase2.weightDecay or
/// <c>l2=value</c>), <c>mom</c> (momentum, phase2.momentum or <c>mom=value</c>). Add your own with <see cref="With"/>
/// and pass the catalog to <see cref="BadMinimaExperiment(RegularizerCatalog)"/>.
/// </summary>
public sealed class RegularizerCatalog
{
    private readonly IReadOnlyDictionary<string, Regularizer> _byName;

    private RegularizerCatalog(IReadOnlyDictionary<string, Regularizer> byName) => _byName = byName;

    /// <summary>da, l2 and mom.</summary>
    public static RegularizerCatalog Default { get; } = new(new Dictionary<string, Regularizer>(StringComparer.Ordinal)
    {
        ["da"] = DataAugmentation,
        ["l2"] = (recipe, strength, p) => recipe with { WeightDecay = NonNegative("l2", strength ?? p.WeightDecay) },
        ["mom"] = (recipe, strength, p) => recipe with { Momentum = NonNegative("mom", strength ?? p.Momentum) },
    });

    /// <summary>The names a setting may use, sorted.</summary>
    public IReadOnlyList<string> Names => _byName.Keys.Order(StringComparer.Ordinal).ToArray();

    /// <summary>A catalog with one more regularizer (or <paramref name="name"/> replaced).</summary>
    public RegularizerCatalog With(string name, Regularizer regularizer)
    {
        ArgumentNullException.ThrowIfNull(regularizer);
        if (string.IsNullOrEmpty(name) || !name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-') || name is "vanilla" or "all")
        {
            throw new ArgumentException($"A regularizer name uses lower-case letters, digits and '-', and is not 'vanilla' or 'all' (got '{name}').", nameof(name));
        }
        return new RegularizerCatalog(new Dictionary<string, Regularizer>(_byName, StringComparer.Ordinal) { [name] = regularizer });
    }

    /// <summary>Parses "vanilla", "all" (= da+l2+mom) or "name[=strength]+name[=strength]...".</summary>
    /// <exception cref="InputException">Unknown name, repeated name or malformed strength (names grid.settings).</exception>
    public Setting Parse(string text)
    {
        string trimmed = (text ?? "").Trim().ToLowerInvariant();
        if (trimmed == "vanilla")
        {
            return new Setting(trimmed, []);
        }
        string expanded = trimmed == "all" ? "da+l2+mom" : trimmed;
        var terms = new List<RegularizerTerm>();
        foreach (string token in expanded.Split('+', StringSplitOptions.TrimEntries))
        {
            string[] parts = token.Split('=', 2, StringSplitOptions.TrimEntries);
            if (!_byName.ContainsKey(parts[0]))
            {
                throw new InputException($"grid.settings: '{text}' uses '{parts[0]}', which is not a regularizer. Use 'vanilla', 'all', or " +
                    $"'+'-joined names of: {string.Join(", ", Names)} (each optionally name=strength, e.g. l2=0.05).");
            }
            double? strength = null;
            if (parts.Length == 2)
            {
                strength = double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && double.IsFinite(v)
                    ? v
                    : throw new InputException($"grid.settings: '{text}': the strength of '{parts[0]}' must be a number (got '{parts[1]}').");
            }
            if (terms.Any(t => t.Name == parts[0]))
            {
                throw new InputException($"grid.settings: '{text}' names '{parts[0]}' twice.");
            }
            terms.Add(new RegularizerTerm(parts[0], strength));
        }
        return new Setting(trimmed, terms);
    }

    /// <summary>Parses every setting of the grid; two settings may not share a folder name.</summary>
    public IReadOnlyList<Setting> ParseAll(IEnumerable<string> settings)
    {
        Setting[] parsed = settings.Select(Parse).ToArray();
        string? duplicate = parsed.GroupBy(s => s.DirName).FirstOrDefault(g => g.Count() > 1)?.Key;
        if (duplicate is not null)
        {
            throw new InputException($"grid.settings lists '{duplicate}' twice.");
        }
        return parsed;
    }

    /// <summary>The vanilla recipe with every term of <paramref name="setting"/> applied in order.</summary>
    public TrainingRecipe Recipe(Setting setting, Phase2Config phase2) =>
        setting.Terms.Aggregate(new TrainingRecipe(), (recipe, term) => _byName[term.Name](recipe, term.Strength, phase2));

    private static TrainingRecipe DataAugmentation(TrainingRecipe recipe, double? strength, Phase2Config p)
    {
        if (strength is not null)
        {
            throw new InputException("grid.settings: 'da' takes no strength; set phase2.cropPadding and phase2.flipProbability instead.");
        }
        int padding = p.CropPadding;
        double flip = p.FlipProbability;
        BatchAugmentation augment = (x, g) =>
        {
            using var scope = torch.NewDisposeScope();
            Tensor cropped = ImageBatches.RandomCropWithPadding(x, padding, g);   // pads with 0 = the raw background
            return ImageBatches.RandomHorizontalFlip(cropped, flip, g).MoveToOuterDisposeScope();
        };
        return recipe with { Augmentations = [.. recipe.Augmentations, augment] };
    }

    private static double NonNegative(string name, double value) =>
        value >= 0 ? value : throw new InputException($"grid.settings: the strength of '{name}' must be >= 0 (got {value}).");
}
