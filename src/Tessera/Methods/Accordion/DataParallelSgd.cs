namespace Tessera.Methods.Accordion;

/// <summary>
/// SGD applied after aggregation (spec §2.5), identical on every worker: d = g + wd·θ; heavy-ball momentum
/// buf ← μ·buf + d (buf = d on the first step, as from a zero buffer; dampening 0); θ ← θ − lr·buf, or with Nesterov-style
/// momentum θ ← θ − lr·(d + buf), as the paper's LSTM path and PowerSGD's reference step (PyTorch's Nesterov uses d + μ·buf). Its state (the momentum buffers) is plain tensors, so a checkpoint restores it exactly.
/// Every TorchSharp <see cref="Scalar"/> is created explicitly and held by a using until the step ends: an implicit
/// double → Scalar temporary is unreachable while its native call runs, and the finalizer can free it under the call
/// (libtorch then fails with "Unknown scalar type"), which in-process workers, allocating on four threads, did hit.
/// </summary>
public sealed class DataParallelSgd(IReadOnlyList<Tensor> parameters) : IDisposable
{
    private readonly Tensor[] _params = parameters.ToArray();
    private readonly Tensor?[] _momentum = new Tensor?[parameters.Count];

    public void Step(double lr, double momentum, double weightDecay, bool nesterov)
    {
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        using Scalar wd = weightDecay.ToScalar(), mu = momentum.ToScalar(), step = (-lr).ToScalar(), one = 1.0.ToScalar();
        for (int i = 0; i < _params.Length; i++)
        {
            Tensor p = _params[i];
            Tensor d = weightDecay != 0 ? p.grad!.add(p, alpha: wd) : p.grad!;
            if (momentum != 0)
            {
                if (_momentum[i] is null)
                {
                    _momentum[i] = d.clone().DetachFromDisposeScope();
                }
                else
                {
                    _momentum[i]!.mul_(mu).add_(d, alpha: one);
                }
                d = nesterov ? d.add(_momentum[i]!, alpha: one) : _momentum[i]!;
            }
            p.add_(d, alpha: step);
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
