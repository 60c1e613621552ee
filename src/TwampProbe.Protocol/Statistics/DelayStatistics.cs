namespace TwampProbe.Protocol.Statistics;

/// <summary>
/// The delay picture of one direction (or of the round trip), from the delays of the packets that were
/// received within the loss threshold, first copies only (lost packets have no delay: RFC 5481 §8.6).
/// Values are in the unit of the input (the ping report uses microseconds).
/// <list type="bullet">
/// <item><see cref="Delay"/>: the delays themselves.</item>
/// <item><see cref="Ipdv"/>: IPDV as RFC 3393 defines it, signed: D(i) − D(i−1) for every pair of packets
/// with consecutive sequence numbers that were both received (RFC 5481 §4.1's selection function:
/// "the reference packet in the pair is the previous packet in the sending sequence"). Pairs across a
/// loss give no value (RFC 5481 §6.1, figure 4). Its mean is normally about 0.</item>
/// <item><see cref="IpdvAbsolute"/>: |IPDV| (RFC 5481 §6.5's "single-sided distribution"). Its mean is
/// what the report calls "jitter" (and what <c>ipdv_us.*_mean</c> always held).</item>
/// <item><see cref="Pdv"/>: PDV as RFC 5481 §4.2 defines it: D(i) − D(min), the delay distribution
/// shifted to its minimum; its p99 is the de-jitter buffer a receiver needs for 99 % of packets.</item>
/// <item><see cref="TwpingJitter"/>: twping's "jitter", P95 − P50 of the delays.</item>
/// </list>
/// </summary>
public sealed record DelayStatistics(DelaySummary Delay, DelaySummary Ipdv, DelaySummary IpdvAbsolute, DelaySummary Pdv)
{
    public static DelayStatistics Empty { get; } = new(DelaySummary.Empty, DelaySummary.Empty, DelaySummary.Empty, DelaySummary.Empty);

    /// <summary>twping's "jitter" (P95 − P50 of the delays, owamp stats.c); NaN without delays.</summary>
    public double TwpingJitter => Delay.P95MinusP50;

    /// <summary>Summarizes <paramref name="samples"/> (any order; one entry per received packet).</summary>
    public static DelayStatistics Of(IReadOnlyList<SequencedDelay> samples)
    {
        if (samples.Count == 0) return Empty;
        var bySequence = new SequencedDelay[samples.Count];
        for (int i = 0; i < bySequence.Length; i++) bySequence[i] = samples[i];
        // Sending order, not arrival order: a reordered packet still pairs with its predecessor (RFC 5481 §8.7).
        // Replies mostly arrive in order: sort only when they did not.
        bool ordered = true;
        for (int i = 1; i < bySequence.Length && ordered; i++) ordered = bySequence[i - 1].Index <= bySequence[i].Index;
        if (!ordered) Array.Sort(bySequence, static (a, b) => a.Index.CompareTo(b.Index));

        var delays = new double[bySequence.Length];
        for (int i = 0; i < delays.Length; i++) delays[i] = bySequence[i].Delay;
        var ipdv = new List<double>(bySequence.Length);
        for (int i = 1; i < bySequence.Length; i++)
            if (bySequence[i].Index == bySequence[i - 1].Index + 1)
                ipdv.Add(bySequence[i].Delay - bySequence[i - 1].Delay);
        var ipdvArray = ipdv.ToArray();
        var absolute = Array.ConvertAll(ipdvArray, Math.Abs);
        var delay = DelaySummary.OfInPlace(delays);
        // D(i) − D(min) of the sorted delays is sorted too.
        var pdv = new double[delays.Length];
        for (int i = 0; i < pdv.Length; i++) pdv[i] = delays[i] - delays[0];
        return new DelayStatistics(delay, DelaySummary.OfInPlace(ipdvArray), DelaySummary.OfInPlace(absolute), DelaySummary.OfSorted(pdv));
    }
}
