using TwampProbe.Owamp.Test;
using TwampProbe.Protocol.Wire.Owamp.Control;

namespace TwampProbe.Owamp.Server;

/// <summary>How an OWAMP receive session stands, for Fetch-Session (RFC 4656 §3.9).</summary>
public enum OwampResultState
{
    /// <summary>Accepted, not yet stopped: a complete fetch is denied, a range returns what arrived so far.</summary>
    Running,
    /// <summary>Ended by a Stop-Sessions with Accept = 0 whose record was consistent: every fetch is served.</summary>
    Finished,
    /// <summary>Ended in any other way (Stop-Sessions with Accept ≠ 0, an inconsistent Next Seqno, the control
    /// connection broke): "terminated in any way other than normally", so a complete fetch MUST be denied.</summary>
    Abnormal,
}

/// <summary>
/// The results of one OWAMP receive session, kept beyond its control connection so that any
/// connection can fetch them by SID (RFC 4656 §3.9). Written by the owning connection, read by any.
/// </summary>
public sealed class OwampResult
{
    public required byte[] Sid { get; init; }
    /// <summary>The Request-Session that set the session up, with the SID and the ports actually used (§3.9).</summary>
    public required RequestSession Reproduction { get; init; }
    /// <summary>The client prefix that asked for the session: its records count against that prefix's share.</summary>
    public required string PrefixKey { get; init; }
    /// <summary>Records reserved in the all-sessions budget (<c>owamp-max-records</c>), each schedule slot counted
    /// as one; once the session has ended, the records and slots it keeps (<see cref="OwampResults.Ended"/>).
    /// Changed only under that budget's lock.</summary>
    public required int ReservedRecords { get; set; }

    volatile OwampResultState _state = OwampResultState.Running;
    volatile OwampTestReceiver? _receiver;
    volatile PacketRecord[]? _records;

    public OwampResultState State => _state;
    public uint NextSeqno { get; private set; }
    public IReadOnlyList<SkipRange> SkipRanges { get; private set; } = [];
    /// <summary>Monotonic time it ended; results expire <c>owamp-keep-results</c> later.</summary>
    public long EndedNs { get; private set; }
    public string? Why { get; private set; }

    /// <summary>The live receiver, for a fetch of a range while the session runs.</summary>
    public void Attach(OwampTestReceiver receiver) => _receiver = receiver;

    /// <summary>
    /// The records in arrival order. While running: what the receive thread has stored so far — the
    /// receiver publishes <see cref="OwampTestReceiver.Accepted"/> with a release write after each
    /// record, so the records below that count are complete when read after it.
    /// </summary>
    public ReadOnlySpan<PacketRecord> Records => RecordsMemory.Span;

    /// <summary>
    /// <see cref="Records"/> without a copy: a finished result's records never change, and a running
    /// one's below the published count do not either (the receiver only appends). A Fetch-Session
    /// writes from this, so a peer that fetches and never reads holds no copy of the results.
    /// </summary>
    public ReadOnlyMemory<PacketRecord> RecordsMemory
    {
        get
        {
            if (_records is { } done) return done;
            if (_receiver is not { } live) return default;
            long n = live.Accepted;
            var stored = live.Store.ReceivedMemory;
            return stored[..(int)Math.Min(n, stored.Length)];
        }
    }

    public void End(OwampResultState state, PacketRecord[] records, uint nextSeqno, IReadOnlyList<SkipRange> skips, long nowNs, string? why)
    {
        _records = records;
        NextSeqno = nextSeqno;
        SkipRanges = skips;
        EndedNs = nowNs;
        Why = why;
        _state = state;
        _receiver = null;
    }
}
