using TwampProbe.Protocol.Owamp;
using TwampProbe.Protocol.Wire;
using TwampProbe.Protocol.Wire.Owamp.Control;

namespace TwampProbe.Owamp.Test;

/// <summary>
/// The packet records of one OWAMP-Test receive session (RFC 4656 §4.2): every accepted packet in
/// arrival order, duplicates included ("MUST be recorded normally"), up to a fixed capacity allocated
/// once by <see cref="Allocate"/> when the session starts — not at Request-Session, so that sessions
/// requested and never started hold no storage — and adding allocates nothing. <see cref="Complete"/>
/// applies the Stop-Sessions rules of §3.8 and appends the lost-packet records (§3.9: "one MAY place all
/// the records that correspond to lost packets at the very end"). One writer (the receive thread); other
/// threads read <see cref="Received"/> only below a count the writer published after the records.
/// </summary>
public sealed class OwampRecordStore
{
    PacketRecord[]? _records;
    ulong[]? _seen;
    readonly uint _packets;
    readonly int _capacity;
    int _count;
    long _highest = -1;

    /// <param name="packets">Number of Packets of the session.</param>
    /// <param name="limit">Most records kept (duplicates and lost records included).</param>
    public OwampRecordStore(uint packets, int limit)
    {
        if (limit < 1) throw new ArgumentOutOfRangeException(nameof(limit));
        _packets = packets;
        Limit = limit;
        // Room for every packet and a few duplicates; a larger store is only reserved when the limit allows.
        _capacity = (int)Math.Min(limit, packets + Math.Min(packets / 8, 4096) + 16);
    }

    public int Limit { get; }
    /// <summary>The storage is there (<see cref="Allocate"/> was called).</summary>
    public bool Allocated => Volatile.Read(ref _records) is not null;

    /// <summary>Allocates the storage (once; by the writer, before the first <see cref="TryAdd"/>).</summary>
    public void Allocate()
    {
        if (_records is not null) return;
        _seen = new ulong[(_packets + 63) / 64];
        Volatile.Write(ref _records, new PacketRecord[_capacity]);
    }

    public int Count => _count;
    /// <summary>Records of a sequence number already recorded.</summary>
    public int Duplicates { get; private set; }
    /// <summary>Distinct sequence numbers received.</summary>
    public int Distinct { get; private set; }
    /// <summary>The highest sequence number received, −1 for none.</summary>
    public long Highest => _highest;
    public ReadOnlySpan<PacketRecord> Received => Volatile.Read(ref _records) is { } records ? records.AsSpan(0, _count) : [];
    /// <summary><see cref="Received"/> as memory, for a reader that writes it out across awaits (Fetch-Session):
    /// the array is allocated once and only appended to, so what lies below the count stays as it is.</summary>
    public ReadOnlyMemory<PacketRecord> ReceivedMemory => Volatile.Read(ref _records) is { } records ? records.AsMemory(0, _count) : default;

    public bool Seen(uint seq) => seq < _packets && _seen is { } seen && (seen[seq >> 6] & (1UL << (int)(seq & 63))) != 0;

    /// <summary>Records a received packet; false when the store is full (the packet is then dropped and counted).</summary>
    public bool TryAdd(in PacketRecord record)
    {
        var records = _records ?? throw new InvalidOperationException("OwampRecordStore: Allocate first");
        if (_count == records.Length) return false;
        uint seq = record.SequenceNumber;
        if (seq >= _packets) throw new ArgumentOutOfRangeException(nameof(record), "sequence number outside the session");
        ref ulong word = ref _seen![seq >> 6];
        ulong bit = 1UL << (int)(seq & 63);
        if ((word & bit) != 0) Duplicates++;
        else
        {
            word |= bit;
            Distinct++;
        }
        if (seq > _highest) _highest = seq;
        records[_count++] = record;
        return true;
    }

    /// <summary>
    /// The session's final records once the sender's Stop-Sessions (Next Seqno, Skip Ranges) is known.
    /// <list type="bullet">
    /// <item>"If a receiver … learns … that the OWAMP-Test sender's last sequence number is lower than any
    /// sequence number actually received, the results of the complete OWAMP-Test session MUST be
    /// invalidated" (RFC 4656 §3.8).</item>
    /// <item>With <paramref name="stopUnixNanoseconds"/> (Stop-Sessions came before the session completed):
    /// "MUST discard any packet records — including lost packet records — with a (computed) send time that
    /// falls between the current time minus Timeout and the current time" (§3.8).</item>
    /// <item>Every sequence number below Next Seqno that was neither received nor skipped by the sender is
    /// lost: its record has the scheduled send time, Send Error Estimate Multiplier 1 / S 0, the receiver's
    /// own Receive Error Estimate, Receive Timestamp 0 and TTL 255 (§3.9, §4.2).</item>
    /// </list>
    /// </summary>
    public OwampReceiveResult Complete(uint nextSeqno, IReadOnlyList<SkipRange> skips, NtpTimestamp start, ReadOnlySpan<ulong> offsets,
        long timeoutNs, long? stopUnixNanoseconds, ErrorEstimate receiveError)
    {
        if (offsets.Length < _packets) throw new ArgumentException("one offset per packet", nameof(offsets));
        string? invalid = null;
        if (nextSeqno > _packets) invalid = $"Next Seqno {nextSeqno} is above Number of Packets {_packets}";
        else if (_highest >= nextSeqno) invalid = $"packet {_highest} was received but the sender's Next Seqno is {nextSeqno} (RFC 4656 §3.8)";
        else if (!SkipRange.AreOrdered(skips)) invalid = "the sender's skip ranges overlap or are out of order (RFC 4656 §3.9)";
        var startTime = start;
        bool Discarded(uint seq, ReadOnlySpan<ulong> o)
        {
            if (stopUnixNanoseconds is not long stop) return false;
            long sent = Schedule.SendTime(startTime, o[(int)seq]).ToUnixNanoseconds();
            return sent > stop - timeoutNs;
        }

        var kept = new List<PacketRecord>(_count);
        int discarded = 0;
        foreach (var r in Received)
        {
            if (Discarded(r.SequenceNumber, offsets)) { discarded++; continue; }
            kept.Add(r);
        }
        int lost = 0, notRecorded = 0;
        uint end = Math.Min(nextSeqno, _packets);
        int skip = 0;
        for (uint seq = 0; seq < end; seq++)
        {
            while (skip < skips.Count && skips[skip].Last < seq) skip++;
            if (skip < skips.Count && skips[skip].Contains(seq)) continue;
            if (Seen(seq) || Discarded(seq, offsets)) continue;
            if (kept.Count >= Limit) { notRecorded++; continue; }
            kept.Add(PacketRecord.Lost(seq, Schedule.SendTime(start, offsets[(int)seq]), receiveError));
            lost++;
        }
        return new OwampReceiveResult(kept.ToArray(), invalid, lost, discarded, notRecorded, nextSeqno, [.. skips]);
    }
}

/// <summary>
/// A finished receive session: the records in RFC 4656 §3.9 order (arrival order, lost ones at the end),
/// why the results are invalid (null when valid), the sender's Next Seqno and Skip Ranges as received.
/// </summary>
public sealed record OwampReceiveResult(
    PacketRecord[] Records, string? Invalid, int Lost, int Discarded, int LostNotRecorded, uint NextSeqno, SkipRange[] SkipRanges)
{
    public bool Valid => Invalid is null;
}
