using TwampProbe.Protocol.Crypto;
using TwampProbe.Protocol.Owamp;
using TwampProbe.Protocol.Wire;
using TwampProbe.Protocol.Wire.Owamp.Control;
using TwampProbe.Protocol.Wire.Owamp.Test;

namespace TwampProbe.Owamp.Test;

/// <summary>
/// What both ends of one OWAMP-Test session agreed in Request-Session / Accept-Session (RFC 4656 §3.5):
/// the SID (which also seeds the exponential schedule, §5), the slots, Number of Packets, Start Time,
/// Timeout, Padding Length, the test security of the control mode, the Type-P DSCP.
/// <see cref="Keys"/> are the control connection's session keys (modes 2, 4); the engines derive the
/// per-SID test keys from them when they are created, so the control connection may dispose its keys later.
/// </summary>
public sealed record OwampTestSpec
{
    public required byte[] Sid { get; init; }
    public required IReadOnlyList<ScheduleSlot> Slots { get; init; }
    /// <summary>Number of Packets: sequence numbers 0 … Packets − 1.</summary>
    public required uint Packets { get; init; }
    public required NtpTimestamp StartTime { get; init; }
    /// <summary>The 32.32 loss threshold (RFC 4656 §3.5, §4.2).</summary>
    public required NtpTimestamp Timeout { get; init; }
    public uint PaddingLength { get; init; }
    public TestSecurity Security { get; init; } = TestSecurity.Unauthenticated;
    public SessionKeys? Keys { get; init; }
    /// <summary>DSCP of the test packets (Type-P Descriptor, RFC 4656 §3.5).</summary>
    public int Dscp { get; init; }

    public long TimeoutNanoseconds => Timeout.IntervalNanoseconds;

    /// <summary>Length of every test packet of this session: the header of its mode plus the padding.</summary>
    public int PacketLength => OwampTestPacket.HeaderLength(Security) + (int)PaddingLength;

    /// <summary>Throws <see cref="ArgumentException"/> for a spec no engine can run.</summary>
    public void Check()
    {
        if (Sid is not { Length: SessionId.Length }) throw new ArgumentException("the SID is 16 octets");
        if (Slots.Count == 0) throw new ArgumentException("a schedule needs at least one slot (RFC 4656 §3.5)");
        if (Slots.Any(s => !s.IsKnownType)) throw new ArgumentException("slot types are 0 (exponential) or 1 (fixed) (RFC 4656 §3.6)");
        if (Packets > int.MaxValue) throw new ArgumentException("Number of Packets is too large");
        if (Security != TestSecurity.Unauthenticated && Keys is null) throw new ArgumentException("modes 2 and 4 need the session keys");
        if ((uint)Dscp > 63) throw new ArgumentException("DSCP is 0..63");
    }
}
