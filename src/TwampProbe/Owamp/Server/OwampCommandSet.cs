using TwampProbe.Control;
using TwampProbe.Diagnostics;
using TwampProbe.Owamp.Test;
using TwampProbe.Protocol.Wire;
using TwampProbe.Protocol.Wire.Owamp.Control;

namespace TwampProbe.Owamp.Server;

/// <summary>
/// The OWAMP-Control command set (RFC 4656 §3.4-3.9) over the shared greeting and set-up of
/// <see cref="ServerConnection"/>: Request-Session in both directions (<c>.Requests.cs</c>),
/// Start-Sessions and Stop-Sessions from either side (<c>.Stop.cs</c>), Fetch-Session (<c>.Fetch.cs</c>).
/// Modes 1, 2 and 4 (mixed mode is TWAMP's, RFC 5618). The test sessions run on threads of their own
/// (<see cref="OwampServerSession"/>); this class runs on the connection's task, and the watchdog calls
/// <see cref="Tick"/>.
/// </summary>
public sealed partial class OwampCommandSet(ServerConnection connection) : IControlCommandSet
{
    readonly ServerConnection _c = connection;
    readonly ServerContext _ctx = connection.Context;
    /// <summary>Sessions accepted on this connection and not yet released. Guarded by itself.</summary>
    readonly List<OwampServerSession> _sessions = [];
    /// <summary>One writer at a time on the control stream: the command loop and this side's own Stop-Sessions.</summary>
    readonly SemaphoreSlim _write = new(1, 1);
    /// <summary>RFC 4656 §3.4: from Start-Sessions "until it both sends and receives ... the Stop-Sessions
    /// command" the server is conducting active measurements; only Stop-Sessions is available then.</summary>
    volatile bool _active;
    bool _clientStopped, _serverStopped;
    Task _ownStop = Task.CompletedTask;
    CancellationTokenSource? _measurement;
    int _accepted;
    long _sent, _received, _droppedTotal;
    readonly long[] _dropped = new long[OwampDropReasons.Count];

    public TwampModes SupportedModes => TwampModes.Unauthenticated | TwampModes.Authenticated | TwampModes.Encrypted;

    /// <summary>
    /// Between Start-Sessions and both Stop-Sessions with a test engine still running: a Start-Sessions
    /// with no session (or whose sessions have all completed) measures nothing and protects nothing —
    /// else a few hosts could hold the whole connection table with Start-Sessions alone until SERVWAIT.
    /// </summary>
    public bool Measuring
    {
        get
        {
            if (!_active) return false;
            lock (_sessions) return _sessions.Exists(s => s.Running);
        }
    }

    public string Summary => $"owamp sessions={_accepted} sent={_sent} received={_received} {DroppedText()}";

    string DroppedText()
    {
        if (_droppedTotal == 0) return "dropped=0";
        var parts = Enumerable.Range(0, _dropped.Length).Where(i => _dropped[i] > 0)
            .Select(i => $"{OwampDropReasons.Name((OwampDropReason)i)}={_dropped[i]}");
        return $"dropped={_droppedTotal} ({string.Join(" ", parts)})";
    }

    /// <summary>
    /// Reads commands until the client closes. RFC 4656 gives no rule for an unknown Command Number;
    /// like owampd, the connection is closed (there is no message in which to refuse it).
    /// </summary>
    public async Task CommandLoopAsync(CancellationToken ct)
    {
        var block = new byte[OwampBlocks.Size];
        while (true)
        {
            await _c.Channel.ReadBlocksAsync(block, ct).ConfigureAwait(false);
            switch ((OwampCommand)block[0])
            {
                case OwampCommand.RequestSession:
                    await HandleRequestAsync(block, ct).ConfigureAwait(false);
                    break;
                case OwampCommand.StartSessions:
                    await _c.Channel.ReadAndVerifyHmacAsync("Start-Sessions", ct).ConfigureAwait(false);
                    await HandleStartAsync(ct).ConfigureAwait(false);
                    break;
                case OwampCommand.StopSessions:
                    if (!await HandleStopAsync(block, ct).ConfigureAwait(false)) return;
                    break;
                case OwampCommand.FetchSession:
                    await HandleFetchAsync(block, ct).ConfigureAwait(false);
                    break;
                default:
                    throw ControlProtocolExceptionFor($"unexpected OWAMP command {block[0]}");
            }
        }
    }

