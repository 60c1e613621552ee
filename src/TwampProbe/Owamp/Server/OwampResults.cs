using TwampProbe.Config;
using TwampProbe.Protocol.Wire;

namespace TwampProbe.Owamp.Server;

/// <summary>
/// The results of every OWAMP receive session of the server, by SID, with the all-sessions record
/// budget (<c>owamp-max-records</c>, RFC 4656 §6.5 resource limits). Results of a session stay until
/// <c>owamp-keep-results</c> after it ended, or until a complete fetch with <c>owamp-delete-on-fetch</c>.
/// Thread-safe; the lock is held only for the map and the budget.
/// </summary>
public sealed class OwampResults
{
    readonly Dictionary<string, OwampResult> _bySid = [];
    long _reserved;

    /// <summary>The network capacity budget of all sessions (<c>owamp-max-bandwidth</c>, RFC 4656 §6.5).</summary>
    public OwampCapacity Capacity { get; } = new();

    /// <summary>Records reserved by running and kept sessions.</summary>
    public long ReservedRecords { get { lock (_bySid) return _reserved; } }
    public int Count { get { lock (_bySid) return _bySid.Count; } }

    /// <summary>Reserves <paramref name="records"/>; null when granted, else why not.</summary>
    public string? TryReserve(long records, ServerLimits limits, long nowNs)
    {
        lock (_bySid)
        {
            SweepLocked(limits, nowNs);
            if (_reserved + records > limits.OwampMaxRecords)
                return $"owamp-max-records {limits.OwampMaxRecords} reached ({_reserved} held by other sessions, {records} asked)";
            _reserved += records;
            return null;
        }
    }

    /// <summary>Gives back a reservation that never became a result.</summary>
    public void Unreserve(long records)
    {
        lock (_bySid) _reserved -= records;
    }

    public void Add(OwampResult result)
    {
        lock (_bySid) _bySid[SessionId.ToHex(result.Sid)] = result;
    }

    /// <summary>
    /// A result has ended: its reservation shrinks to the records it keeps (and its slots, which stay with
    /// the reproduction: at least one, so kept results stay bounded). A session stopped early, or
    /// whose connection broke before Start-Sessions, does not hold its Number of Packets of the budget
    /// for <c>owamp-keep-results</c> (RFC 4656 §6.5: "When resources are reclaimed, corresponding
    /// measures are subtracted from the current use").
    /// </summary>
    public void Ended(OwampResult result)
    {
        lock (_bySid)
        {
            if (!_bySid.TryGetValue(SessionId.ToHex(result.Sid), out var held) || !ReferenceEquals(held, result)) return;
            int kept = result.Records.Length + result.Reproduction.Slots.Count;
            if (kept >= result.ReservedRecords) return;
            _reserved -= result.ReservedRecords - kept;
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
            if (_bySid.Remove(SessionId.ToHex(result.Sid))) _reserved -= result.ReservedRecords;
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
            _reserved -= _bySid[key].ReservedRecords;
            _bySid.Remove(key);
        }
    }
}
