using System.Runtime.InteropServices;

namespace Tessera.Methods.Accordion;

/// <summary>Tensors (float32, float64, int64) to and from a binary stream: dtype, rank, shape, then the raw values.</summary>
internal static class TensorIo
{
    public static void Write(BinaryWriter w, Tensor? t)
    {
        w.Write(t is not null);
        if (t is null)
        {
            return;
        }
        using var scope = torch.NewDisposeScope();
        Tensor c = t.detach().contiguous();
        w.Write((int)c.dtype);
        w.Write((int)c.dim());
        foreach (long d in c.shape)
        {
            w.Write(d);
        }
        switch (c.dtype)
        {
            case ScalarType.Float32:
                w.Write(MemoryMarshal.AsBytes(c.data<float>().ToArray().AsSpan()));
                break;
            case ScalarType.Float64:
                w.Write(MemoryMarshal.AsBytes(c.data<double>().ToArray().AsSpan()));
                break;
            case ScalarType.Int64:
                w.Write(MemoryMarshal.AsBytes(c.data<long>().ToArray().AsSpan()));
                break;
            default:
                throw new NotSupportedException($"Cannot save a {c.dtype} tensor.");
        }
    }

    /// <summary>Reads a tensor written by <see cref="Write"/> (or null); the caller owns it.</summary>
    public static Tensor? Read(BinaryReader r)
    {
        if (!r.ReadBoolean())
        {
            return null;
        }
        var dtype = (ScalarType)r.ReadInt32();
        var shape = new long[r.ReadInt32()];
        long n = 1;
        for (int i = 0; i < shape.Length; i++)
        {
            shape[i] = r.ReadInt64();
            n *= shape[i];
        }
        switch (dtype)
        {
            case ScalarType.Float32:
                return torch.tensor(Values<float>(r, n), shape);
            case ScalarType.Float64:
                return torch.tensor(Values<double>(r, n), shape);
            case ScalarType.Int64:
                return torch.tensor(Values<long>(r, n), shape);
            default:
                throw new InputException($"A checkpoint holds a tensor of unsupported type {dtype}: the file is damaged or from another version.");
        }
    }

    private static T[] Values<T>(BinaryReader r, long n) where T : unmanaged
    {
        var values = new T[n];
        Span<byte> bytes = MemoryMarshal.AsBytes(values.AsSpan());
        try
        {
            r.BaseStream.ReadExactly(bytes);
        }
        catch (EndOfStreamException e)
        {
            throw new InputException("A checkpoint file ends early: it is damaged (resume from an earlier checkpoint).", e);
        }
        return values;
    }

    /// <summary>Reads a tensor into an existing one of the same shape (in place, without autograd).</summary>
    public static void ReadInto(BinaryReader r, Tensor target, string name)
    {
        using Tensor? t = Read(r);
        if (t is null || !t.shape.SequenceEqual(target.shape))
        {
            throw new InputException($"A checkpoint does not match the model at '{name}' (expected shape [{string.Join(", ", target.shape)}]).");
        }
        using var noGrad = torch.no_grad();
        target.copy_(t);
    }
}
