using TwampProbe.Config;
using TwampProbe.Protocol.Wire;

namespace TwampProbe.Owamp.Server;

/// <summary>
/// The results of every OWAMP receive session of the server, by SID, with the all-sessions record
/// budget (<c>owamp-max-records</c>, RFC 4656 §6.5 resource limits) and each client prefix's fair share
/// of it (<see cref="PrefixShare"/>). Results of a session stay until <c>owamp-keep-results</c> after it
/// ended, or until a complete fetch with <c>owamp-delete-on-fetch</c>; they stay charged to the prefix
/// that asked for them until then, so a client cannot hang up and start over to take the whole budget.
/// Thread-safe; the lock is held only for the map and the budget.
/// </summary>
public sealed class OwampResults
{
    /// <summary>The share of <c>owamp-max-records</c> one client prefix may hold (as max-sessions-per-prefix is of max-sessions).</summary>
    public const int PrefixShareDivisor = 4;

    readonly Dictionary<string, OwampResult> _bySid = [];
    readonly Dictionary<string, long> _byPrefix = [];
    long _reserved;

    /// <summary>The network capacity budget of all sessions (<c>owamp-max-bandwidth</c>, RFC 4656 §6.5).</summary>
    public OwampCapacity Capacity { get; } = new();

    /// <summary>Records reserved by running and kept sessions.</summary>
    public long ReservedRecords { get { lock (_bySid) return _reserved; } }
    public int Count { get { lock (_bySid) return _bySid.Count; } }

    /// <summary>Records reserved by the sessions and results of one client prefix.</summary>
    public long ReservedBy(string prefixKey) { lock (_bySid) return _byPrefix.GetValueOrDefault(prefixKey); }

    /// <summary>
    /// The records one client prefix (<c>per-prefix-length</c>, as for max-sessions-per-prefix) may hold:
    /// a quarter of <c>owamp-max-records</c>, but never less than the largest session
    /// (<c>owamp-max-records-per-session</c> records and as many slots) where the budget has room for it —
    /// a request that fits the per-session limit is never refused for ever by the share alone.
    /// </summary>
    public static long PrefixShare(ServerLimits limits) =>
        Math.Max(limits.OwampMaxRecords / PrefixShareDivisor, Math.Min(limits.OwampMaxRecords, 2L * limits.OwampMaxRecordsPerSession));

    /// <summary>Reserves <paramref name="records"/> for <paramref name="prefixKey"/>; null when granted, else why not.</summary>
    public string? TryReserve(long records, string prefixKey, ServerLimits limits, long nowNs)
    {
        lock (_bySid)
        {
            SweepLocked(limits, nowNs);
            long mine = _byPrefix.GetValueOrDefault(prefixKey), share = PrefixShare(limits);
            // RFC 4656 §6.5: resource use "MUST" be limited; one client's share so that it cannot take all of it.
            if (mine + records > share)
                return $"the owamp-max-records share of {prefixKey} ({share} of {limits.OwampMaxRecords}) reached ({mine} held, {records} asked)";
            if (_reserved + records > limits.OwampMaxRecords)
                return $"owamp-max-records {limits.OwampMaxRecords} reached ({_reserved} held by other sessions, {records} asked)";
            _reserved += records;
            _byPrefix[prefixKey] = mine + records;
            return null;
        }
    }

    /// <summary>Gives back a reservation that never became a result, or a send session's slots.</summary>
    public void Unreserve(long records, string prefixKey)
    {
        lock (_bySid) GiveLocked(records, prefixKey);
    }

    void GiveLocked(long records, string prefixKey)
    {
        _reserved -= records;
        long left = _byPrefix.GetValueOrDefault(prefixKey) - records;
        if (left <= 0) _byPrefix.Remove(prefixKey);
        else _byPrefix[prefixKey] = left;
    }

    public void Add(OwampResult result)
    {
        lock (_bySid) _bySid[SessionId.ToHex(result.Sid)] = result;
    }

    /// <summary>
    /// A result has ended: its reservation shrinks to the records it keeps (and its slots, which stay with
    /// the reproduction: at least one, so kept results stay bounded; and the sender's skip ranges). A session stopped early, or
    /// whose connection broke before Start-Sessions, does not hold its Number of Packets of the budget
    /// for <c>owamp-keep-results</c> (RFC 4656 §6.5: "When resources are reclaimed, corresponding
    /// measures are subtracted from the current use").
    /// </summary>
    public void Ended(OwampResult result)
    {
        lock (_bySid)
        {
            if (!_bySid.TryGetValue(SessionId.ToHex(result.Sid), out var held) || !ReferenceEquals(held, result)) return;
            // The sender's skip ranges stay too (one per two packets at most, StopSessionRecord): each is
            // charged as a record, else a session that skipped every packet kept 50 000 of them for 1.
            // Received, lost and skipped packets together are at most the records reserved, so this fits.
            int kept = result.Records.Length + result.Reproduction.Slots.Count + result.SkipRanges.Count;
            if (kept >= result.ReservedRecords) return;
            GiveLocked(result.ReservedRecords - kept, result.PrefixKey);
            result.ReservedRecords = kept;
        }
    }

    public OwampResult? Find(ReadOnlySpan<byte> sid, ServerLimits limits, long nowNs)
    {
        var key = SessionId.ToHex(sid);
        lock (_bySid)
        {
            SweepLocked(limits, nowNs);
            return _bySid.GetValueOrDefault(key);
        }
    }

    public void Remove(OwampResult result)
    {
        lock (_bySid)
        {
            if (_bySid.Remove(SessionId.ToHex(result.Sid))) GiveLocked(result.ReservedRecords, result.PrefixKey);
        }
    }

    /// <summary>Drops results that ended more than <c>owamp-keep-results</c> ago.</summary>
    public void Sweep(ServerLimits limits, long nowNs)
    {
        lock (_bySid) SweepLocked(limits, nowNs);
    }

    void SweepLocked(ServerLimits limits, long nowNs)
    {
        long keep = (long)limits.OwampKeepResults.TotalNanoseconds;
        List<string>? expired = null;
        foreach (var (key, r) in _bySid)
            if (r.State != OwampResultState.Running && nowNs - r.EndedNs > keep) (expired ??= []).Add(key);
        if (expired is null) return;
        foreach (var key in expired)
        {
            var r = _bySid[key];
            GiveLocked(r.ReservedRecords, r.PrefixKey);
            _bySid.Remove(key);
        }
    }
}
