namespace TwampProbe.Protocol.Statistics;

/// <summary>
/// Loss, duplicates and reordering of one stream of 32-bit sequence numbers, fed one arrival at a time
/// (RFC 7680 loss, RFC 5560 duplication, RFC 4737 reordering).
/// <para>Sequence numbers are taken relative to <see cref="First"/> modulo 2^32: the sender's numbers
/// run First, First+1, …, wrapping from 0xFFFFFFFF to 0, and <see cref="IndexOf"/> is a packet's place
/// in the sending order (0, 1, …). This is exact for streams of up to 2^32 packets, every TWAMP or OWAMP
/// session (their sequence fields are 32 bits).</para>
/// <para>Rules: a copy arriving after the loss threshold (late = true) makes its packet lost, counted in
/// <see cref="Late"/>, never received (RFC 7680 §2.4: received means "within the loss threshold
/// waiting time"). Of the copies within the threshold the first counts as received, the others as
/// <see cref="Duplicates"/>; only first copies are judged for reordering (RFC 4737 §3.6: "only the first
/// to arrive is considered for further analysis"), against NextExp (RFC 4737 §3.3).</para>
/// <para>Memory: one bit per index in 8 KiB pages created on first use, so the work per arrival is a
/// page lookup and a bit test, and allocation happens once per 65 536 packets.
/// Not thread-safe: one thread adds.</para>
/// </summary>
public sealed class SequenceAccounting(uint first = 0)
{
    const int PageShift = 16;
    const int WordsPerPage = (1 << PageShift) / 64;

    readonly Dictionary<long, ulong[]> _received = [];
    readonly Dictionary<long, ulong[]> _late = [];
    long _nextExpected;

    /// <summary>The sequence number of the first packet of the stream (0 for TWAMP and OWAMP senders).</summary>
    public uint First { get; } = first;
    /// <summary>Distinct packets received within the threshold.</summary>
    public long Received { get; private set; }
    /// <summary>Copies, within the threshold, of a packet already received (RFC 5560 duplicates).</summary>
    public long Duplicates { get; private set; }
    /// <summary>First copies that arrived with an index below NextExp (RFC 4737 §3.3 Type-P-Reordered = TRUE).</summary>
    public long Reordered { get; private set; }
    /// <summary>Distinct packets whose copies all arrived after the threshold: lost (RFC 7680), but seen.</summary>
    public long Late { get; private set; }
    /// <summary>The highest index that arrived at all (within the threshold or late); -1 before any arrival.</summary>
    public long HighestIndex { get; private set; } = -1;

    /// <summary>RFC 4737 §4.1 Type-P-Reordered-Ratio-Stream: reordered / received (0 when nothing was received).</summary>
    public double ReorderedRatio => Received == 0 ? 0 : (double)Reordered / Received;

    /// <summary>The place of <paramref name="sequence"/> in the sending order: (sequence − First) mod 2^32.</summary>
    public long IndexOf(uint sequence) => unchecked(sequence - First);

    /// <summary>Records one arriving copy of <paramref name="sequence"/>; <paramref name="late"/>: it came after the loss threshold.</summary>
    public Arrival Add(uint sequence, bool late = false)
    {
        long index = IndexOf(sequence);
        if (index > HighestIndex) HighestIndex = index;
        bool received = Test(_received, index);
        if (late)
        {
            if (received || Test(_late, index)) return Arrival.LateCopy;
            Set(_late, index);
            Late++;
            return Arrival.Late;
        }
        if (received)
        {
            Duplicates++;
            return Arrival.Duplicate;
        }
        // A copy within the threshold after a late one can only come from a clock step between the two
        // copies' timestamps; the packet did arrive in time, so it is received after all.
        if (Clear(_late, index)) Late--;
        Set(_received, index);
        Received++;
        if (index >= _nextExpected) _nextExpected = index + 1;
        else Reordered++;
        return Arrival.First;
    }

    /// <summary>True if a copy of <paramref name="sequence"/> arrived within the threshold.</summary>
    public bool IsReceived(uint sequence) => Test(_received, IndexOf(sequence));

    /// <summary>
    /// Loss over the first <paramref name="sent"/> packets (indices 0 … sent−1): lost = not received
    /// within the threshold, late ones included; bursts = runs of consecutive lost indices.
    /// Walks the whole range: call it once for a report, not per packet.
    /// </summary>
    public LossSummary Loss(long sent)
    {
        long lost = 0, late = 0, bursts = 0, longest = 0, run = 0;
        for (long index = 0; index < sent;)
        {
            _received.TryGetValue(index >> PageShift, out var page);
            int word = (int)((index >> 6) & (WordsPerPage - 1));
            ulong bits = page?[word] ?? 0;
            int bit = (int)(index & 63);
            int span = (int)Math.Min(64 - bit, sent - index);
            if (bits == ulong.MaxValue)
            {
                run = 0;
                index += span;
                continue;
            }
            for (int b = bit; b < bit + span; b++)
            {
                if ((bits & (1UL << b)) != 0)
                {
                    run = 0;
                    continue;
                }
                lost++;
                if (run++ == 0) bursts++;
                if (run > longest) longest = run;
            }
            index += span;
        }
        foreach (var (key, page) in _late)
            for (int w = 0; w < page.Length; w++)
                for (ulong bits = page[w]; bits != 0; bits &= bits - 1)
                {
                    long index = (key << PageShift) + w * 64L + System.Numerics.BitOperations.TrailingZeroCount(bits);
                    if (index < sent) late++;
                }
        return new LossSummary(sent, lost, late, bursts, longest);
    }

    static bool Test(Dictionary<long, ulong[]> pages, long index) =>
        pages.TryGetValue(index >> PageShift, out var page) && (page[(index >> 6) & (WordsPerPage - 1)] & (1UL << (int)(index & 63))) != 0;

    static void Set(Dictionary<long, ulong[]> pages, long index)
    {
        long key = index >> PageShift;
        if (!pages.TryGetValue(key, out var page)) pages[key] = page = new ulong[WordsPerPage];
        page[(index >> 6) & (WordsPerPage - 1)] |= 1UL << (int)(index & 63);
    }

    static bool Clear(Dictionary<long, ulong[]> pages, long index)
    {
        if (!pages.TryGetValue(index >> PageShift, out var page)) return false;
        ref ulong word = ref page[(index >> 6) & (WordsPerPage - 1)];
        ulong mask = 1UL << (int)(index & 63);
        bool was = (word & mask) != 0;
        word &= ~mask;
        return was;
    }
}
