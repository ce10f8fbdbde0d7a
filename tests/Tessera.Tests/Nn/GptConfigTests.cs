using Tessera.Nn;

namespace Tessera.Tests.Nn;

public sealed class GptConfigTests
{
    [Fact]
    public void Validate_Defaults_Passes()
    {
        new GptConfig().Validate();
        new GptConfig(Dropout: 0.2, Bias: false, TiedHead: false).Validate();
    }

    public static TheoryData<GptConfig, string> Invalid => new()
    {
        { new GptConfig(BlockSize: 0), "model.blockSize" },
        { new GptConfig(VocabSize: -1), "model.vocabSize" },
        { new GptConfig(NLayer: 0), "model.nLayer" },
        { new GptConfig(NHead: 0), "model.nHead" },
        { new GptConfig(NEmbd: 0), "model.nEmbd" },
        { new GptConfig(NHead: 3, NEmbd: 128), "model.nEmbd must be divisible by model.nHead" },
        { new GptConfig(Dropout: 1.0), "model.dropout" },
        { new GptConfig(Dropout: -0.1), "model.dropout" },
        { new GptConfig(Dropout: double.NaN), "model.dropout" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Validate_InvalidField_ThrowsInputExceptionNamingIt(GptConfig cfg, string expected)
    {
        var ex = Assert.Throws<InputException>(cfg.Validate);

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GptModel_InvalidConfig_ThrowsInputException()
    {
        Assert.Throws<InputException>(() => new GptModel(new GptConfig(NHead: 3, NEmbd: 8)));
    }
}
