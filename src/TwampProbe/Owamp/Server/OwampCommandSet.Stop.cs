using TwampProbe.Diagnostics;
using TwampProbe.Protocol.Wire;
using TwampProbe.Protocol.Wire.Control;
using TwampProbe.Protocol.Wire.Owamp.Control;

namespace TwampProbe.Owamp.Server;

public sealed partial class OwampCommandSet
{
    /// <summary>What the server adds to the sessions' completion before its own Stop-Sessions (50 ms, as owping).</summary>
    const long StopIncrementNs = 50_000_000;

    /// <summary>
    /// Start-Sessions → Start-Ack at once ("SHOULD be sent as quickly as possible"), then every session
    /// starts: the server "SHOULD start all OWAMP-Test streams immediately after it sends the response
    /// or immediately after their specified start times, whichever is later" (RFC 4656 §3.7) — the
    /// sender waits for each packet's scheduled time and skips those more than Timeout late (§4.1.1).
    /// </summary>
    async Task HandleStartAsync(CancellationToken ct)
    {
        if (_active)
        {
            // RFC 4656 §3.4: only Stop-Sessions while conducting active measurements.
            Interlocked.Increment(ref _ctx.Counters.ProtocolErrors);
            _c.LogRefusal($"owamp {_c.Remote}: Start-Sessions while sessions are running (RFC 4656 §3.4): Start-Ack Accept=3");
            await WriteAsync(() => WriteShortAsync(d => ShortControlMessage.WriteStartAck(d, AcceptCode.NotSupported), ct), ct).ConfigureAwait(false);
            return;
        }
        List<OwampServerSession> sessions;
        lock (_sessions) sessions = [.. _sessions];
        _active = true;
        _clientStopped = _serverStopped = false;
        _measurement?.Dispose();
        _measurement = CancellationTokenSource.CreateLinkedTokenSource(ct);
        await WriteAsync(() => WriteShortAsync(d => ShortControlMessage.WriteStartAck(d, AcceptCode.Ok), ct), ct).ConfigureAwait(false);
        foreach (var s in sessions) s.Start();
        _c.Touch();
        _ownStop = StopWhenCompleteAsync(sessions, _measurement.Token);
    }

    async Task WriteShortAsync(Action<Span<byte>> write, CancellationToken ct)
    {
        var bytes = new byte[ShortControlMessage.Size];
        write(bytes);
        await _c.Channel.WriteWithHmacAsync(bytes, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// This side's Stop-Sessions once every session is complete: "each side of the control connection
    /// SHOULD wait until all sessions are complete before sending the Stop-Sessions message. The
    /// completed time of each session is determined as Timeout after the scheduled time for the last
    /// sequence number" (RFC 4656 §3.8). Without send sessions the server waits for the client's.
    /// </summary>
    async Task StopWhenCompleteAsync(List<OwampServerSession> sessions, CancellationToken ct)
    {
        try
        {
            var sends = sessions.Where(s => s.Sends).ToList();
            if (sends.Count == 0) return;
            long complete = await Task.Run(() => sessions.Max(s => s.CompleteUnixNanoseconds()), ct).ConfigureAwait(false);
            await Task.WhenAll(sends.Select(s => s.Completion)).WaitAsync(ct).ConfigureAwait(false);
            // The wall-clock completion time becomes a monotonic wait once, here, rounded up and with a
            // small increment ("MAY add a small increment", §3.8): a Stop-Sessions that arrives even
            // 0.5 ms early makes the client's receiver discard the last packets sent within Timeout.
            long wait = complete - _ctx.Time.UnixNanoseconds + StopIncrementNs;
            if (wait > 0) await Task.Delay(TimeSpan.FromTicks(Math.Min((wait + 99) / 100, TimeSpan.FromHours(24).Ticks)), ct).ConfigureAwait(false);
            await SendOwnStopAsync(AcceptCode.Ok, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) { }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            Log.Debug($"owamp {_c.Remote}: Stop-Sessions not sent: {e.Message}");
        }
    }

    /// <summary>
    /// This side's Stop-Sessions: one record per send session not yet stopped, with its Next Seqno and
    /// Skip Ranges (RFC 4656 §3.8). "The party that initiates this command MUST stop its OWAMP-Test send
    /// streams ... before sending this command": the senders are stopped and awaited first. Once only.
    /// </summary>
    async Task SendOwnStopAsync(AcceptCode accept, CancellationToken ct)
    {
        List<OwampServerSession> sends;
        lock (_sessions) sends = _sessions.Where(s => s.Sends && !s.Stopped).ToList();
        foreach (var s in sends) s.Cancel();
        await Task.WhenAll(sends.Select(s => s.Completion)).ConfigureAwait(false);
        await _write.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_serverStopped) return;
            _serverStopped = true;
            var stop = new StopSessions(accept, [.. sends.Select(s => s.StopRecord())]);
            var bytes = new byte[stop.Length];
            stop.Write(bytes);
            await _c.Channel.WriteWithHmacAsync(bytes, ct).ConfigureAwait(false);
        }
        finally { _write.Release(); }
        foreach (var s in sends)
        {
            s.Stopped = true;
            ReleaseIfMine(s);
        }
        FinishIfBothStopped();
    }

