using System.Runtime.InteropServices;
using Google.Protobuf;
using Tessera.Methods.FedMA;
using P = Tessera.Federated.Grpc.Protos;

namespace Tessera.Federated.Grpc;

/// <summary>Converts Tessera's messages to and from their protobuf form (arrays as little-endian bytes with shape).</summary>
public static class Wire
{
    public static P.NamedArray ToProto(NamedArray a)
    {
        ArgumentNullException.ThrowIfNull(a);
        var p = new P.NamedArray { Name = a.Name, Dtype = a.Type == ArrayType.Float32 ? P.NamedArray.Types.DType.Float32 : P.NamedArray.Types.DType.Int32 };
        p.Shape.AddRange(a.Shape);
        p.Data = a.Floats is { } f ? ByteString.CopyFrom(MemoryMarshal.AsBytes(f.AsSpan())) : ByteString.CopyFrom(MemoryMarshal.AsBytes(a.I.AsSpan()));
        return p;
    }

    /// <summary>Reads an array; a byte count that does not fit the shape is an <see cref="InvalidDataException"/>.</summary>
    public static NamedArray FromProto(P.NamedArray p)
    {
        ArgumentNullException.ThrowIfNull(p);
        long[] shape = [.. p.Shape];
        long count = 1;
        foreach (long s in shape)
        {
            if (s < 0)
            {
                throw new InvalidDataException($"array '{p.Name}' has a negative dimension");
            }
            count = checked(count * s);
        }
        if (p.Data.Length != 4 * count)
        {
            throw new InvalidDataException($"array '{p.Name}' has {p.Data.Length} bytes for shape [{string.Join(", ", shape)}]");
        }
        if (p.Dtype == P.NamedArray.Types.DType.Int32)
        {
            var ints = new int[count];
            p.Data.Span.CopyTo(MemoryMarshal.AsBytes(ints.AsSpan()));
            return NamedArray.OfInts(p.Name, shape, ints);
        }
        var floats = new float[count];
        p.Data.Span.CopyTo(MemoryMarshal.AsBytes(floats.AsSpan()));
        return NamedArray.Of(p.Name, shape, floats);
    }

    public static P.Scalar ToProto(Scalar s) => s.Kind switch
    {
        ScalarKind.Double => new P.Scalar { DoubleValue = s.AsDouble() },
        ScalarKind.Int => new P.Scalar { IntValue = s.AsLong() },
        ScalarKind.Bool => new P.Scalar { BoolValue = s.AsBool() },
        _ => new P.Scalar { StringValue = s.AsString() },
    };

    public static Scalar FromProto(P.Scalar p)
    {
        ArgumentNullException.ThrowIfNull(p);
        return p.ValueCase switch
        {
            P.Scalar.ValueOneofCase.DoubleValue => Scalar.Of(p.DoubleValue),
            P.Scalar.ValueOneofCase.IntValue => Scalar.Of(p.IntValue),
            P.Scalar.ValueOneofCase.BoolValue => Scalar.Of(p.BoolValue),
            _ => Scalar.Of(p.StringValue),
        };
    }

    public static P.Instruction ToProto(string id, FedInstruction ins)
    {
        ArgumentNullException.ThrowIfNull(ins);
        var p = new P.Instruction { Id = id, Kind = ins.Kind, Round = ins.Round };
        p.Arrays.AddRange(ins.Arrays.Select(ToProto));
        foreach ((string k, Scalar v) in ins.Config)
        {
            p.Config[k] = ToProto(v);
        }
        return p;
    }

    public static FedInstruction FromProto(P.Instruction p)
    {
        ArgumentNullException.ThrowIfNull(p);
        return new FedInstruction(p.Kind, p.Round, new ArrayRecord(p.Arrays.Select(FromProto)),
            new ConfigMap(p.Config.Select(kv => KeyValuePair.Create(kv.Key, FromProto(kv.Value)))));
    }

    public static P.Reply ToProto(string id, FedReply r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var p = new P.Reply { Id = id, Ok = r.Status == ReplyStatus.Ok, Message = r.Message, NumExamples = r.NumExamples };
        p.Arrays.AddRange(r.Arrays.Select(ToProto));
        foreach ((string k, Scalar v) in r.Metrics)
        {
            p.Metrics[k] = ToProto(v);
        }
        return p;
    }

    public static FedReply FromProto(P.Reply p)
    {
        ArgumentNullException.ThrowIfNull(p);
        return new FedReply(p.Ok ? ReplyStatus.Ok : ReplyStatus.Error, p.Message, new ArrayRecord(p.Arrays.Select(FromProto)), p.NumExamples,
            new ConfigMap(p.Metrics.Select(kv => KeyValuePair.Create(kv.Key, FromProto(kv.Value)))));
    }
}
