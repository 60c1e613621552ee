namespace TwampProbe.Protocol.Statistics;

/// <summary>
/// One reflected packet as the Session-Sender saw it. Times are Unix nanoseconds:
/// T1 sender transmit, T2 reflector receive, T3 reflector transmit, T4 sender receive.
/// </summary>
public readonly record struct ReplySample(
    uint SenderSequence,
    uint ReflectorSequence,
    long T1, long T2, long T3, long T4,
    bool SenderSynchronized,
    bool ReflectorSynchronized,
    double SenderErrorSeconds,
    double ReflectorErrorSeconds,
    /// <summary>Sender TTL the reflector saw (forward direction), -1 unknown.</summary>
    int ForwardTtl,
    /// <summary>TTL/hop limit of the reply as received here (backward direction), -1 unknown.</summary>
    int BackwardTtl,
    /// <summary>TOS/traffic-class byte of the reply as received here, -1 unknown.</summary>
    int ReplyTrafficClass,
    /// <summary>Where T4 came from: 0 user space, 1 kernel, 2 hardware.</summary>
    byte T4Source)
{
    /// <summary>RFC 7750: TOS/traffic-class byte as the reflector received it, -1 unknown.</summary>
    public int ForwardTrafficClass { get; init; } = -1;
    /// <summary>T1 as the kernel/NIC stamped the departure (0 when no TX timestamp came back).</summary>
    public long T1Transmit { get; init; }
    public byte T1Source { get; init; }
    /// <summary>
    /// The reply was shorter than RFC 5357's reflector format but held every timestamp field (a
    /// non-conforming reflector, e.g. 38-octet TWAMP Light replies): measured, Sender TTL unknown.
    /// </summary>
    public bool Short { get; init; }

    /// <summary>
    /// The departure time used locally: the TX timestamp when there is one, else T1. Both are the sender's
    /// CLOCK_REALTIME (a hardware TX timestamp is converted from the PHC), and the round trip and the
    /// forward delay use the same one, so that round trip = forward + backward holds for every sample.
    /// </summary>
    public long Departure => T1Transmit != 0 ? T1Transmit : T1;

    /// <summary>Round trip less the reflector's turnaround: (T4 − T1) − (T3 − T2) (RFC 5357 §4.1).</summary>
    public long RoundTripNs => (T4 - Departure) - (T3 - T2);
    public long TurnaroundNs => T3 - T2;
    public long ForwardNs => T2 - Departure;
    public long BackwardNs => T4 - T3;
}
