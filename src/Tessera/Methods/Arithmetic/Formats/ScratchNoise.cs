namespace Tessera.Methods.Arithmetic.Formats;

/// <summary>Which intermediate values of a simplified scratchpad are replaced by random ones (spec §3.4): the digit
/// A by a uniform digit, the carry C by a uniform bit (a uniform borrow in {0,-1} for subtraction). The answer line
/// stays correct.</summary>
public enum ScratchNoise
{
    None,
    RandomA,
    RandomC,
    RandomBoth,
}
