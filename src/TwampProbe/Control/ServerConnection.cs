using System.Net;
using TwampProbe.Diagnostics;
using TwampProbe.Protocol.Crypto;
using TwampProbe.Protocol.Wire;
using TwampProbe.Protocol.Wire.Control;
using TwampProbe.Sessions;

namespace TwampProbe.Control;

/// <summary>
/// The Server side of one TWAMP-Control connection (RFC 5357 §3, RFC 4656 §3): greeting and
/// security set-up (<c>ServerConnection.Setup.cs</c>), then the command loop and sessions
/// (<c>ServerConnection.Sessions.cs</c>). A violation ends this connection only; every other
/// connection keeps being served.
/// </summary>
public sealed partial class ServerConnection : IDisposable
{
    readonly ControlChannel _channel;
    readonly ServerContext _ctx;
    readonly IPEndPoint _local;
    readonly IPEndPoint _remote;
    readonly string _prefixKey;
    readonly List<SessionEntry> _sessions = [];
    readonly CancellationTokenSource _cts = new();
    readonly long _openedNs;
    SessionKeys? _keys;
    TwampModes _mode;
    string _identity = "";
    long _lastActivityNs;
    volatile string _outcome = "closed";
    volatile bool _setUp;
    volatile bool _evicted;
    /// <summary>Set-Up-Response received: the peer is a TWAMP client, not a scan.</summary>
    bool _saidSomething;
    /// <summary>Requests refused on this connection: the first is logged, the rest only counted.</summary>
    int _refusals;
    /// <summary>RFC 4656 §3.4: between Start-Sessions and Stop-Sessions the server "is said to be
    /// conducting active measurements"; the only command then available is Stop-Sessions.</summary>
    volatile bool _active;
    /// <summary>Sessions of the current Start-Sessions that REFWAIT ended: the client still counts
    /// them in Stop-Sessions (it cannot know).</summary>
    int _endedByRefWait;

    sealed record SessionEntry(ReflectorSession Session, ReflectorSocket Socket, string PrefixKey);

    public ServerConnection(Stream stream, ServerContext ctx, IPEndPoint local, IPEndPoint remote)
    {
        _channel = new ControlChannel(stream);
        _ctx = ctx;
        _local = Normalize(local);
        _remote = Normalize(remote);
        _prefixKey = ctx.PrefixKey(_remote.Address);
        _openedNs = ctx.Time.MonotonicNanoseconds;
        _lastActivityNs = _openedNs;
    }

    public TwampModes Mode => _mode;
    public IPEndPoint Remote => _remote;
    public string PrefixKey => _prefixKey;
    /// <summary>Monotonic time of the last command (or of the connect).</summary>
    public long LastActivityNs => Volatile.Read(ref _lastActivityNs);
    public long OpenedNs => _openedNs;

    /// <summary>
    /// May this connection give way to a new one when the connection table is full? Every connection
    /// that is not measuring: not set up, or set up but between Stop-Sessions and the next
    /// Start-Sessions (sessions requested and never started protect nothing).
    /// </summary>
    public bool Evictable => !_setUp || !_active;

    /// <summary>Closes this connection to make room for another (any thread).</summary>
    public void Evict(string why)
    {
        _evicted = true;
        _outcome = $"closed to make room: {why}";
        try { _cts.Cancel(); } catch (ObjectDisposedException) { }
    }

    static IPEndPoint Normalize(IPEndPoint ep) =>
        ep.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(ep.Address.MapToIPv4(), ep.Port) : ep;

