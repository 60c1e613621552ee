using System.Buffers.Binary;

namespace TwampProbe.Protocol.Wire.Test;

/// <summary>A view over a Session-Sender packet in place (layout in <see cref="TestPacketLayout"/>). Allocates nothing.</summary>
public readonly ref struct SenderPacket(Span<byte> buffer, TestPacketLayout layout)
{
    readonly Span<byte> _b = buffer;
    readonly TestPacketLayout _l = layout;

    public Span<byte> Bytes => _b;

    public uint SequenceNumber
    {
        get => BinaryPrimitives.ReadUInt32BigEndian(_b);
        set => BinaryPrimitives.WriteUInt32BigEndian(_b, value);
    }

    public NtpTimestamp Timestamp
    {
        get => NtpTimestamp.Read(_b[_l.SenderTimestamp..]);
        set => value.Write(_b[_l.SenderTimestamp..]);
    }

    public ErrorEstimate ErrorEstimate
    {
        get => ErrorEstimate.Read(_b[_l.SenderErrorEstimate..]);
        set => value.Write(_b[_l.SenderErrorEstimate..]);
    }

    /// <summary>Zeros every header octet (MBZ fields included) before the fields are set.</summary>
    public void ClearHeader() => _b[.._l.SenderHeader].Clear();
}