    /// <summary>
    /// The client's Stop-Sessions (RFC 4656 §3.8). "Number of Sessions MUST contain the number of send
    /// sessions started by the local side ... that have not been previously terminated": the client's
    /// send sessions are this server's receive sessions. A message that does not account for exactly
    /// those "is to be considered invalid and the connection SHOULD be closed": false closes it.
    /// Each record ends its receive session with the sender's Next Seqno and Skip Ranges; then, if it
    /// has not yet, this side answers with its own Stop-Sessions.
    /// </summary>
    async Task<bool> HandleStopAsync(byte[] header, CancellationToken ct)
    {
        var (accept, count) = StopSessions.ParseHeader(header);
        List<OwampServerSession> receives;
        lock (_sessions) receives = _sessions.Where(s => !s.Sends && !s.Stopped).ToList();
        // Read the records (bounded by the count that can be right), then the HMAC, before acting on any.
        if (count != receives.Count)
        {
            Interlocked.Increment(ref _ctx.Counters.ProtocolErrors);
            _c.Outcome = $"protocol error: Stop-Sessions says {count} session(s), the client sends {receives.Count} (RFC 4656 §3.8)";
            return false;
        }
        var records = new List<StopSessionRecord>();
        for (uint i = 0; i < count; i++)
        {
            var first = new byte[StopSessionRecord.MinimumSize];
            await _c.Channel.ReadBlocksAsync(first, ct).ConfigureAwait(false);
            uint skips = StopSessionRecord.ReadSkipCount(first);
            var expected = receives.FirstOrDefault(s => s.Sid.AsSpan().SequenceEqual(first.AsSpan(0, SessionId.Length)));
            // Skip Ranges can only lie below Number of Packets, in order: at most one per two packets.
            if (expected is null || skips > expected.Spec.Packets / 2 + 1)
            {
                Interlocked.Increment(ref _ctx.Counters.ProtocolErrors);
                _c.Outcome = expected is null
                    ? $"protocol error: Stop-Sessions names session {SessionId.ToHex(first.AsSpan(0, SessionId.Length))}, not one the client sends (RFC 4656 §3.8)"
                    : $"protocol error: Stop-Sessions record with {skips} skip ranges for {expected.Spec.Packets} packets";
                return false;
            }
            var whole = new byte[StopSessionRecord.SizeFor(skips)];
            first.CopyTo(whole, 0);
            if (whole.Length > first.Length) await _c.Channel.ReadBlocksAsync(whole.AsMemory(first.Length), ct).ConfigureAwait(false);
            records.Add(StopSessionRecord.Parse(whole));
        }
        await _c.Channel.ReadAndVerifyHmacAsync("Stop-Sessions", ct).ConfigureAwait(false);
        if (!_active)
        {
            // No measurement to stop (RFC 4656 §3.4 allows Stop-Sessions only after Start-Sessions).
            Interlocked.Increment(ref _ctx.Counters.ProtocolErrors);
            _c.Outcome = "protocol error: Stop-Sessions before Start-Sessions";
            return false;
        }
        if (records.DistinctBy(r => SessionId.ToHex(r.Sid)).Count() != records.Count)
        {
            Interlocked.Increment(ref _ctx.Counters.ProtocolErrors);
            _c.Outcome = "protocol error: Stop-Sessions lists a session twice (RFC 4656 §3.8)";
            return false;
        }
        _c.Touch();
        long stopWall = _ctx.Time.UnixNanoseconds;
        _clientStopped = true;
        if (accept != AcceptCode.Ok) Log.Info($"owamp {_c.Remote}: client stopped sessions with Accept={(int)accept} (results invalid, RFC 4656 §3.8)");
        foreach (var record in records)
        {
            var s = receives.First(x => x.Sid.AsSpan().SequenceEqual(record.Sid));
            s.Stopped = true;
            s.Cancel();
            await s.Completion.ConfigureAwait(false);
            Finish(s, record, accept, stopWall);
            ReleaseIfMine(s);
        }
        // RFC 4656 §3.8: the party that did not initiate answers with its own Stop-Sessions.
        await SendOwnStopAsync(AcceptCode.Ok, ct).ConfigureAwait(false);
        FinishIfBothStopped();
        return true;
    }

    /// <summary>Ends a receive session with the sender's record: results valid, or abnormal with the reason.</summary>
    void Finish(OwampServerSession s, StopSessionRecord record, AcceptCode accept, long stopWall)
    {
        var receiver = s.Receiver!;
        var result = receiver.Complete(record.NextSeqno, record.SkipRanges, stopWall);
        string? why = accept != AcceptCode.Ok ? $"Stop-Sessions with Accept={(int)accept}" : result.Invalid;
        s.Result!.End(why is null ? OwampResultState.Finished : OwampResultState.Abnormal, result.Records, record.NextSeqno, result.SkipRanges, _c.Now, why);
        _ctx.OwampResults.Ended(s.Result);
        LogDebug($"receive session {SessionId.ToHex(s.Sid)} ended: {result.Records.Length} records, {result.Lost} lost" +
                (why is null ? "" : $", results invalid: {why}"));
    }

    /// <summary>Releases a session unless <see cref="TearDown"/> already took it (exactly one release).</summary>
    void ReleaseIfMine(OwampServerSession s)
    {
        bool mine;
        lock (_sessions) mine = _sessions.Remove(s);
        if (mine) Release(s, abnormal: null);
    }

    void FinishIfBothStopped()
    {
        if (!(_clientStopped && _serverStopped)) return;
        _active = false;
        try { _measurement?.Cancel(); } catch (ObjectDisposedException) { }
        _c.Touch();
    }
}
