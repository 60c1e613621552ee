namespace TwampProbe.Protocol.Statistics;

/// <summary>
/// Results of one TWAMP session computed from the replies (RFC 5357 §4.1; metrics of RFC 7680 loss,
/// RFC 4737 reordering, RFC 5560 duplicates, RFC 3393/5481 delay variation; the directions apart by
/// <see cref="DirectionalLoss"/>). Pure: feed it samples, read the results. The per-direction
/// building blocks (<see cref="SequenceAccounting"/>, <see cref="DelayStatistics"/>) are the ones the
/// OWAMP client uses through <see cref="DirectionStatistics"/>.
/// Not thread-safe: one thread adds (the sender's receive thread); <see cref="PacketsSent"/> alone is
/// written by another (the send loop) and so is read and written with Volatile.
/// </summary>
public sealed class SessionStatistics
{
    readonly List<ReplySample> _samples = [];
    readonly List<ReplyArrival> _arrivals = [];
    readonly SequenceAccounting _roundTrip = new();

    int _sent;
    public int PacketsSent { get => Volatile.Read(ref _sent); set => Volatile.Write(ref _sent, value); }
    /// <summary>Replies received within the threshold, first copy of each sender sequence number only.</summary>
    public int PacketsReceived => (int)_roundTrip.Received;
    /// <summary>Extra copies, within the threshold, of a sequence number already received.</summary>
    public int Duplicates => (int)_roundTrip.Duplicates;
    /// <summary>RFC 4737 §3.3: a packet is reordered when its sequence number is below NextExp.</summary>
    public int Reordered => (int)_roundTrip.Reordered;
    /// <summary>RFC 4737 §4.1: reordered / received.</summary>
    public double ReorderedRatio => _roundTrip.ReorderedRatio;
    /// <summary>Packets whose replies came only after the loss threshold (ping's <c>-L</c>): lost (RFC 7680), counted apart.</summary>
    public int Late => (int)_roundTrip.Late;
    /// <summary>Replies that did not fit the session (wrong size, bad HMAC, unknown sequence number, wrong source).</summary>
    public int Invalid { get; set; }
    /// <summary>Replies (duplicates included) shorter than RFC 5357's reflector format that still held every timestamp.</summary>
    public int ShortReplies { get; private set; }
    /// <summary>False when the reflector sent short replies: it does not follow RFC 5357 §4.2.1.</summary>
    public bool ReflectorConforming => ShortReplies == 0;
    /// <summary>The measured replies: first copies within the threshold, in arrival order.</summary>
    public IReadOnlyList<ReplySample> Samples => _samples;
    /// <summary>Every reply that fitted the session (duplicates and late ones too), in arrival order.</summary>
    public IReadOnlyList<ReplyArrival> Arrivals => _arrivals;

    /// <summary>
    /// Records a reply. <paramref name="late"/>: it came after the loss threshold (RFC 7680 Tmax; the
    /// sender judges it on its monotonic clock), so its packet is lost and it is not measured. Returns
    /// false if the reply is not measured: a duplicate, or late.
    /// </summary>
    public bool Add(in ReplySample sample, bool late = false)
    {
        if (sample.Short) ShortReplies++;
        _arrivals.Add(new ReplyArrival(sample.SenderSequence, sample.ReflectorSequence, late));
        if (_roundTrip.Add(sample.SenderSequence, late) != Arrival.First) return false;
        _samples.Add(sample);
        if (sample.T1Transmit == 0) _withoutTransmitTimestamp++;
        return true;
    }

    /// <summary>Sent and not received within the threshold (late replies included).</summary>
    public int Lost => Math.Max(0, PacketsSent - PacketsReceived);
    public double LossPercent => PacketsSent == 0 ? 0 : 100.0 * Lost / PacketsSent;
    /// <summary>Round-trip loss with its bursts (runs of consecutive lost sequence numbers). Walks all sent packets.</summary>
    public LossSummary Loss() => _roundTrip.Loss(PacketsSent);

    /// <summary>Forward and backward losses, duplicates and reordering, from the reflector's numbering.</summary>
    public DirectionalLoss Directional(ReflectorNumbering numbering) => DirectionalLoss.From(_arrivals, PacketsSent, numbering);

