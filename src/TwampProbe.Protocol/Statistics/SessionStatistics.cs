namespace TwampProbe.Protocol.Statistics;

/// <summary>
/// Results of one TWAMP session computed from the replies (RFC 5357 §4.1; metrics of RFC 7680 loss,
/// RFC 4737 reordering, RFC 3393/5481 delay variation). Pure: feed it samples, read the results.
/// Not thread-safe: one thread adds (the sender's receive thread); <see cref="PacketsSent"/> alone is
/// written by another (the send loop) and so is read and written with Volatile.
/// </summary>
public sealed class SessionStatistics
{
    readonly List<ReplySample> _samples = [];
    readonly HashSet<uint> _seen = [];
    uint _nextExpected;

    int _sent;
    public int PacketsSent { get => Volatile.Read(ref _sent); set => Volatile.Write(ref _sent, value); }
    /// <summary>Replies received, first copy of each sender sequence number only.</summary>
    public int PacketsReceived => _seen.Count;
    /// <summary>Extra copies of a sequence number already received.</summary>
    public int Duplicates { get; private set; }
    /// <summary>RFC 4737 §3.3: a packet is reordered when its sequence number is below NextExp.</summary>
    public int Reordered { get; private set; }
    /// <summary>Replies that did not fit the session (wrong size, bad HMAC, unknown sequence number, wrong source).</summary>
    public int Invalid { get; set; }
    /// <summary>Replies (duplicates included) shorter than RFC 5357's reflector format that still held every timestamp.</summary>
    public int ShortReplies { get; private set; }
    /// <summary>False when the reflector sent short replies: it does not follow RFC 5357 §4.2.1.</summary>
    public bool ReflectorConforming => ShortReplies == 0;
    public IReadOnlyList<ReplySample> Samples => _samples;

    /// <summary>Records a reply. Returns false if it was a duplicate (not used for delay statistics).</summary>
    public bool Add(in ReplySample sample)
    {
        if (sample.Short) ShortReplies++;
        if (!_seen.Add(sample.SenderSequence)) { Duplicates++; return false; }
        if (sample.SenderSequence < _nextExpected) Reordered++;
        else _nextExpected = sample.SenderSequence + 1;
        _samples.Add(sample);
        return true;
    }

    public int Lost => Math.Max(0, PacketsSent - PacketsReceived);
    public double LossPercent => PacketsSent == 0 ? 0 : 100.0 * Lost / PacketsSent;

    static double Us(long ns) => ns / 1000.0;

    public Summary RoundTripUs => Summary.Of(_samples.Select(s => Us(s.RoundTripNs)));
    public Summary TurnaroundUs => Summary.Of(_samples.Select(s => Us(s.TurnaroundNs)));
    public Summary ForwardUs => Summary.Of(_samples.Select(s => Us(s.ForwardNs)));
    public Summary BackwardUs => Summary.Of(_samples.Select(s => Us(s.BackwardNs)));

    /// <summary>One-way delays mean something only if both clocks say they are synchronized (RFC 4656 §4.1.2 S bit).</summary>
    public bool OneWayReliable => _samples.Count > 0 && _samples.All(s => s.SenderSynchronized && s.ReflectorSynchronized);

    /// <summary>
    /// IPDV (RFC 3393, RFC 5481 §1.1): the delay difference of packets with consecutive sequence numbers,
    /// both received. Offsets between the clocks cancel, so one-way IPDV is meaningful even unsynchronized.
    /// </summary>
    public Summary Ipdv(Func<ReplySample, long> delay)
    {
        var bySeq = _samples.OrderBy(s => s.SenderSequence).ToArray();
        var diffs = new List<double>();
        for (int i = 1; i < bySeq.Length; i++)
            if (bySeq[i].SenderSequence == bySeq[i - 1].SenderSequence + 1)
                diffs.Add(Math.Abs(Us(delay(bySeq[i]) - delay(bySeq[i - 1]))));
        return Summary.Of(diffs);
    }

    public Summary RoundTripIpdvUs => Ipdv(s => s.RoundTripNs);
    public Summary ForwardIpdvUs => Ipdv(s => s.ForwardNs);
    public Summary BackwardIpdvUs => Ipdv(s => s.BackwardNs);

    /// <summary>The most frequent value and whether all samples agree (null when none known).</summary>
    public static (int Value, bool Consistent)? Mode(IEnumerable<int> values)
    {
        var known = values.Where(v => v >= 0).ToArray();
        if (known.Length == 0) return null;
        var top = known.GroupBy(v => v).OrderByDescending(g => g.Count()).ThenBy(g => g.Key).First();
        return (top.Key, top.Count() == known.Length);
    }

    public (int Value, bool Consistent)? ForwardTtl => Mode(_samples.Select(s => s.ForwardTtl));
    public (int Value, bool Consistent)? BackwardTtl => Mode(_samples.Select(s => s.BackwardTtl));
    public (int Value, bool Consistent)? ReflectedDscp => Mode(_samples.Select(s => s.ReplyTrafficClass < 0 ? -1 : s.ReplyTrafficClass >> 2));
    public (int Value, bool Consistent)? ReflectedEcn => Mode(_samples.Select(s => s.ReplyTrafficClass < 0 ? -1 : s.ReplyTrafficClass & 3));
    /// <summary>RFC 7750: DSCP/ECN as they arrived at the reflector (forward-path remarking shows here).</summary>
    public (int Value, bool Consistent)? ForwardDscp => Mode(_samples.Select(s => s.ForwardTrafficClass < 0 ? -1 : s.ForwardTrafficClass >> 2));
    public (int Value, bool Consistent)? ForwardEcn => Mode(_samples.Select(s => s.ForwardTrafficClass < 0 ? -1 : s.ForwardTrafficClass & 3));
    /// <summary>Share of samples whose departure time is a kernel/hardware TX timestamp.</summary>
    public double TransmitTimestampShare => _samples.Count == 0 ? 0 : (double)_samples.Count(s => s.T1Transmit != 0) / _samples.Count;
}
