using Tessera.Data;

namespace Tessera.Tests.Data;

public sealed class LeafShakespeareReaderTests : TempDirTest
{
    private static string X1 { get; } = new('a', 80);
    private static string X2 { get; } = new string('b', 79) + " ";

    private static string Json(string users, string numSamples, string userData) =>
        $"{{\"users\": [{users}], \"num_samples\": [{numSamples}], \"user_data\": {{{userData}}}}}";

    private string WriteValid()
    {
        WriteText("train/all_data_0_train.json", Json("\"ROMEO\", \"JULIET\"", "2, 1",
            $"\"ROMEO\": {{\"x\": [\"{X1}\", \"{X2}\"], \"y\": [\"b\", \"c\"]}}, " +
            $"\"JULIET\": {{\"x\": [\"{X2}\"], \"y\": [\"!\"]}}"));
        return WriteText("test/all_data_0_test.json", Json("\"ROMEO\", \"NURSE\"", "1, 1",
            $"\"ROMEO\": {{\"x\": [\"{X2}\"], \"y\": [\"d\"]}}, \"NURSE\": {{\"x\": [\"{X1}\"], \"y\": [\"e\"]}}"));
    }

    [Fact]
    public void Load_ValidFiles_MergesTrainAndTestPerUser()
    {
        WriteValid();

        IReadOnlyList<ShakespeareClient> clients = LeafShakespeareReader.Load(Dir);

        Assert.Equal(["ROMEO", "JULIET", "NURSE"], clients.Select(c => c.Name));
        Assert.Equal([new ShakespeareSample(X1, "b"), new ShakespeareSample(X2, "c")], clients[0].Train);
        Assert.Equal([new ShakespeareSample(X2, "d")], clients[0].Test);
        Assert.Equal([new ShakespeareSample(X2, "!")], clients[1].Train);
        Assert.Empty(clients[1].Test);
        Assert.Empty(clients[2].Train);
        Assert.Equal("e", clients[2].Test[0].Y);
    }

    [Fact]
    public void Load_MissingFolders_NamesBoth()
    {
        var e = Assert.Throws<InputException>(() => LeafShakespeareReader.Load(Dir));

        Assert.Contains(Path.Combine(Dir, "train"), e.Message);
        Assert.Contains(Path.Combine(Dir, "test"), e.Message);
        Assert.Contains("preprocess.sh", e.Message);
    }

    [Fact]
    public void Load_InvalidJson_NamesFile()
    {
        WriteValid();
        string bad = WriteText("train/broken.json", "{\"users\": [\"A\",");

        var e = Assert.Throws<InputException>(() => LeafShakespeareReader.Load(Dir));

        Assert.Contains(bad, e.Message);
        Assert.Contains("not valid JSON", e.Message);
    }

    [Theory]
    [InlineData("{\"users\": [\"A\"], \"num_samples\": [1]}", "field user_data is missing")]
    [InlineData("{\"users\": \"A\", \"num_samples\": [1], \"user_data\": {}}", "field users must be an array")]
    [InlineData("{\"users\": [\"A\"], \"num_samples\": [1, 2], \"user_data\": {}}", "field num_samples has 2 entries")]
    [InlineData("{\"users\": [\"A\"], \"num_samples\": [1], \"user_data\": {}}", "field user_data[\"A\"] is missing")]
    [InlineData("{\"users\": [\"A\"], \"num_samples\": [1], \"user_data\": {\"A\": {\"x\": [\"q\"], \"y\": [7]}}}",
        "field user_data[\"A\"].y[0] must be a string")]
    [InlineData("{\"users\": [\"A\"], \"num_samples\": [2], \"user_data\": {\"A\": {\"x\": [\"q\"], \"y\": [\"r\"]}}}",
        "num_samples[0] says 2")]
    [InlineData("{\"users\": [\"A\"], \"num_samples\": [1], \"user_data\": {\"A\": {\"y\": [\"r\"]}}}",
        "field user_data[\"A\"].x is missing")]
    public void Load_MalformedField_NamesFileAndField(string json, string expected)
    {
        WriteValid();
        string bad = WriteText("test/zz_bad.json", json);

        var e = Assert.Throws<InputException>(() => LeafShakespeareReader.Load(Dir));

        Assert.Contains(bad, e.Message);
        Assert.Contains(expected, e.Message);
    }
}
