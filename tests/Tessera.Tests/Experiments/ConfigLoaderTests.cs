using System.Text.Json.Nodes;
using CsCheck;
using Tessera.Experiments;

namespace Tessera.Tests.Experiments;

public sealed class ConfigLoaderTests
{
    public sealed record Inner
    {
        public double Lr { get; init; } = 1e-3;

        public string Name { get; init; } = "adam";

        public int[] Sizes { get; init; } = [1, 2];
    }

    public sealed record Root : IRunConfig, IValidatable
    {
        public long Seed { get; init; } = 7;

        public int Threads { get; init; } = 2;

        public bool Flag { get; init; }

        public string? Path { get; init; }

        public Inner Train { get; init; } = new();

        public void Validate()
        {
            if (Train.Lr <= 0)
            {
                throw new InputException("train.lr must be positive.");
            }
        }
    }

    private static ConfigLayer Layer(string json) => ConfigLoader.Parse(json, "test.json");

    [Fact]
    public void Load_NoLayers_GivesDefaults()
    {
        Root config = ConfigLoader.Load<Root>([], []);
        Assert.Equal(ConfigLoader.ToJson(new Root()), ConfigLoader.ToJson(config));
        Assert.Equal(7, config.Seed);
        Assert.Equal([1, 2], config.Train.Sizes);
    }

    [Fact]
    public void Load_LayersThenOverrides_AppliedInOrder()
    {
        Root config = ConfigLoader.Load<Root>(
            [Layer("""{ "seed": 1, "train": { "lr": 0.5 } } // comment"""), Layer("""{ "train": { "name": "sgd", }, }""")],
            ["train.lr=3e-4", "flag=true", "train.sizes=[4,5,6]", "path=/x y", "seed=42"]);

        Assert.Equal(42, config.Seed);
        Assert.Equal(3e-4, config.Train.Lr);
        Assert.Equal("sgd", config.Train.Name);
        Assert.True(config.Flag);
        Assert.Equal([4, 5, 6], config.Train.Sizes);
        Assert.Equal("/x y", config.Path);
    }

    [Fact]
    public void Override_StringFieldWithNumericText_StaysAString()
    {
        Root config = ConfigLoader.Load<Root>([], ["train.name=123"]);
        Assert.Equal("123", config.Train.Name);
    }

    [Theory]
    [InlineData("""{ "train": { "lrr": 1 } }""", "train.lrr")]
    [InlineData("""{ "bogus": 1 }""", "bogus")]
    public void Load_UnknownKeyInFile_NamesThePath(string json, string path)
    {
        var e = Assert.Throws<InputException>(() => ConfigLoader.Load<Root>([Layer(json)], []));
        Assert.Contains($"'{path}'", e.Message);
        Assert.Contains("test.json", e.Message);
    }

    [Theory]
    [InlineData("train.lrr=1", "train.lrr")]
    [InlineData("nope.lr=1", "nope")]
    public void Override_UnknownKey_NamesThePathAndKnownKeys(string assignment, string path)
    {
        var e = Assert.Throws<InputException>(() => ConfigLoader.Load<Root>([], [assignment]));
        Assert.Contains($"'{path}'", e.Message);
        Assert.Contains("Keys in", e.Message);
    }

    [Theory]
    [InlineData("train.lr=fast", "train.lr")]
    [InlineData("threads=2.5", "threads")]
    [InlineData("flag=maybe", "flag")]
    public void Override_WrongType_NamesThePath(string assignment, string path)
    {
        var e = Assert.Throws<InputException>(() => ConfigLoader.Load<Root>([], [assignment]));
        Assert.Contains($"'{path}'", e.Message);
    }

    [Fact]
    public void Override_Section_IsRejected()
    {
        var e = Assert.Throws<InputException>(() => ConfigLoader.Load<Root>([], ["train=1"]));
        Assert.Contains("section", e.Message);
    }

    [Fact]
    public void Override_WithoutEquals_IsRejected()
    {
        Assert.Throws<InputException>(() => ConfigLoader.Load<Root>([], ["train.lr"]));
    }

    [Fact]
    public void Load_InvalidValue_ValidateNamesTheKey()
    {
        var e = Assert.Throws<InputException>(() => ConfigLoader.Load<Root>([], ["train.lr=-1"]));
        Assert.Contains("train.lr", e.Message);
    }

    [Fact]
    public void Parse_MalformedJson_NamesTheSource()
    {
        var e = Assert.Throws<InputException>(() => ConfigLoader.Parse("{ \"seed\": ", "bad.json"));
        Assert.Contains("bad.json", e.Message);
    }

    [Fact]
    public void ToJson_ThenBind_RoundTrips()
    {
        Root config = ConfigLoader.Load<Root>([], ["train.lr=0.25", "flag=true", "path=p"]);

        string json = ConfigLoader.ToJson(config);
        Root back = ConfigLoader.Bind<Root>(JsonNode.Parse(json)!, "config.json");

        Assert.Equal(json, ConfigLoader.ToJson(back));
        Assert.Contains("\"lr\": 0.25", json);
    }

    [Fact]
    public void Override_ThenSerialise_RoundTripsForAnyDouble()
    {
        Gen.Double[1e-9, 1e6].Sample(lr =>
        {
            string text = lr.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
            Root config = ConfigLoader.Load<Root>([], [$"train.lr={text}"]);
            Root back = ConfigLoader.Bind<Root>(JsonNode.Parse(ConfigLoader.ToJson(config))!, "x");
            return back.Train.Lr == lr;
        }, threads: 1, iter: 200);
    }
}
