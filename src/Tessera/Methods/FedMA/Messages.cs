using System.Globalization;

namespace Tessera.Methods.FedMA;

/// <summary>One typed config or metric value (Flower's <c>Scalar</c>): a double, an integer, a bool or a string.</summary>
public readonly record struct Scalar
{
    private Scalar(ScalarKind kind, double d, long l, string? s)
    {
        Kind = kind;
        (_d, _l, _s) = (d, l, s);
    }

    private readonly double _d;
    private readonly long _l;
    private readonly string? _s;

    public ScalarKind Kind { get; }

    public static Scalar Of(double value) => new(ScalarKind.Double, value, 0, null);

    public static Scalar Of(long value) => new(ScalarKind.Int, 0, value, null);

    public static Scalar Of(bool value) => new(ScalarKind.Bool, 0, value ? 1 : 0, null);

    public static Scalar Of(string value) => new(ScalarKind.String, 0, 0, value ?? throw new ArgumentNullException(nameof(value)));

    public double AsDouble() => Kind switch
    {
        ScalarKind.Double => _d,
        ScalarKind.Int => _l,
        _ => throw new InvalidOperationException($"The value is a {Kind}, not a number."),
    };

    public long AsLong() => Kind == ScalarKind.Int ? _l : throw new InvalidOperationException($"The value is a {Kind}, not an integer.");

    public bool AsBool() => Kind == ScalarKind.Bool ? _l != 0 : throw new InvalidOperationException($"The value is a {Kind}, not a bool.");

    public string AsString() => Kind == ScalarKind.String ? _s! : throw new InvalidOperationException($"The value is a {Kind}, not a string.");

    public override string ToString() => Kind switch
    {
        ScalarKind.Double => _d.ToString("R", CultureInfo.InvariantCulture),
        ScalarKind.Int => _l.ToString(CultureInfo.InvariantCulture),
        ScalarKind.Bool => _l != 0 ? "true" : "false",
        _ => _s ?? "",
    };
}

public enum ScalarKind
{
    Double,
    Int,
    Bool,
    String,
}

/// <summary>A string-keyed map of typed values (config of an instruction, metrics of a reply).</summary>
public sealed class ConfigMap : Dictionary<string, Scalar>
{
    public ConfigMap()
        : base(StringComparer.Ordinal)
    {
    }

    public ConfigMap(IEnumerable<KeyValuePair<string, Scalar>> items)
        : base(items, StringComparer.Ordinal)
    {
    }

    public static ConfigMap Empty => [];

    public ConfigMap Set(string key, double value)
    {
        this[key] = Scalar.Of(value);
        return this;
    }

    public ConfigMap Set(string key, long value)
    {
        this[key] = Scalar.Of(value);
        return this;
    }

    public ConfigMap Set(string key, bool value)
    {
        this[key] = Scalar.Of(value);
        return this;
    }

    public ConfigMap Set(string key, string value)
    {
        this[key] = Scalar.Of(value);
        return this;
    }

    public double Double(string key, double? fallback = null) =>
        TryGetValue(key, out Scalar v) ? v.AsDouble() : fallback ?? throw Missing(key);

    public long Long(string key, long? fallback = null) =>
        TryGetValue(key, out Scalar v) ? v.AsLong() : fallback ?? throw Missing(key);

    public int Int(string key, int? fallback = null) => checked((int)Long(key, fallback));

    public bool Bool(string key, bool? fallback = null) =>
        TryGetValue(key, out Scalar v) ? v.AsBool() : fallback ?? throw Missing(key);

    public string String(string key, string? fallback = null) =>
        TryGetValue(key, out Scalar v) ? v.AsString() : fallback ?? throw Missing(key);

    public ConfigMap Copy() => new(this);

    private static KeyNotFoundException Missing(string key) => new($"The message has no config value '{key}'.");
}

public enum ArrayType
{
    Float32,
    Int32,
}

/// <summary>One named array with its shape (a state_dict entry, an assignment vector). Float32 or Int32 data,
/// row-major; the array owns its buffer (copies are made when arrays cross a transport).</summary>
public sealed class NamedArray
{
    private NamedArray(string name, long[] shape, float[]? floats, int[]? ints)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(shape);
        long count = 1;
        foreach (long s in shape)
        {
            if (s < 0)
            {
                throw new ArgumentException($"Array '{name}' has a negative dimension.", nameof(shape));
            }
            count *= s;
        }
        long length = floats?.LongLength ?? ints!.LongLength;
        if (count != length)
        {
            throw new ArgumentException($"Array '{name}' has shape [{string.Join(", ", shape)}] ({count} values) but {length} values.", nameof(shape));
        }
        (Name, Shape, Floats, Ints) = (name, shape, floats, ints);
    }

    public string Name { get; }

    public long[] Shape { get; }

    public ArrayType Type => Floats is not null ? ArrayType.Float32 : ArrayType.Int32;

    /// <summary>The values of a Float32 array (null for Int32).</summary>
    public float[]? Floats { get; }

    /// <summary>The values of an Int32 array (null for Float32).</summary>
    public int[]? Ints { get; }

    public long Count => Floats?.LongLength ?? Ints!.LongLength;

    /// <summary>Bytes on the wire: 4 per value.</summary>
    public long Bytes => 4 * Count;

    public static NamedArray Of(string name, long[] shape, float[] values) => new(name, shape, values ?? throw new ArgumentNullException(nameof(values)), null);

    public static NamedArray OfInts(string name, long[] shape, int[] values) => new(name, shape, null, values ?? throw new ArgumentNullException(nameof(values)));

    /// <summary>The float values; throws for an Int32 array.</summary>
    public float[] F => Floats ?? throw new InvalidOperationException($"Array '{Name}' holds integers, not floats.");

    /// <summary>The integer values; throws for a Float32 array.</summary>
    public int[] I => Ints ?? throw new InvalidOperationException($"Array '{Name}' holds floats, not integers.");

    public NamedArray Clone() => new(Name, (long[])Shape.Clone(), (float[]?)Floats?.Clone(), (int[]?)Ints?.Clone());

    public NamedArray Renamed(string name) => new(name, Shape, Floats, Ints);

    public bool SameShape(long[] shape) => Shape.AsSpan().SequenceEqual(shape);

    public override string ToString() => $"{Name} {Type} [{string.Join(", ", Shape)}]";
}

