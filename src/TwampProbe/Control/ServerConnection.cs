using System.Net;
using TwampProbe.Diagnostics;
using TwampProbe.Protocol.Crypto;
using TwampProbe.Protocol.Wire;
using TwampProbe.Protocol.Wire.Control;
using TwampProbe.Sessions;

namespace TwampProbe.Control;

/// <summary>
/// The Server side of one control connection (RFC 4656 §3, RFC 5357 §3): greeting and security
/// set-up (<c>ServerConnection.Setup.cs</c>), shared by TWAMP and OWAMP, then the command set's loop
/// (<see cref="TwampCommandSet"/> or the OWAMP one). A violation ends this connection only; every other
/// connection keeps being served.
/// </summary>
public sealed partial class ServerConnection : IDisposable
{
    readonly ControlChannel _channel;
    readonly ServerContext _ctx;
    readonly IPEndPoint _local;
    readonly IPEndPoint _remote;
    readonly string _prefixKey;
    readonly CancellationTokenSource _cts = new();
    readonly long _openedNs;
    readonly IControlCommandSet _commands;
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

    /// <summary>A TWAMP-Control connection (RFC 5357).</summary>
    public ServerConnection(Stream stream, ServerContext ctx, IPEndPoint local, IPEndPoint remote)
        : this(stream, ctx, local, remote, c => new TwampCommandSet(c))
    {
    }

    /// <summary>A control connection serving the command set <paramref name="commands"/> makes for it.</summary>
    public ServerConnection(Stream stream, ServerContext ctx, IPEndPoint local, IPEndPoint remote, Func<ServerConnection, IControlCommandSet> commands)
    {
        _channel = new ControlChannel(stream);
        _ctx = ctx;
        _local = Normalize(local);
        _remote = Normalize(remote);
        _prefixKey = ctx.PrefixKey(_remote.Address);
        _openedNs = ctx.Time.MonotonicNanoseconds;
        _lastActivityNs = _openedNs;
        _commands = commands(this);
    }

    public TwampModes Mode => _mode;
    public IPEndPoint Remote => _remote;
    public IPEndPoint Local => _local;
    public string PrefixKey => _prefixKey;
    /// <summary>Monotonic time of the last command (or of the connect).</summary>
    public long LastActivityNs => Volatile.Read(ref _lastActivityNs);
    public long OpenedNs => _openedNs;

    // --- for the command sets ---
    internal ControlChannel Channel => _channel;
    internal ServerContext Context => _ctx;
    /// <summary>The control session keys (modes 2, 4, 8); null in mode 1.</summary>
    internal SessionKeys? Keys => _keys;
    /// <summary>What the closing line will say happened.</summary>
    internal string Outcome { set => _outcome = value; }

    /// <summary>The first refusal on a connection is logged at info, the rest at debug and counted on
    /// the connection's closing line (refusals=N): a peer cannot flood the log with bad requests.</summary>
    internal void LogRefusal(string line)
    {
        if (_refusals++ == 0) _ctx.ConnectionLog.Write(line);
        else Log.Debug(line);
    }

    /// <summary>
    /// May this connection give way to a new one when the connection table is full? Every connection
    /// that is not measuring: not set up, or set up but between Stop-Sessions and the next
    /// Start-Sessions (sessions requested and never started protect nothing).
    /// </summary>
    public bool Evictable => !_setUp || !_commands.Measuring;

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
                await _commands.CommandLoopAsync(token).ConfigureAwait(false);
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
                     $"{(_identity.Length > 0 ? $" key={_identity}" : "")} {_commands.Summary}" +
                     $"{(_refusals > 1 ? $" refusals={_refusals}" : "")}: {_outcome}";
            if (_evicted || !_saidSomething) Log.Debug(line);
            else _ctx.ConnectionLog.Write(line);
        }
    }

    internal long Now => _ctx.Time.MonotonicNanoseconds;

    /// <summary>Progress: restarts the SERVWAIT idle time.</summary>
    internal void Touch() => Volatile.Write(ref _lastActivityNs, Now);

    /// <summary>How often the watchdog looks; every deadline it checks is in whole seconds.</summary>
    internal static TimeSpan WatchdogPeriod = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// On the monotonic clock: the set-up deadline (a connection that has not finished set-up in
    /// setup-timeout is closed); SERVWAIT (RFC 5357 §3.1: close a control connection idle that long,
    /// suspended while sessions run). The command set's own deadlines (TWAMP's REFWAIT, session
    /// Timeouts) run from <see cref="IControlCommandSet.Tick"/>.
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
            bool anyRunning = _commands.Tick(now);
            if (!anyRunning && now - LastActivityNs > (long)limits.ServWait.TotalNanoseconds)
            {
                _outcome = $"idle for SERVWAIT {limits.ServWait.TotalSeconds:0} s";
                _cts.Cancel();
                return;
            }
        }
    }

    /// <summary>The command set releases its sessions; then the keys and the stream go.</summary>
    void TearDown()
    {
        _commands.TearDown();
        _keys?.Dispose();
        _channel.Dispose();
    }

    public void Dispose() => _cts.Dispose();
}
