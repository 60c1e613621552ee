using System.Buffers.Binary;

namespace TwampProbe.Protocol.Wire.Owamp.Control;

/// <summary>
/// A range of sequence numbers a sender never sent, 8 octets (RFC 4656 §3.8, §3.9):
/// <code>
///  0  4 First Seqno Skipped
///  4  4 Last Seqno Skipped (inclusive)
/// </code>
/// </summary>
public readonly record struct SkipRange(uint First, uint Last)
{
    public const int Size = 8;

    public bool Contains(uint seqno) => seqno >= First && seqno <= Last;

    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination, First);
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], Last);
    }

    public static SkipRange Read(ReadOnlySpan<byte> source) =>
        new(BinaryPrimitives.ReadUInt32BigEndian(source), BinaryPrimitives.ReadUInt32BigEndian(source[4..]));

    /// <summary>
    /// RFC 4656 §3.8: "Skip Ranges MUST be in order"; §3.9: if they "overlap or are out of order, the
    /// session data is to be considered invalid". True when every range has First ≤ Last and starts
    /// after the previous one ends.
    /// </summary>
    public static bool AreOrdered(IReadOnlyList<SkipRange> ranges)
    {
        for (int i = 0; i < ranges.Count; i++)
        {
            if (ranges[i].First > ranges[i].Last) return false;
            if (i > 0 && ranges[i].First <= ranges[i - 1].Last) return false;
        }
        return true;
    }

    /// <summary>Octets of <paramref name="count"/> ranges padded with zeros to whole 16-octet blocks.</summary>
    public static long PaddedLength(long count) => OwampBlocks.Pad(count * Size);
}
