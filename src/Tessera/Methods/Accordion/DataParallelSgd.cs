namespace Tessera.Methods.Accordion;

/// <summary>
/// SGD applied after aggregation (spec §2.5), identical on every worker: d = g + wd·θ; heavy-ball momentum
/// buf ← μ·buf + d (buf = d on the first step, PyTorch's rule, dampening 0); θ ← θ − lr·buf, or with Nesterov
/// θ ← θ − lr·(d + μ·buf). Its state (the momentum buffers) is plain tensors, so a checkpoint restores it exactly.
/// </summary>
public sealed class DataParallelSgd(IReadOnlyList<Tensor> parameters) : IDisposable
{
    private readonly Tensor[] _params = parameters.ToArray();
    private readonly Tensor?[] _momentum = new Tensor?[parameters.Count];

    public void Step(double lr, double momentum, double weightDecay, bool nesterov)
    {
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        for (int i = 0; i < _params.Length; i++)
        {
            Tensor p = _params[i];
            Tensor d = weightDecay != 0 ? p.grad!.add(p, alpha: weightDecay) : p.grad!;
            if (momentum != 0)
            {
                if (_momentum[i] is null)
                {
                    _momentum[i] = d.clone().DetachFromDisposeScope();
                }
                else
                {
                    _momentum[i]!.mul_(momentum).add_(d);
                }
                d = nesterov ? d.add(_momentum[i]!, alpha: momentum) : _momentum[i]!;
            }
            p.add_(d, alpha: -lr);
        }
    }

    public void Save(BinaryWriter w)
    {
        ArgumentNullException.ThrowIfNull(w);
        w.Write(_momentum.Length);
        foreach (Tensor? m in _momentum)
        {
            TensorIo.Write(w, m);
        }
    }

    public void Load(BinaryReader r)
    {
        ArgumentNullException.ThrowIfNull(r);
        if (r.ReadInt32() != _momentum.Length)
        {
            throw new InputException("A checkpoint's optimizer state does not match the model (different number of tensors).");
        }
        for (int i = 0; i < _momentum.Length; i++)
        {
            _momentum[i]?.Dispose();
            _momentum[i] = TensorIo.Read(r)?.DetachFromDisposeScope();
        }
    }

    public void Dispose()
    {
        foreach (Tensor? m in _momentum)
        {
            m?.Dispose();
        }
    }
}
