namespace TwampProbe.Protocol.Statistics;

/// <summary>How far the reflector's Sequence Number can be believed.</summary>
public enum ReflectorNumbering
{
    /// <summary>
    /// Full TWAMP: the Session-Reflector numbers its replies itself, "It starts with zero and is
    /// incremented by one for each subsequent packet" and is "independent from the sequence number of
    /// the arriving packets" (RFC 5357 §4.2.1). Trusted unless the replies contradict it.
    /// </summary>
    Counter,
    /// <summary>
    /// TWAMP Light: a reflector without session state "MUST copy the Sequence Number of the received
    /// packet" (RFC 5357 Appendix I; RFC 8762 §4.3's stateless mode); a stateful one counts. Trusted
    /// only when the replies show a counter (at least one differs from the sender's number).
    /// </summary>
    MayCopy,
}
