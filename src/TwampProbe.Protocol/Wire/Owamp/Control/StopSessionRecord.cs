using System.Buffers.Binary;
using TwampProbe.Protocol.Wire.Control;

namespace TwampProbe.Protocol.Wire.Owamp.Control;

/// <summary>
/// The description of one send session in Stop-Sessions (RFC 4656 §3.8), padded with zeros to
/// whole 16-octet blocks so the next record starts on a block boundary:
/// <code>
///  0 16 SID
/// 16  4 Next Seqno (the next sequence number the sender would have sent; Number of Packets when complete)
/// 20  4 Number of Skip Ranges (k)
/// 24 8k Skip Ranges (First, Last), in order
/// </code>
/// At least 32 octets (<see cref="MinimumSize"/>): a reader takes those, reads k, then the rest.
/// </summary>
public sealed record StopSessionRecord(byte[] Sid, uint NextSeqno, IReadOnlyList<SkipRange> SkipRanges)
{
    const int HeaderSize = 24;
    /// <summary>The first two blocks, which always exist and hold the Number of Skip Ranges.</summary>
    public const int MinimumSize = 32;
    const int NextSeqnoOffset = 16, SkipCountOffset = 20;

    /// <summary>Octets of a record with <paramref name="skipRanges"/> ranges (whole blocks).</summary>
    public static long SizeFor(uint skipRanges) => OwampBlocks.Pad(HeaderSize + (long)skipRanges * SkipRange.Size);

    public int Size => (int)SizeFor((uint)SkipRanges.Count);

    /// <summary>Number of Skip Ranges of a record whose first <see cref="MinimumSize"/> octets are <paramref name="firstBlocks"/>.</summary>
    public static uint ReadSkipCount(ReadOnlySpan<byte> firstBlocks) => BinaryPrimitives.ReadUInt32BigEndian(firstBlocks[SkipCountOffset..]);

    public void Write(Span<byte> destination)
    {
        var d = destination[..Size];
        d.Clear();
        Sid.AsSpan().CopyTo(d);
        BinaryPrimitives.WriteUInt32BigEndian(d[NextSeqnoOffset..], NextSeqno);
        BinaryPrimitives.WriteUInt32BigEndian(d[SkipCountOffset..], (uint)SkipRanges.Count);
        for (int i = 0; i < SkipRanges.Count; i++) SkipRanges[i].Write(d[(HeaderSize + i * SkipRange.Size)..]);
    }

    /// <summary>Decodes a whole record (<see cref="SizeFor"/> of its skip count octets).</summary>
    public static StopSessionRecord Parse(ReadOnlySpan<byte> source)
    {
        if (source.Length < MinimumSize) throw new ControlProtocolException($"a Stop-Sessions record is at least {MinimumSize} octets, got {source.Length}");
        uint k = ReadSkipCount(source);
        if (source.Length < SizeFor(k)) throw new ControlProtocolException($"a Stop-Sessions record with {k} skip range(s) is {SizeFor(k)} octets, got {source.Length}");
        var ranges = new SkipRange[k];
        for (int i = 0; i < k; i++) ranges[i] = SkipRange.Read(source[(HeaderSize + i * SkipRange.Size)..]);
        return new StopSessionRecord(source[..SessionId.Length].ToArray(), BinaryPrimitives.ReadUInt32BigEndian(source[NextSeqnoOffset..]), ranges);
    }
}
