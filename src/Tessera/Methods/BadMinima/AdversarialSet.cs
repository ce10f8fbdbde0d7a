using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Tessera.Data;

namespace Tessera.Methods.BadMinima;

/// <summary>
/// Phase 1a of the spec (§2.2): the "confusion" set built from unlabeled training images only. Image i becomes
/// rows i·R … i·R+R−1; every copy gets its own n0 = floor(C·H·W·ρ) distinct scalar values set to 0 (per channel
/// value, on the raw [0, 1] image, before normalisation) and its own uniform random label, drawn once and kept
/// (the labelling is fixed for the whole of phase 1). The originals are not included; true labels are never read.
/// </summary>
public sealed class AdversarialSet : IDisposable
{
    private readonly int[] _zeroed;

    private AdversarialSet(Tensor images, Tensor labels, int copies, int zeroedPerCopy, int[] zeroed, long[] labelArray)
    {
        Images = images.DetachFromDisposeScope();
        Labels = labels.DetachFromDisposeScope();
        Copies = copies;
        ZeroedPerCopy = zeroedPerCopy;
        _zeroed = zeroed;
        Fingerprint = ComputeFingerprint(labelArray, zeroed);
    }

    /// <summary>float32 (N·R, C, H, W) raw values in [0, 1] with the zeroed entries at 0.</summary>
    public Tensor Images { get; }

    /// <summary>int64 (N·R) random labels.</summary>
    public Tensor Labels { get; }

    /// <summary>R, the copies per source image.</summary>
    public int Copies { get; }

    /// <summary>n0 = floor(C·H·W·ρ).</summary>
    public int ZeroedPerCopy { get; }

    public long Count => Images.shape[0];

    /// <summary>SHA-256 (hex, 16 digits) of the labels and the zeroed positions: equal fingerprints mean the
    /// same adversarial set.</summary>
    public string Fingerprint { get; }

    /// <summary>Index of the source image (in the training subset) of a row: row / R.</summary>
    public long SourceOf(long row) => row / Copies;

    /// <summary>The flat C·H·W positions (CHW order) zeroed in a row, in the order they were drawn.</summary>
    public ReadOnlySpan<int> ZeroedOf(long row) => _zeroed.AsSpan(checked((int)(row * ZeroedPerCopy)), ZeroedPerCopy);

    /// <summary>Builds the set from <paramref name="images"/> (float32 (N, C, H, W) in [0, 1]) with one seeded
    /// generator: for each image in order, for each copy, first the n0 positions (a partial Fisher–Yates shuffle,
    /// i.e. the first n0 entries of a uniform random permutation), then the label.</summary>
    /// <exception cref="InputException">The set would not fit in one array.</exception>
    public static AdversarialSet Build(Tensor images, int copies, double zeroRatio, int numClasses, long seed)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(copies);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numClasses);
        if (images.dim() != 4 || images.dtype != ScalarType.Float32)
        {
            throw new ArgumentException($"Expected float32 images (N, C, H, W); got {images.dtype} [{string.Join(", ", images.shape)}].", nameof(images));
        }
        if (!(zeroRatio >= 0 && zeroRatio < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(zeroRatio), zeroRatio, "The zero-out ratio must lie in [0, 1).");
        }
        long n = images.shape[0];
        int length = checked((int)(images.shape[1] * images.shape[2] * images.shape[3]));
        int n0 = (int)Math.Floor(length * zeroRatio);
        long rows = n * copies;
        if (rows * length > Array.MaxLength)
        {
            throw new InputException($"The adversarial set would hold {rows} images of {length} values, more than one array can: " +
                "lower data.trainSize or adversarial.copies.");
        }

        float[] source = images.contiguous().data<float>().ToArray();
        var values = new float[rows * length];
        var labels = new long[rows];
        var zeroed = new int[rows * n0];
        var positions = new int[length];
        for (int t = 0; t < length; t++)
        {
            positions[t] = t;
        }
        var rng = new SeededRandom(seed);
        for (long i = 0; i < n; i++)
        {
            ReadOnlySpan<float> image = source.AsSpan((int)(i * length), length);
            for (int r = 0; r < copies; r++)
            {
                long row = i * copies + r;
                Span<float> copy = values.AsSpan((int)(row * length), length);
                image.CopyTo(copy);
                // Partial Fisher–Yates: positions[0..n0) become a uniform random n0-subset whatever order the array
                // was left in by the previous copy, so the array is not reset.
                for (int t = 0; t < n0; t++)
                {
                    int j = t + rng.NextInt(length - t);
                    (positions[t], positions[j]) = (positions[j], positions[t]);
                    copy[positions[t]] = 0f;
                    zeroed[row * n0 + t] = positions[t];
                }
                labels[row] = rng.NextLong(numClasses);
            }
        }

        long[] shape = [rows, images.shape[1], images.shape[2], images.shape[3]];
        return new AdversarialSet(torch.tensor(values, shape), torch.tensor(labels), copies, n0, zeroed, labels);
    }

    private static string ComputeFingerprint(long[] labels, int[] zeroed)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(MemoryMarshal.AsBytes(labels.AsSpan()));
        sha.AppendData(MemoryMarshal.AsBytes(zeroed.AsSpan()));
        return Convert.ToHexString(sha.GetHashAndReset())[..16].ToLowerInvariant();
    }

    public void Dispose()
    {
        Images.Dispose();
        Labels.Dispose();
    }
}
