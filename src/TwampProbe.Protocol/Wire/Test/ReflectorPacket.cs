using System.Buffers.Binary;

namespace TwampProbe.Protocol.Wire.Test;

/// <summary>A view over a Session-Reflector packet in place (layout in <see cref="TestPacketLayout"/>). Allocates nothing.</summary>
public readonly ref struct ReflectorPacket(Span<byte> buffer, TestPacketLayout layout)
{
    readonly Span<byte> _b = buffer;
    readonly TestPacketLayout _l = layout;

    public Span<byte> Bytes => _b;

    public uint SequenceNumber
    {
        get => BinaryPrimitives.ReadUInt32BigEndian(_b);
        set => BinaryPrimitives.WriteUInt32BigEndian(_b, value);
    }

    /// <summary>T3, the reflector's transmit time.</summary>
    public NtpTimestamp Timestamp
    {
        get => NtpTimestamp.Read(_b[_l.ReflectorTimestamp..]);
        set => value.Write(_b[_l.ReflectorTimestamp..]);
    }

    public ErrorEstimate ErrorEstimate
    {
        get => ErrorEstimate.Read(_b[_l.ReflectorErrorEstimate..]);
        set => value.Write(_b[_l.ReflectorErrorEstimate..]);
    }

    /// <summary>T2, when the reflector received the sender's packet.</summary>
    public NtpTimestamp ReceiveTimestamp
    {
        get => NtpTimestamp.Read(_b[_l.ReceiveTimestamp..]);
        set => value.Write(_b[_l.ReceiveTimestamp..]);
    }

    public uint SenderSequenceNumber
    {
        get => BinaryPrimitives.ReadUInt32BigEndian(_b[_l.SenderSequence..]);
        set => BinaryPrimitives.WriteUInt32BigEndian(_b[_l.SenderSequence..], value);
    }

    public NtpTimestamp SenderTimestamp
    {
        get => NtpTimestamp.Read(_b[_l.CopiedSenderTimestamp..]);
        set => value.Write(_b[_l.CopiedSenderTimestamp..]);
    }

    public ErrorEstimate SenderErrorEstimate
    {
        get => ErrorEstimate.Read(_b[_l.CopiedSenderErrorEstimate..]);
        set => value.Write(_b[_l.CopiedSenderErrorEstimate..]);
    }

    public byte SenderTtl
    {
        get => _b[_l.SenderTtl];
        set => _b[_l.SenderTtl] = value;
    }

    /// <summary>RFC 7750: the DSCP (6 bits) and ECN (2 bits) the reflector received; -1 without mode 256.</summary>
    public int SenderDscpEcn
    {
        get => _l.SenderDscpEcn < 0 ? -1 : _b[_l.SenderDscpEcn];
        set { if (_l.SenderDscpEcn >= 0) _b[_l.SenderDscpEcn] = (byte)value; }
    }

    public void ClearHeader() => _b[.._l.ReflectorHeader].Clear();
}