    static double Us(long ns) => ns / 1000.0;

    /// <summary>
    /// One departure time source for the whole session, so that no computation mixes two: the
    /// kernel/NIC TX timestamp when every measured reply has one, else T1 as the packets carry it for
    /// every reply. (Per reply, a mix would put the user-to-kernel gap of microseconds into IPDV and
    /// PDV as jitter; the first packets after TX timestamping is switched on often lack a stamp.)
    /// </summary>
    public bool DeparturesFromTransmitTimestamps => _samples.Count > 0 && _withoutTransmitTimestamp == 0;

    /// <summary>Measured replies without a TX timestamp: with any, every computation uses T1 (see <see cref="DeparturesFromTransmitTimestamps"/>).</summary>
    public int WithoutTransmitTimestamp => _withoutTransmitTimestamp;
    /// <summary>Kept as samples come and are filled in: the statistics ask for it once per sample.</summary>
    int _withoutTransmitTimestamp;

    /// <summary>
    /// A measured reply as the session's statistics use it: its TX timestamp kept only when every reply has one
    /// (<see cref="DeparturesFromTransmitTimestamps"/>), so per-reply records agree with the summary.
    /// </summary>
    public ReplySample AsMeasured(in ReplySample s) => DeparturesFromTransmitTimestamps ? s : s with { T1Transmit = 0 };

    /// <summary>
    /// Gives the measured replies that still lack a TX timestamp the one <paramref name="transmitTime"/> now knows,
    /// with its source (0: none), once the session is over: a NIC may report its stamp only after the reply is in. Returns how many
    /// got one.
    /// </summary>
    public int FillTransmitTimes(Func<ReplySample, (long Tx, byte Source)> transmitTime)
    {
        int filled = 0;
        for (int i = 0; i < _samples.Count; i++)
        {
            if (_samples[i].T1Transmit != 0) continue;
            var (tx, source) = transmitTime(_samples[i]);
            if (tx == 0) continue;
            _samples[i] = _samples[i] with { T1Transmit = tx, T1Source = source };
            _withoutTransmitTimestamp--;
            filled++;
        }
        return filled;
    }

    DelayStatistics Of(Func<ReplySample, long> delayNs)
    {
        bool tx = DeparturesFromTransmitTimestamps;
        var d = new SequencedDelay[_samples.Count];
        for (int i = 0; i < d.Length; i++)
        {
            var s = tx ? _samples[i] : _samples[i] with { T1Transmit = 0 };
            d[i] = new SequencedDelay(_roundTrip.IndexOf(s.SenderSequence), Us(delayNs(s)));
        }
        return DelayStatistics.Of(d);
    }

    /// <summary>Round trip (T4 − T1) − (T3 − T2) in µs, with its IPDV and PDV.</summary>
    public DelayStatistics RoundTrip => Of(s => s.RoundTripNs);
    /// <summary>The reflector's turnaround T3 − T2 in µs.</summary>
    public DelayStatistics Turnaround => Of(s => s.TurnaroundNs);
    /// <summary>Forward delay T2 − T1 in µs (the clock offset included when the clocks are not synchronized; IPDV and PDV are free of it).</summary>
    public DelayStatistics Forward => Of(s => s.ForwardNs);
    /// <summary>Backward delay T4 − T3 in µs (as <see cref="Forward"/>).</summary>
    public DelayStatistics Backward => Of(s => s.BackwardNs);

    /// <summary>
    /// The error estimate of a one-way delay (s): the sum of its two timestamps' (RFC 4656 §4.1.2), the sender's
    /// (T1, and T4 on the same clock) and the reflector's (T2 and T3), the largest over the measured replies; NaN without any.
    /// A round trip has all four timestamps: twice that, as twping prints it.
    /// </summary>
    public double OneWayErrorSeconds => _samples.Count == 0 ? double.NaN : _samples.Max(s => s.SenderErrorSeconds + s.ReflectorErrorSeconds);

    /// <summary>One-way delays mean something only if both clocks say they are synchronized (RFC 4656 §4.1.2 S bit).</summary>
    public bool OneWayReliable => _samples.Count > 0 && _samples.All(s => s.SenderSynchronized && s.ReflectorSynchronized);

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
