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
    /// <summary>Round trip less the reflector's turnaround: (T4 − T1) − (T3 − T2) (RFC 5357 §4.1).</summary>
    public long RoundTripNs => (T4 - T1) - (T3 - T2);
    public long TurnaroundNs => T3 - T2;
    public long ForwardNs => T2 - T1;
    public long BackwardNs => T4 - T3;
}
