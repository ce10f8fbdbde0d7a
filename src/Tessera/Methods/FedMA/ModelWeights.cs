namespace Tessera.Methods.FedMA;

/// <summary>Converts between a module's state_dict and a weight record (whole-buffer copies, state_dict order).</summary>
public static class ModelWeights
{
    /// <summary>Copies every state_dict entry into a new record.</summary>
    public static ArrayRecord Get(nn.Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        var record = new ArrayRecord();
        using var scope = torch.NewDisposeScope();
        foreach ((string name, Tensor t) in module.state_dict())
        {
            Tensor f = t.detach().to(ScalarType.Float32).contiguous();
            record.Add(NamedArray.Of(name, (long[])t.shape.Clone(), f.data<float>().ToArray()));
        }
        return record;
    }

    /// <summary>Copies the record into the module's tensors in place; names and shapes must match exactly.</summary>
    public static void Load(nn.Module module, ArrayRecord weights)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(weights);
        Dictionary<string, Tensor> state = module.state_dict();
        if (state.Count != weights.Count)
        {
            throw new ArgumentException($"The model has {state.Count} tensors but the record has {weights.Count}.", nameof(weights));
        }
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        foreach ((string name, Tensor t) in state)
        {
            NamedArray a = weights[name];
            if (!a.SameShape(t.shape))
            {
                throw new ArgumentException($"'{name}' has shape [{string.Join(", ", t.shape)}] in the model but [{string.Join(", ", a.Shape)}] in the record.", nameof(weights));
            }
            t.copy_(torch.tensor(a.F, a.Shape));
        }
    }

    /// <summary>Names and shapes of a record, for reply validation.</summary>
    public static IReadOnlyList<(string Name, long[] Shape)> Layout(ArrayRecord weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        return weights.Select(a => (a.Name, (long[])a.Shape.Clone())).ToArray();
    }

    /// <summary>Number of float parameters of a record.</summary>
    public static long ParameterCount(ArrayRecord weights) => weights?.FloatCount ?? 0;
}
