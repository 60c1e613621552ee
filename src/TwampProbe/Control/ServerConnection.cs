using System.Net;
using TwampProbe.Diagnostics;
using TwampProbe.Linux.Time;
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
    readonly List<SessionEntry> _sessions = [];
    readonly CancellationTokenSource _cts = new();
    SessionKeys? _keys;
    TwampModes _mode;
    string _identity = "";
    long _lastActivityNs;
    string _outcome = "closed";

    sealed record SessionEntry(ReflectorSession Session, ReflectorSocket Socket);

    public ServerConnection(Stream stream, ServerContext ctx, IPEndPoint local, IPEndPoint remote)
    {
        _channel = new ControlChannel(stream);
        _ctx = ctx;
        _local = Normalize(local);
        _remote = Normalize(remote);
    }

    public TwampModes Mode => _mode;

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
                await CommandLoopAsync(token).ConfigureAwait(false);
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
            _outcome = _cts.IsCancellationRequested ? _outcome : $"connection lost: {e.Message}";
        }
        finally
        {
            _cts.Cancel();
            try { await watchdog.ConfigureAwait(false); } catch (OperationCanceledException) { }
            TearDown();
            Log.Info($"control {_remote}: mode={(_mode == TwampModes.None ? "-" : _mode.Name())}" +
                     $"{(_identity.Length > 0 ? $" key={_identity}" : "")} sessions={_sessionsAccepted}" +
                     $" reflected={_reflected} {DroppedText()}: {_outcome}");
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

    void Touch() => Volatile.Write(ref _lastActivityNs, RealtimeClock.UnixNanoseconds());

    /// <summary>
    /// SERVWAIT (RFC 5357 §3.1): close a control connection idle that long, suspended while sessions
    /// run. REFWAIT (§4.2): end a started session that received nothing that long. Sessions that
    /// were stopped are released once their Timeout has passed.
    /// </summary>
    async Task WatchdogAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(250));
        while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
        {
            long now = RealtimeClock.UnixNanoseconds();
            var limits = _ctx.Settings.Limits;
            bool anyRunning = false;
            lock (_sessions)
            {
                for (int i = _sessions.Count - 1; i >= 0; i--)
                {
                    var s = _sessions[i].Session;
                    if (s.State == SessionState.Started)
                    {
                        if (now - s.LastPacketNs > limits.RefWait.Ticks * 100)
                        {
                            Log.Info($"control {_remote}: session {SessionId.ToHex(s.Sid)} got no packet for REFWAIT {limits.RefWait.TotalSeconds:0} s; ended");
                            s.Stop(now - s.TimeoutNs - 1);
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
            if (!anyRunning && now - Volatile.Read(ref _lastActivityNs) > limits.ServWait.Ticks * 100)
            {
                _outcome = $"idle for SERVWAIT {limits.ServWait.TotalSeconds:0} s";
                _cts.Cancel();
                return;
            }
        }
    }

    void Release(SessionEntry e)
    {
        _ctx.Engine.Detach(e.Socket, e.Session);
        e.Session.Dispose();
        _ctx.ReleaseSession();
    }

    /// <summary>
    /// Sessions that were not stopped die with the connection; stopped ones keep reflecting until
    /// their Timeout and are released then.
    /// </summary>
    void TearDown()
    {
        List<SessionEntry> lingering = [];
        lock (_sessions)
        {
            long now = RealtimeClock.UnixNanoseconds();
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
            var delay = TimeSpan.FromTicks(Math.Max(0, (e.Session.StopDeadlineNs - RealtimeClock.UnixNanoseconds()) / 100));
            _ = Task.Delay(delay).ContinueWith(_ => Release(e), TaskScheduler.Default);
        }
        _keys?.Dispose();
        _channel.Dispose();
    }

    public void Dispose() => _cts.Dispose();
}
