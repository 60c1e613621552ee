namespace TwampProbe.Protocol.Wire.Owamp.Control;

/// <summary>
/// OWAMP-Control sends whole 16-octet blocks: variable parts (skip ranges, packet records) are
/// padded with zeros to the end of their last block (RFC 4656 §3.8, §3.9).
/// </summary>
public static class OwampBlocks
{
    public const int Size = 16;

    /// <summary><paramref name="length"/> rounded up to a multiple of 16.</summary>
    public static long Pad(long length) => (length + Size - 1) / Size * Size;
}
