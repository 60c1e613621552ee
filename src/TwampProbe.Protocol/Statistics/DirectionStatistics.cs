namespace TwampProbe.Protocol.Statistics;

/// <summary>
/// One direction of a test from its (sequence number, send time, receive time) samples: what an
/// OWAMP receiver or fetcher needs (RFC 4656 §4.2 records), and the TWAMP round trip.
/// <para>Times are nanoseconds on any timescale both ends share (the delay is receive − send); if the
/// clocks are not synchronized the delays carry their offset, but IPDV and PDV do not (the offset
/// cancels in every difference). A sample whose delay is above <see cref="LossThresholdNs"/> is late:
/// lost, not measured (RFC 7680). A caller that judges lateness otherwise (e.g. TWAMP's round trip
/// T4 − T1, which includes the reflector's turnaround) passes <c>late</c> itself.</para>
/// <para>Per sample: a bit in <see cref="Sequence"/> and one entry in a list (amortized growth; give
/// <c>capacity</c> when the packet count is known). Not thread-safe: one thread adds.</para>
/// </summary>
public sealed class DirectionStatistics(uint firstSequence = 0, long lossThresholdNs = long.MaxValue, int capacity = 0)
{
    readonly List<SequencedDelay> _delays = new(Math.Clamp(capacity, 0, 1 << 20));

    public SequenceAccounting Sequence { get; } = new(firstSequence);
    /// <summary>RFC 7680 Tmax in nanoseconds: a delay above it is a loss.</summary>
    public long LossThresholdNs { get; } = lossThresholdNs;
    /// <summary>The received packets' delays (first copies, in arrival order), in nanoseconds.</summary>
    public IReadOnlyList<SequencedDelay> DelaysNs => _delays;

    /// <summary>Records a sample; late when receive − send exceeds <see cref="LossThresholdNs"/>.</summary>
    public Arrival Add(uint sequence, long sendNs, long receiveNs) =>
        Add(sequence, receiveNs - sendNs, receiveNs - sendNs > LossThresholdNs);

    /// <summary>Records a sample of the given delay, late or not as the caller judged it.</summary>
    public Arrival Add(uint sequence, long delayNs, bool late)
    {
        var arrival = Sequence.Add(sequence, late);
        if (arrival == Arrival.First) _delays.Add(new SequencedDelay(Sequence.IndexOf(sequence), delayNs));
        return arrival;
    }

    /// <summary>Delay, IPDV and PDV of the received packets in microseconds.</summary>
    public DelayStatistics DelayUs()
    {
        var us = new SequencedDelay[_delays.Count];
        for (int i = 0; i < us.Length; i++) us[i] = _delays[i] with { Delay = _delays[i].Delay / 1000.0 };
        return DelayStatistics.Of(us);
    }

    /// <summary>The summary over <paramref name="sent"/> packets (sequence numbers First … First+sent−1).</summary>
    public DirectionSummary Summarize(long sent) =>
        new(Sequence.Loss(sent), Sequence.Received, Sequence.Duplicates, Sequence.Reordered, Sequence.ReorderedRatio, DelayUs());
}
