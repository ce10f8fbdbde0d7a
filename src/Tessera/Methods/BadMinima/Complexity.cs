namespace Tessera.Methods.BadMinima;

/// <summary>
/// Complexity measures of a trained network (spec §2.5): the ℓ2 norm of the trainable parameters (BatchNorm
/// running statistics are buffers, not counted), the distance to the starting point, and the ℓp path norm.
/// All sums are accumulated in float64.
/// </summary>
public static class Complexity
{
    /// <summary>‖θ‖₂ = sqrt(Σ θ²) over every parameter (weights, biases, BatchNorm γ and β).</summary>
    public static double ParameterNorm(nn.Module model)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        double sum = 0;
        foreach (Parameter p in model.parameters())
        {
            sum += p.to(ScalarType.Float64).square().sum().item<double>();
        }
        return Math.Sqrt(sum);
    }

    /// <summary>Detached copies of the parameters, in <c>parameters()</c> order (the reference for <see cref="Distance"/>).
    /// The caller owns them.</summary>
    public static Tensor[] Snapshot(nn.Module model)
    {
        using var noGrad = torch.no_grad();
        return model.parameters().Select(p => p.detach().clone().DetachFromDisposeScope()).ToArray();
    }

    /// <summary>‖θ − θ_ref‖₂ over the parameters, against a <see cref="Snapshot"/> of the same model.</summary>
    public static double Distance(nn.Module model, IReadOnlyList<Tensor> reference)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        Parameter[] parameters = model.parameters().ToArray();
        if (parameters.Length != reference.Count)
        {
            throw new ArgumentException($"The reference holds {reference.Count} tensors; the model has {parameters.Length} parameters.", nameof(reference));
        }
        double sum = 0;
        for (int i = 0; i < parameters.Length; i++)
        {
            sum += (parameters[i].to(ScalarType.Float64) - reference[i].to(ScalarType.Float64)).square().sum().item<double>();
        }
        return Math.Sqrt(sum);
    }

    /// <summary>
    /// ℓp path norm: (Σ_outputs f_{|θ|^p}(1))^{1/p}, the network with every parameter replaced by |θ|^p applied to one
    /// all-ones input of <paramref name="inputShape"/> (C, H, W), in eval mode ([repro]'s <c>lp_path_norm</c>).
    /// BatchNorm layers therefore act as the affine maps of eval mode with |γ|^p, |β|^p and their running statistics
    /// unchanged (spec §8 item 14), the same rule for every init. The parameters are restored afterwards, bit for bit.
    /// </summary>
    public static double PathNorm(nn.Module<Tensor, Tensor> model, long[] inputShape, double p)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(p);
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        bool wasTraining = model.training;
        Parameter[] parameters = model.parameters().ToArray();
        Tensor[] saved = parameters.Select(q => q.detach().clone()).ToArray();
        try
        {
            model.eval();
            foreach (Parameter q in parameters)
            {
                q.abs_().pow_(p);
            }
            Tensor output = model.call(torch.ones([1, .. inputShape]));
            double total = output.to(ScalarType.Float64).sum().item<double>();
            return Math.Pow(total, 1 / p);
        }
        finally
        {
            for (int i = 0; i < parameters.Length; i++)
            {
                parameters[i].copy_(saved[i]);
            }
            model.train(wasTraining);
        }
    }
}
