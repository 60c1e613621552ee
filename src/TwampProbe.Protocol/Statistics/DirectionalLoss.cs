namespace TwampProbe.Protocol.Statistics;

/// <summary>
/// Round-trip losses split by direction, from the two sequence numbers every TWAMP reply carries: the
/// sender's (copied back) and the reflector's own (RFC 5357 §4.2.1: it starts at zero and counts every
/// reply the reflector transmits).
/// <para>How: the reflector's numbers 0 … R* (R* the highest that came back) are replies it sent, so
/// the numbers missing among them are replies lost on the way back (<see cref="BackwardLost"/>). The
/// reflector received R* + 1 packets up to that reply, less the forward duplicates (one sender number
/// under two reflector numbers); of the sender's packets 0 … S* (S* the highest that came back) the
/// rest never reached it (<see cref="ForwardLost"/>). Packets sent after S* have no reply after them
/// that could say which way they went (<see cref="DirectionUnknown"/>), unless the reflector's count
/// shows it received some of them (then their replies were lost backward). So, with late replies
/// (after the loss threshold) counted apart: round-trip lost = forward + backward + late + unknown.</para>
/// <para>Order and copies per direction: the reflector's numbers in arrival order give the backward
/// reordering and duplicates (RFC 4737 §3.3; the same reply twice); the sender's numbers in the
/// reflector's order give the forward ones (the reflector received them in that order). Late replies
/// count for the forward direction (they did reach the reflector) but not for backward reordering or
/// duplicates (RFC 4737 and RFC 5560 judge arrivals within the threshold).</para>
/// <para>Exact when the forward path neither reorders nor duplicates a packet whose replies are then
/// lost: with forward reordering, a packet overtaken near the end can be counted as forward lost instead
/// of unknown; a forward copy whose reply was lost looks like a packet, until the count runs ahead of
/// the packets sent, when the surplus is counted as forward duplicates. When the reflector's numbers
/// cannot be a counter (copied, repeated, far beyond the packets sent, or, for Light, ahead of them),
/// nothing is claimed: <see cref="Known"/> is false and <see cref="Reason"/> says why.</para>
/// </summary>
public sealed record DirectionalLoss(
    bool Known,
    string? Reason,
    long ForwardLost,
    long BackwardLost,
    long DirectionUnknown,
    long ForwardDuplicates,
    long BackwardDuplicates,
    long ForwardReordered,
    long BackwardReordered)
{
    static DirectionalLoss Unknown(string reason) => new(false, reason, 0, 0, 0, 0, 0, 0, 0);

    /// <summary>
    /// Splits the losses of <paramref name="sent"/> packets (sender numbers 0 … sent−1) using every
    /// arriving copy of every reply, in arrival order. Arrivals with a sender number ≥ sent are ignored.
    /// </summary>
    public static DirectionalLoss From(IReadOnlyList<ReplyArrival> arrivals, long sent, ReflectorNumbering numbering)
    {
        // More reflector numbers than this is no counter of this session's packets (the bound also
        // keeps a hostile reflector from making the accounting allocate for arbitrary numbers).
        long limit = 2 * sent + 1024;
        var senderByReflector = new Dictionary<uint, uint>();
        var backward = new SequenceAccounting();
        bool allCopied = true;
        foreach (var a in arrivals)
        {
            if (a.SenderSequence >= sent) continue;
            if (a.ReflectorSequence >= limit)
                return Unknown($"the reflector's Sequence Number {a.ReflectorSequence} is beyond any count of {sent} packets");
            if (a.ReflectorSequence != a.SenderSequence) allCopied = false;
            if (senderByReflector.TryGetValue(a.ReflectorSequence, out uint s))
            {
                // RFC 5357 §4.2.1: the reflector's number counts its transmissions, so it never repeats.
                if (s != a.SenderSequence)
                    return Unknown($"the reflector gave Sequence Number {a.ReflectorSequence} to two different packets ({s} and {a.SenderSequence})");
            }
            else senderByReflector[a.ReflectorSequence] = a.SenderSequence;
            backward.Add(a.ReflectorSequence, a.Late);
        }
        if (senderByReflector.Count == 0)
            return numbering == ReflectorNumbering.Counter
                ? new DirectionalLoss(true, null, 0, 0, sent, 0, 0, 0, 0)
                : Unknown("no reply came back to show how the reflector numbers its replies");
        if (numbering == ReflectorNumbering.MayCopy && allCopied)
            return Unknown("every reply's Sequence Number equals the sender's, as a TWAMP Light reflector without session state copies it (RFC 5357 Appendix I)");

        long highestReflector = backward.HighestIndex;
        long backwardLost = highestReflector + 1 - senderByReflector.Count;

        var reflectorOrder = senderByReflector.Keys.ToArray();
        Array.Sort(reflectorOrder);
        var forward = new SequenceAccounting();
        foreach (uint r in reflectorOrder) forward.Add(senderByReflector[r]);
        long reachedReflector = highestReflector + 1 - forward.Duplicates;
        long forwardLost = forward.HighestIndex + 1 - reachedReflector;
        long unknown = sent - (forward.HighestIndex + 1);
        long forwardDuplicates = forward.Duplicates;
        if (forwardLost < 0)
        {
            // The reflector counted packets beyond the highest sender number that came back: those
            // reached it, and their replies are among the backward losses.
            unknown += forwardLost;
            forwardLost = 0;
        }
        if (unknown < 0)
        {
            // It counted more transmissions than distinct packets were sent: the surplus were copies of
            // packets duplicated on the way out whose replies were all lost (a counter cannot run ahead
            // otherwise). They are duplicates, not lost packets. A Light reflector may instead be a
            // counter that did not start at 0 for this session, so there nothing is claimed.
            if (numbering == ReflectorNumbering.MayCopy)
                return Unknown($"the reflector's Sequence Numbers run ahead of the {sent} packets sent (a counter that did not start at 0 for this session)");
            forwardDuplicates -= unknown;
            backwardLost += unknown;
            unknown = 0;
        }
        return new DirectionalLoss(true, null, forwardLost, backwardLost, unknown,
            forwardDuplicates, backward.Duplicates, forward.Reordered, backward.Reordered);
    }
}
