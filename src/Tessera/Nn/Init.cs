namespace Tessera.Nn;

/// <summary>Explicit initialisation policies, kept apart from the constructors (nanoGPT's <c>_init_weights</c>).</summary>
public static class Init
{
    /// <summary>GPT-2 init for a whole <see cref="GptModel"/>; see <see cref="Gpt2(nn.Module, int, Generator?)"/>.</summary>
    /// <param name="model">The model to initialise in place.</param>
    /// <param name="generator">Random source; null uses the global torch generator
    /// (seed it with <c>torch.random.manual_seed</c>).</param>
    public static void Gpt2(GptModel model, Generator? generator = null) =>
        Gpt2(model, model.Config.NLayer, generator);

    /// <summary>GPT-2 init of every submodule of <paramref name="module"/>, in place and without autograd:
    /// Linear and Embedding weights ~ N(0, 0.02), Linear biases 0, LayerNorm weight 1 and bias 0, then every
    /// residual output projection (a parameter named <c>*c_proj.weight</c>) re-drawn from
    /// N(0, 0.02/√(2·<paramref name="nLayer"/>)). Other module types are left as they are, so a model can apply
    /// this to its transformer backbone only.</summary>
    /// <param name="module">Root of the modules to initialise.</param>
    /// <param name="nLayer">Number of blocks in the stack, for the residual scaling.</param>
    /// <param name="generator">Random source; null uses the global torch generator.</param>
    public static void Gpt2(nn.Module module, int nLayer, Generator? generator = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(nLayer);
        const double std = 0.02;
        using var noGrad = torch.no_grad();
        foreach (var (_, m) in module.named_modules())
        {
            switch (m)
            {
                case Linear linear:
                    nn.init.normal_(linear.weight, 0.0, std, generator);
                    if (linear.bias is { } bias)
                    {
                        nn.init.zeros_(bias);
                    }

                    break;
                case Embedding embedding:
                    nn.init.normal_(embedding.weight, 0.0, std, generator);
                    break;
                case LayerNorm norm:
                    nn.init.ones_(norm.weight);
                    if (norm.bias is { } normBias)
                    {
                        nn.init.zeros_(normBias);
                    }

                    break;
            }
        }

        double residualStd = std / Math.Sqrt(2.0 * nLayer);
        foreach (var (name, p) in module.named_parameters())
        {
            if (name == "c_proj.weight" || name.EndsWith(".c_proj.weight", StringComparison.Ordinal))
            {
                nn.init.normal_(p, 0.0, residualStd, generator);
            }
        }
    }
}