/// <summary>Named arrays in a fixed order (state_dict order for model weights), looked up by name.</summary>
public sealed class ArrayRecord : IReadOnlyList<NamedArray>
{
    private readonly List<NamedArray> _items = [];
    private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);

    public ArrayRecord()
    {
    }

    public ArrayRecord(IEnumerable<NamedArray> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        foreach (NamedArray a in items)
        {
            Add(a);
        }
    }

    public static ArrayRecord Empty => [];

    public int Count => _items.Count;

    public NamedArray this[int index] => _items[index];

    public NamedArray this[string name] =>
        _index.TryGetValue(name, out int i) ? _items[i] : throw new KeyNotFoundException($"No array named '{name}' (have: {string.Join(", ", _index.Keys)}).");

    public bool Contains(string name) => _index.ContainsKey(name);

    /// <summary>Adds an array; a name may appear only once.</summary>
    public void Add(NamedArray array)
    {
        ArgumentNullException.ThrowIfNull(array);
        if (!_index.TryAdd(array.Name, _items.Count))
        {
            throw new ArgumentException($"The record already holds an array named '{array.Name}'.", nameof(array));
        }
        _items.Add(array);
    }

    /// <summary>Replaces the array of the same name in place (keeping its position), or adds it at the end.</summary>
    public void Set(NamedArray array)
    {
        ArgumentNullException.ThrowIfNull(array);
        if (_index.TryGetValue(array.Name, out int i))
        {
            _items[i] = array;
        }
        else
        {
            Add(array);
        }
    }

    public long FloatCount => _items.Where(a => a.Type == ArrayType.Float32).Sum(a => a.Count);

    public long IntCount => _items.Where(a => a.Type == ArrayType.Int32).Sum(a => a.Count);

    public long Bytes => _items.Sum(a => a.Bytes);

    /// <summary>A deep copy: no buffer is shared with this record (pitfall 14).</summary>
    public ArrayRecord Clone() => new(_items.Select(a => a.Clone()));

    /// <summary>The arrays whose names start with <paramref name="prefix"/>.</summary>
    public ArrayRecord Where(Func<NamedArray, bool> keep) => new(_items.Where(keep));

    public IEnumerator<NamedArray> GetEnumerator() => _items.GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>What the server asks a client to do: a kind (<c>fit</c>, <c>evaluate</c>, <c>fedma.upload</c>, …), the round as
/// group id, arrays and a typed config. <see cref="Expect"/> stays on the server: the names and shapes a valid reply
/// must carry (null = no arrays are checked beyond finiteness and size).</summary>
public sealed record FedInstruction(string Kind, long Round, ArrayRecord Arrays, ConfigMap Config)
{
    public IReadOnlyList<(string Name, long[] Shape)>? Expect { get; init; }
}

public enum ReplyStatus
{
    Ok,
    Error,
}

/// <summary>A client's answer: status, arrays, the number of examples it used, and metrics.</summary>
public sealed record FedReply(ReplyStatus Status, string Message, ArrayRecord Arrays, long NumExamples, ConfigMap Metrics)
{
    public static FedReply Ok(ArrayRecord arrays, long numExamples, ConfigMap metrics) => new(ReplyStatus.Ok, "", arrays, numExamples, metrics);

    public static FedReply Fail(string message) => new(ReplyStatus.Error, message, ArrayRecord.Empty, 0, ConfigMap.Empty);
}

/// <summary>The message kinds every client understands (Flower's client API) and FedMA's steps (spec §2.11).</summary>
public static class MessageKinds
{
    public const string GetProperties = "get_properties";
    public const string GetParameters = "get_parameters";
    public const string Fit = "fit";
    public const string Evaluate = "evaluate";
    public const string LocalTrain = "fedma.local_train";
    public const string Upload = "fedma.upload";
    public const string Install = "fedma.install";
    public const string Reconstruct = "fedma.reconstruct";
}
