using Tessera.Methods.BadMinima;

namespace Tessera.Tests.Methods.BadMinima;

public sealed class RegularizersTests
{
    private static readonly RegularizerCatalog Catalog = RegularizerCatalog.Default;

    private static readonly Phase2Config Phase2 = new() { Momentum = 0.9, WeightDecay = 5e-4, CropPadding = 2, FlipProbability = 0.5 };

    [Theory]
    [InlineData("vanilla", "vanilla", "vanilla")]
    [InlineData("all", "da+l2+mom", "all")]
    [InlineData(" MOM ", "mom", "mom")]
    [InlineData("mom+da", "da+mom", "mom_da")]
    [InlineData("l2=0.05", "l2=0.05", "l2-0.05")]
    [InlineData("da+l2=0.05+mom", "da+l2=0.05+mom", "da_l2-0.05_mom")]
    public void Parse_Setting_CanonicalFormAndFolder(string text, string canonical, string dir)
    {
        Setting s = Catalog.Parse(text);

        Assert.Equal(canonical, s.Canonical);
        Assert.Equal(dir, s.DirName);
    }

    [Fact]
    public void Setting_ParsedTwice_IsEqual_OtherTextIsNot()
    {
        Assert.Equal(Catalog.Parse("da+mom"), Catalog.Parse("da+mom"));
        Assert.Equal(Catalog.Parse("da+mom").GetHashCode(), Catalog.Parse(" DA+MOM ").GetHashCode());
        Assert.NotEqual(Catalog.Parse("da+mom"), Catalog.Parse("mom+da"));
    }

    [Theory]
    [InlineData("vanilla", 0, 0, 0)]
    [InlineData("l2", 0, 5e-4, 0)]
    [InlineData("l2=0.05", 0, 0.05, 0)]
    [InlineData("mom", 0.9, 0, 0)]
    [InlineData("mom=0.5", 0.5, 0, 0)]
    [InlineData("da", 0, 0, 1)]
    [InlineData("all", 0.9, 5e-4, 1)]
    public void Recipe_Setting_SetsMomentumDecayAndAugmentation(string text, double momentum, double decay, int augmentations)
    {
        TrainingRecipe r = Catalog.Recipe(Catalog.Parse(text), Phase2);

        Assert.Equal(momentum, r.Momentum);
        Assert.Equal(decay, r.WeightDecay);
        Assert.Equal(augmentations, r.Augmentations.Count);
        Assert.Empty(r.Penalties);
    }

    [Theory]
    [InlineData("dropout", "dropout")]
    [InlineData("l2+l2", "twice")]
    [InlineData("l2=fast", "must be a number")]
    [InlineData("da=1", "takes no strength")]
    [InlineData("", "not a regularizer")]
    public void Parse_BadSetting_ThrowsInputExceptionNamingGridSettings(string text, string message)
    {
        var e = Assert.Throws<InputException>(() => Catalog.Recipe(Catalog.Parse(text), Phase2));

        Assert.Contains("grid.settings", e.Message, StringComparison.Ordinal);
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Recipe_NegativeStrength_ThrowsInputException()
    {
        Assert.Throws<InputException>(() => Catalog.Recipe(Catalog.Parse("mom=-0.1"), Phase2));
    }

    [Fact]
    public void ParseAll_TwoSettingsSameFolder_ThrowsInputException()
    {
        var e = Assert.Throws<InputException>(() => Catalog.ParseAll(["vanilla", "mom", "MOM"]));

        Assert.Contains("'mom' twice", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void With_CustomRegularizer_IsParsedAndApplied_AndTheDefaultIsUnchanged()
    {
        // Given: a user's L1 penalty λ·Σ|θ| with λ from the setting ("l1=0.001")
        RegularizerCatalog catalog = Catalog.With("l1", (recipe, strength, _) => recipe with
        {
            Penalties = [.. recipe.Penalties, model => model.parameters().Select(p => p.abs().sum()).Aggregate((a, b) => a + b) * (strength ?? 1e-4)],
        });

        // When
        TrainingRecipe r = catalog.Recipe(catalog.Parse("l1=0.001+mom"), Phase2);

        // Then
        Assert.Single(r.Penalties);
        Assert.Equal(0.9, r.Momentum);
        Assert.Equal(["da", "l1", "l2", "mom"], catalog.Names);
        Assert.Equal(["da", "l2", "mom"], Catalog.Names);
        Assert.Throws<ArgumentException>(() => Catalog.With("all", (r2, _, _) => r2));
    }

    [Fact]
    public void DataAugmentation_PadsWithTheRawBackgroundZero_AndOnlyShiftsOrFlips()
    {
        // Given: raw images of ones (6×6). A crop after zero padding by 2 keeps a (6−|dy|)×(6−|dx|) block of ones and
        // fills the rest with the raw background 0 (spec §8 item 9: normalised later, 0 becomes −mean/std).
        using var scope = torch.NewDisposeScope();
        BatchAugmentation augment = Catalog.Recipe(Catalog.Parse("da"), Phase2).Augmentations.Single();
        using var g = new Generator(5);

        // When
        Tensor y = augment(torch.ones(200, 1, 6, 6), g);

        // Then
        float[] values = y.data<float>().ToArray();
        Assert.All(values, v => Assert.True(v is 0f or 1f));
        var sums = y.sum([1, 2, 3]).data<float>().ToArray();
        int[] allowed = [.. from dy in Enumerable.Range(0, 3) from dx in Enumerable.Range(0, 3) select (6 - dy) * (6 - dx)];
        Assert.All(sums, s => Assert.Contains((int)s, allowed));
        Assert.Contains(36f, sums);                  // some crops are not shifted
        Assert.Contains(16f, sums);                  // and some are shifted by 2 in both directions
    }

    [Fact]
    public void DataAugmentation_FlipsAboutHalfOfTheImages()
    {
        // Given: padding 0 (no shift), an image whose left column is 1: a flip moves it to the right column
        using var scope = torch.NewDisposeScope();
        BatchAugmentation augment = Catalog.Recipe(Catalog.Parse("da"), Phase2 with { CropPadding = 0 }).Augmentations.Single();
        Tensor x = torch.zeros(1000, 1, 3, 3);
        x[.., .., .., 0] = torch.tensor(1f);
        using var g = new Generator(9);

        Tensor y = augment(x, g);

        double flipped = y[.., 0, 0, 2].sum().item<float>() / 1000.0;
        Assert.InRange(flipped, 0.45, 0.55);
    }
}