    /// <summary>Writes one sealed message (or several parts) under the write lock.</summary>
    async Task WriteAsync(Func<Task> write, CancellationToken ct)
    {
        await _write.WaitAsync(ct).ConfigureAwait(false);
        try { await write().ConfigureAwait(false); }
        finally { _write.Release(); }
    }

    /// <summary>
    /// Results expire on the watchdog's clock too. True while a test session's engine runs and carries
    /// traffic: SERVWAIT waits for it, but not for a client that never sends its Stop-Sessions after the
    /// sessions ended, nor for a session without a test packet for REFWAIT (RFC 5357 §3.1, §4.2, the
    /// TWAMP timers; RFC 4656 has none) — else a Start Time decades ahead or a Timeout of 2^32 s would
    /// keep an idle, unevictable connection and its sessions for ever.
    /// </summary>
    public bool Tick(long nowNs)
    {
        var limits = _ctx.Settings.Limits;
        _ctx.OwampResults.Sweep(limits, nowNs);
        if (!_active) return false;
        long refWait = (long)limits.RefWait.TotalNanoseconds;
        bool any = false;
        lock (_sessions)
            foreach (var s in _sessions) any |= s.CarriesTraffic(nowNs, refWait);
        return any;
    }

    /// <summary>
    /// The connection has ended. Running sessions stop; a receive session that was not stopped by
    /// Stop-Sessions "MAY be considered invalid" (RFC 4656 §3.8): its results are kept as terminated
    /// abnormally — a range can be fetched, the complete session cannot.
    /// </summary>
    public void TearDown()
    {
        List<OwampServerSession> all;
        lock (_sessions) { all = [.. _sessions]; _sessions.Clear(); }
        try { _measurement?.Cancel(); } catch (ObjectDisposedException) { }
        foreach (var s in all) s.Cancel();
        foreach (var s in all)
        {
            // Hand-over: the engine's thread ends within ~100 ms; the session is finished after it.
            _ = s.Completion.ContinueWith(_ => Release(s, abnormal: "the control connection closed before Stop-Sessions"), TaskScheduler.Default);
        }
    }

    /// <summary>Frees a session after its engine's thread has ended; a receive session that was not stopped ends abnormally.</summary>
    void Release(OwampServerSession s, string? abnormal)
    {
        try
        {
            if (s.Receiver is { } r)
            {
                if (s.Result is { State: OwampResultState.Running } result)
                {
                    result.End(OwampResultState.Abnormal, r.Store.Received.ToArray(), (uint)Math.Max(0, r.Store.Highest + 1), [], _c.Now, abnormal);
                    _ctx.OwampResults.Ended(result);
                }
                Count(r);
            }
            if (s.Sender is { } snd)
            {
                Interlocked.Add(ref _sent, snd.PacketsSent);
                _ctx.OwampResults.Unreserve(snd.Spec.Slots.Count, s.PrefixKey);
            }
        }
        finally
        {
            s.Dispose();
            s.Bandwidth?.End();
            _ctx.ReleaseSession(s.PrefixKey);
        }
    }

    void Count(OwampTestReceiver r)
    {
        Interlocked.Add(ref _received, r.Accepted);
        for (int i = 0; i < _dropped.Length; i++)
        {
            long d = r.Dropped((OwampDropReason)i);
            Interlocked.Add(ref _dropped[i], d);
            Interlocked.Add(ref _droppedTotal, d);
            Interlocked.Add(ref _ctx.Counters.OwampTestPacketsDropped, d);
        }
    }

    static Exception ControlProtocolExceptionFor(string message) => new Protocol.Wire.Control.ControlProtocolException(message);

    void LogDebug(string what) => Log.Debug($"owamp {_c.Remote}: {what}");
}