    /// <summary>Serves the connection until the peer closes it, a violation, SERVWAIT or <paramref name="ct"/>.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, _cts.Token);
        var token = linked.Token;
        Touch();
        var watchdog = WatchdogAsync(token);
        try
        {
            if (await SetupAsync(token).ConfigureAwait(false))
            {
                _setUp = true;
                await CommandLoopAsync(token).ConfigureAwait(false);
            }
        }
        catch (ControlConnectionClosedException)
        {
            _outcome = "closed by client";
        }
        catch (ControlProtocolException e)
        {
            Interlocked.Increment(ref _ctx.Counters.ProtocolErrors);
            _outcome = $"protocol error: {e.Message}";
        }
        catch (OperationCanceledException)
        {
            _outcome = _cts.IsCancellationRequested ? _outcome : "server shutting down";
        }
        catch (IOException e)
        {
            _outcome = _cts.IsCancellationRequested ? _outcome : $"connection lost: {e.InnerException?.Message ?? e.Message}";
        }
        catch (ObjectDisposedException) when (_cts.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            // A bug, never a peer's doing: this connection ends, every other one is still served.
            Interlocked.Increment(ref _ctx.Counters.InternalErrors);
            _outcome = $"internal error: {e.GetType().Name}: {e.Message}";
        }
        finally
        {
            _cts.Cancel();
            try { await watchdog.ConfigureAwait(false); } catch (OperationCanceledException) { }
            TearDown();
            // Connections that never sent a Set-Up-Response (port scans, connect floods) or that were
            // closed to make room log at debug; the rest through a budget, so a stranger cannot flood the log.
            var line = $"control {_remote}: mode={(_mode == TwampModes.None ? "-" : _mode.Name())}" +
                     $"{(_identity.Length > 0 ? $" key={_identity}" : "")} sessions={_sessionsAccepted}" +
                     $" reflected={_reflected} {DroppedText()}{(_refusals > 1 ? $" refusals={_refusals}" : "")}: {_outcome}";
            if (_evicted || !_saidSomething) Log.Debug(line);
            else _ctx.ConnectionLog.Write(line);
        }
    }

    int _sessionsAccepted;
    long _reflected;
    readonly long[] _dropped = new long[Enum.GetValues<DropReason>().Length];

    void Account(ReflectorSession s)
    {
        _reflected += Volatile.Read(ref s.Reflected);
        for (int i = 0; i < _dropped.Length; i++) _dropped[i] += Volatile.Read(ref s.Dropped[i]);
    }

    /// <summary>"dropped=3 (bad-hmac=2 runt=1)" — only the reasons that occurred.</summary>
    string DroppedText()
    {
        long total = _dropped.Sum();
        if (total == 0) return "dropped=0";
        var parts = Enum.GetValues<DropReason>().Where(r => _dropped[(int)r] > 0).Select(r => $"{DropReasons.Name(r)}={_dropped[(int)r]}");
        return $"dropped={total} ({string.Join(" ", parts)})";
    }

    long Now => _ctx.Time.MonotonicNanoseconds;

    void Touch() => Volatile.Write(ref _lastActivityNs, Now);

    /// <summary>How often the watchdog looks; every deadline it checks is in whole seconds.</summary>
    internal static TimeSpan WatchdogPeriod = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// On the monotonic clock: the set-up deadline (a connection that has not finished set-up in
    /// setup-timeout is closed); SERVWAIT (RFC 5357 §3.1: close a control connection idle that long,
    /// suspended while sessions run); REFWAIT (§4.2: end a started session that received nothing
    /// that long). Sessions that were stopped are released once their Timeout has passed.
    /// </summary>
    async Task WatchdogAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(WatchdogPeriod);
        while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
        {
            long now = Now;
            var limits = _ctx.Settings.Limits;
            if (!_setUp)
            {
                if (now - _openedNs > (long)limits.SetupTimeout.TotalNanoseconds)
                {
                    Interlocked.Increment(ref _ctx.Counters.SetupTimeouts);
                    _outcome = $"set-up not completed within setup-timeout {limits.SetupTimeout.TotalSeconds:0} s";
                    _cts.Cancel();
                    return;
                }
                continue;
            }
            bool anyRunning = false;
            lock (_sessions)
            {
                for (int i = _sessions.Count - 1; i >= 0; i--)
                {
                    var s = _sessions[i].Session;
                    if (s.State == SessionState.Started)
                    {
                        if (now - s.LastPacketNs > (long)limits.RefWait.TotalNanoseconds)
                        {
                            Log.Info($"control {_remote}: session {SessionId.ToHex(s.Sid)} got no packet for REFWAIT {limits.RefWait.TotalSeconds:0} s; ended");
                            s.Stop(now - s.TimeoutNs - 1);
                            _endedByRefWait++;
                        }
                        else anyRunning = true;
                    }
                    if (s.State == SessionState.Stopping && now > s.StopDeadlineNs)
                    {
                        Account(s);
                        Release(_sessions[i]);
                        _sessions.RemoveAt(i);
                    }
                }
            }
            if (!anyRunning && now - LastActivityNs > (long)limits.ServWait.TotalNanoseconds)
            {
                _outcome = $"idle for SERVWAIT {limits.ServWait.TotalSeconds:0} s";
                _cts.Cancel();
                return;
            }
        }
    }

    /// <summary>Hands the session to the reflector engine, which frees it on its own thread.</summary>
    void Release(SessionEntry e)
    {
        _ctx.Engine.Detach(e.Socket, e.Session);
        _ctx.ReleaseSession(e.PrefixKey);
    }

    /// <summary>
    /// Sessions that were not stopped die with the connection; stopped ones keep reflecting until
    /// their Timeout and are released then.
    /// </summary>
    void TearDown()
    {
        List<SessionEntry> lingering = [];
        long now = Now;
        lock (_sessions)
        {
            foreach (var e in _sessions)
            {
                Account(e.Session);
                if (e.Session.State == SessionState.Stopping && e.Session.StopDeadlineNs > now) lingering.Add(e);
                else Release(e);
            }
            _sessions.Clear();
        }
        foreach (var e in lingering)
        {
            var delay = TimeSpan.FromTicks(Math.Max(0, (e.Session.StopDeadlineNs - now) / 100));
            _ = Task.Delay(delay).ContinueWith(_ => Release(e), TaskScheduler.Default);
        }
        _keys?.Dispose();
        _channel.Dispose();
    }

    public void Dispose() => _cts.Dispose();
}
