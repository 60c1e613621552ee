using TwampProbe.Protocol.Wire;

namespace TwampProbe.Sessions;

public sealed record SenderOptions
{
    public int Count { get; init; } = 100;
    public TimeSpan Interval { get; init; } = TimeSpan.FromMilliseconds(100);
    /// <summary>Gaps drawn from an exponential distribution of mean <see cref="Interval"/> (twping <c>-i Ne</c>); else fixed.</summary>
    public bool ExponentialInterval { get; init; }
    /// <summary>Seed of the exponential schedule; null = a fresh random seed per run.</summary>
    public int? ScheduleSeed { get; init; }
    /// <summary>Packet Padding octets; null = the size difference so both directions are equal (RFC 5357 §4.2.1).</summary>
    public int? Padding { get; init; }
    public bool ZeroPadding { get; init; }
    public int Dscp { get; init; }
    /// <summary>IP TTL / hop limit the sender uses; the reflector reports what arrived (hops = this − that).</summary>
    public int Ttl { get; init; } = 255;
    /// <summary>How long to wait for replies after the last packet (twping's loss threshold).</summary>
    public TimeSpan LossTimeout { get; init; } = TimeSpan.FromSeconds(2);
    public bool PerPacket { get; init; }
    public int? Cpu { get; init; }
    public TestSecurity Security { get; init; } = TestSecurity.Unauthenticated;
    /// <summary>RFC 7750 negotiated: replies carry the DSCP/ECN the reflector received.</summary>
    public bool DscpEcnMonitoring { get; init; }
    /// <summary>ECN codepoint (0-3) set on the test packets, to see whether ECN survives the path.</summary>
    public int Ecn { get; init; }
    /// <summary>Read kernel/hardware TX timestamps back (MSG_ERRQUEUE) to refine T1 for the round trip.</summary>
    public bool TransmitTimestamps { get; init; } = true;
}
