using System.Net;
using System.Net.Sockets;
using TwampProbe.Config;
using TwampProbe.Diagnostics;
using TwampProbe.Protocol.Wire;
using TwampProbe.Protocol.Wire.Control;
using TwampProbe.Sessions;

namespace TwampProbe.Control;

/// <summary>
/// Accepts TWAMP-Control connections on every listen address (TCP 862 by default, RFC 8545 §7)
/// and serves each on its own task; keeps the connection table within its limits. A full table (or
/// a full client prefix) first makes room by closing a connection that has not finished set-up or
/// holds no session, oldest activity first; only when every connection is busy measuring is the new
/// one refused, with a Server-Greeting whose Modes are 0 (RFC 4656 §3.1: "the server does not wish
/// to communicate with the client"). Refusals are counted and summarised once per interval.
/// </summary>
public sealed class TwampServer : IAsyncDisposable
{
    readonly ServerContext _ctx;
    readonly List<Socket> _listeners = [];
    readonly List<Socket> _owampListeners = [];
    readonly List<Task> _acceptLoops = [];
    readonly CancellationTokenSource _cts = new();
    readonly List<Slot> _table = [];
    readonly HashSet<Task> _connections = [];
    readonly RefusalSummary _refusals;
    readonly RateLimitedLog _acceptLog = new(LogLevel.Warn, TimeSpan.FromSeconds(60));
    readonly RateLimitedLog _recoveredLog = new(LogLevel.Info, TimeSpan.FromSeconds(60));
    readonly RateLimitedLog _errorLog = new(LogLevel.Error, TimeSpan.FromSeconds(60));
    ReflectorSocket? _light;
    readonly List<ReflectorSocket> _wellKnown = [];

    /// <summary>One entry of the connection table.</summary>
    sealed class Slot(ServerConnection connection)
    {
        public ServerConnection Connection { get; } = connection;
        public bool Released;
    }

    /// <summary>The UDP 862 test sockets bound at start-up.</summary>
    public IReadOnlyList<IPEndPoint> WellKnownTestEndPoints => _wellKnown.Select(s => s.LocalEndPoint).ToList();

    public TwampServer(ServerContext ctx, TimeSpan? refusalSummaryInterval = null, TimeSpan? dropSummaryInterval = null)
    {
        _ctx = ctx;
        _refusals = new RefusalSummary(refusalSummaryInterval ?? TimeSpan.FromSeconds(60));
        _dropInterval = dropSummaryInterval ?? TimeSpan.FromSeconds(60);
    }

    readonly TimeSpan _dropInterval;
    DropSummary? _drops;

    public IReadOnlyList<IPEndPoint> ListenEndPoints => _listeners.Select(l => (IPEndPoint)l.LocalEndPoint!).ToList();
    /// <summary>The OWAMP-Control listeners (TCP 861 by default, RFC 8545 §7); empty with <c>owamp no</c>.</summary>
    public IReadOnlyList<IPEndPoint> OwampListenEndPoints => _owampListeners.Select(l => (IPEndPoint)l.LocalEndPoint!).ToList();
    public IPEndPoint? LightEndPoint => _light?.LocalEndPoint;
    public ServerContext Context => _ctx;
    public int ConnectionCount { get { lock (_table) return _table.Count; } }

    const int SolSocket = 1, SoReuseAddr = 2;

    /// <summary>Binds every socket first (so errors surface before anything is served), then starts accepting.</summary>
    public void Start()
    {
        FitLimits(_ctx.Settings);
        var settings = _ctx.Settings;
        foreach (var ep in settings.Listen) _listeners.Add(Listen(ep, "TWAMP-Control"));
        // OWAMP-Control beside TWAMP (RFC 4656 §2, RFC 8545 §7): the same table, limits, keys and log.
        foreach (var (ep, configured) in settings.OwampEndPoints)
        {
            try { _owampListeners.Add(Listen(ep, "OWAMP-Control")); }
            catch (StartupException e) when (!configured)
            {
                // The default (port 861 on the listen addresses) is best effort: TWAMP is served regardless.
                Log.Warn($"{e.Message}; OWAMP-Control is not served there (set owamp-listen, or 'owamp no')");
            }
        }
        // RFC 8545 §5: UDP 862 is the TWAMP-Test receiver port. Bound now, while the process may
        // still hold the privilege for it, and shared by every session that asks for it.
        foreach (var ep in settings.WellKnownTestPort == 0 ? [] : settings.Listen)
        {
            var test = new IPEndPoint(ep.Address, settings.WellKnownTestPort);
            if (_ctx.Engine.FindSocket(test) is not null) continue;
            try { _wellKnown.Add(_ctx.Engine.Open(test, persistent: true)); }
            catch (SocketException e)
            {
                Log.Info($"UDP {test} unavailable ({e.Message}): sessions asking for it get an alternate port");
            }
        }
        if (settings.LightListen is { } light)
        {
            // Light on a port the server already serves (UDP 862): one socket for both. A packet from
            // a negotiated Session-Sender belongs to its session; any other from an allowed source is
            // reflected as Light.
            if (_wellKnown.FirstOrDefault(w => Covers(w.LocalEndPoint, light)) is { } shared)
            {
                shared.Light = new LightReflector(settings.Limits.LightAllow);
                _light = shared;
                Log.Info($"TWAMP Light on UDP {light} shares the TWAMP-Test socket UDP {shared.LocalEndPoint}");
            }
            else
            {
                try { _light = _ctx.Engine.Open(light, new LightReflector(settings.Limits.LightAllow)); }
                catch (SocketException e) { throw new StartupException($"cannot bind TWAMP Light UDP {light}: {e.Message}"); }
            }
        }
        _drops = new DropSummary(_ctx.Engine, _dropInterval);
        foreach (var l in _listeners) _acceptLoops.Add(AcceptLoopAsync(l, c => new TwampCommandSet(c), _cts.Token));
        foreach (var l in _owampListeners) _acceptLoops.Add(AcceptLoopAsync(l, c => new Owamp.Server.OwampCommandSet(c), _cts.Token));
    }

    /// <summary>A listening TCP socket on <paramref name="ep"/>; a bind failure stops the start with what to fix.</summary>
    static Socket Listen(IPEndPoint ep, string what)
    {
        var s = new Socket(ep.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (ep.AddressFamily == AddressFamily.InterNetworkV6 && ep.Address.Equals(IPAddress.IPv6Any)) s.DualMode = true;
            // SO_REUSEADDR alone (restart while old connections sit in TIME_WAIT). .NET's
            // ReuseAddress also sets SO_REUSEPORT on Linux, which would let a second daemon bind
            // the same port and take half of the new connections: that must fail with exit 5.
            s.SetRawSocketOption(SolSocket, SoReuseAddr, BitConverter.GetBytes(1));
            s.Bind(ep);
            s.Listen(128);
            return s;
        }
        catch (SocketException e)
        {
            s.Dispose();
            throw new StartupException($"cannot listen on TCP {ep}: {e.Message}" +
                (e.SocketErrorCode == SocketError.AccessDenied ? " (port below 1024: run as root or grant CAP_NET_BIND_SERVICE)" : "") +
                (what == "TWAMP-Control" ? "" : $" ({what})"));
        }
    }

    /// <summary>Does a socket bound to <paramref name="bound"/> receive what is sent to <paramref name="wanted"/>?</summary>
    static bool Covers(IPEndPoint bound, IPEndPoint wanted)
    {
        if (bound.Port != wanted.Port) return false;
        var b = bound.Address;
        var w = wanted.Address.IsIPv4MappedToIPv6 ? wanted.Address.MapToIPv4() : wanted.Address;
        if (b.Equals(w)) return true;
        if (b.Equals(IPAddress.IPv6Any)) return true; // dual-stack [::] receives IPv4 too
        return b.Equals(IPAddress.Any) && w.AddressFamily == AddressFamily.InterNetwork;
    }

    /// <summary>Applies reloaded limits; the Light allow-list is swapped in place.</summary>
    public void Reload(ServerSettings settings)
    {
        FitLimits(settings);
        settings = _ctx.Settings;
        _light?.Light?.SetAllow(settings.Limits.LightAllow);
    }

    /// <summary>Descriptor limit the session and connection limits must fit in (tests lower it).</summary>
    public Func<long> DescriptorLimit { get; init; } = DescriptorBudget.CurrentLimit;

    void FitLimits(ServerSettings settings)
    {
        long nofile = DescriptorLimit();
        var fitted = DescriptorBudget.Fit(settings.Limits, nofile, out var warning);
        if (warning is not null) Log.Warn(warning);
        else if (fitted != settings.Limits)
            Log.Info($"open-files limit {nofile}: max-connections {fitted.MaxConnections}, max-sessions {fitted.MaxSessions} " +
                     $"(reserve {ServerLimits.DescriptorReserve}; raise LimitNOFILE / ulimit -n for more)");
        _ctx.Settings = settings with { Limits = fitted };
    }

    async Task AcceptLoopAsync(Socket listener, Func<ServerConnection, IControlCommandSet> commands, CancellationToken ct)
    {
        int failures = 0;
        while (!ct.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) { return; }
            catch (ObjectDisposedException) { return; }
            catch (Exception e)
            {
                // EMFILE/ENFILE/ENOBUFS…: the pending connection stays queued and the next accept would
                // fail at once. Back off (10 ms doubling to 1 s), free a descriptor if an idle
                // connection can give way, log once a minute, and go on.
                failures++;
                Interlocked.Increment(ref _ctx.Counters.AcceptFailures);
                bool outOfDescriptors = e is SocketException { SocketErrorCode: SocketError.TooManyOpenSockets };
                _acceptLog.Write($"accept on {listener.LocalEndPoint}: {e.Message}; backing off" +
                                 (outOfDescriptors ? " (out of descriptors: raise the open-files limit or lower max-sessions/max-connections)" : ""));
                if (outOfDescriptors) EvictOne(null, "out of descriptors");
                try { await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(1000, 10 << Math.Min(failures - 1, 7))), ct).ConfigureAwait(false); }
                catch (OperationCanceledException) { return; }
                continue;
            }
            if (failures > 0)
            {
                _recoveredLog.Write($"accept on {listener.LocalEndPoint}: accepting again after {failures} failed attempt(s)");
                failures = 0;
            }
            try { Admit(client, commands, ct); }
            catch (Exception e)
            {
                Interlocked.Increment(ref _ctx.Counters.InternalErrors);
                _errorLog.Write($"control: internal error admitting a connection: {e.GetType().Name}: {e.Message}");
                client.Dispose();
            }
        }
    }

    /// <summary>Takes a connection into the table (making room if it can) or refuses it.</summary>
    void Admit(Socket client, Func<ServerConnection, IControlCommandSet> commands, CancellationToken ct)
    {
        client.NoDelay = true;
        var remote = (IPEndPoint)client.RemoteEndPoint!;
        var connection = new ServerConnection(new NetworkStream(client, ownsSocket: true), _ctx, (IPEndPoint)client.LocalEndPoint!, remote, commands);
        var key = connection.PrefixKey;
        var limits = _ctx.Settings.Limits;
        string? refusal = null;
        Slot slot;
        lock (_table)
        {
            int sameprefix = _table.Count(t => t.Connection.PrefixKey == key);
            if (sameprefix >= limits.MaxConnectionsPerPrefix)
            {
                if (!EvictOneLocked(key, $"max-connections-per-prefix {limits.MaxConnectionsPerPrefix} for {key}"))
                    refusal = $"max-connections-per-prefix {limits.MaxConnectionsPerPrefix} for {key}";
            }
            else if (_table.Count >= limits.MaxConnections)
            {
                if (!EvictOneLocked(null, $"max-connections {limits.MaxConnections}"))
                    refusal = $"max-connections {limits.MaxConnections}";
            }
            slot = new Slot(connection);
            if (refusal is null) _table.Add(slot);
        }
        if (refusal is not null)
        {
            Refuse(client, remote, refusal);
            connection.Dispose();
            return;
        }
        var task = ServeAsync(slot, ct);
        lock (_connections) _connections.Add(task);
        _ = task.ContinueWith(t => { lock (_connections) _connections.Remove(t); }, TaskScheduler.Default);
    }

    /// <summary>Closes the least recently active connection that may give way (in <paramref name="prefix"/>, or any).</summary>
    bool EvictOne(string? prefix, string why)
    {
        lock (_table) return EvictOneLocked(prefix, why);
    }

    bool EvictOneLocked(string? prefix, string why)
    {
        Slot? victim = null;
        foreach (var t in _table)
        {
            if (t.Released || (prefix is not null && t.Connection.PrefixKey != prefix) || !t.Connection.Evictable) continue;
            if (victim is null || t.Connection.LastActivityNs < victim.Connection.LastActivityNs) victim = t;
        }
        if (victim is null) return false;
        victim.Released = true;
        _table.Remove(victim);
        victim.Connection.Evict(why);
        Interlocked.Increment(ref _ctx.Counters.ConnectionsEvicted);
        _refusals.Count("evicted", victim.Connection.Remote, victim.Connection.PrefixKey);
        return true;
    }

    /// <summary>
    /// RFC 4656 §3.1: a Server-Greeting with Modes = 0 — "the server does not wish to communicate
    /// with the client and MAY close the connection immediately". The socket is new and its send
    /// buffer empty, so the 64 octets go out without blocking the accept loop.
    /// </summary>
    void Refuse(Socket client, IPEndPoint remote, string why)
    {
        Interlocked.Increment(ref _ctx.Counters.ConnectionsRefused);
        _refusals.Count(why.StartsWith("max-connections-per-prefix", StringComparison.Ordinal) ? "per-prefix limit" : "connection limit",
                        remote, _ctx.PrefixKey(remote.Address), why);
        try
        {
            var greeting = new byte[ServerGreeting.Size];
            new ServerGreeting(TwampModes.None, new byte[16], new byte[16], _ctx.Settings.Count).Write(greeting);
            client.Blocking = false;
            client.Send(greeting, SocketFlags.None, out _);
            client.Shutdown(SocketShutdown.Send);
        }
        catch (SocketException) { }
        catch (ObjectDisposedException) { }
        finally { client.Dispose(); }
    }

    async Task ServeAsync(Slot slot, CancellationToken ct)
    {
        await Task.Yield();
        try
        {
            await slot.Connection.RunAsync(ct).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            Interlocked.Increment(ref _ctx.Counters.InternalErrors);
            _errorLog.Write($"control {slot.Connection.Remote}: internal error: {e}");
        }
        finally
        {
            slot.Connection.Dispose();
            _ctx.MemoryTrim.Released();
            lock (_table)
            {
                if (!slot.Released) { slot.Released = true; _table.Remove(slot); }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _cts.Cancel();
        foreach (var l in _listeners) l.Dispose();
        foreach (var l in _owampListeners) l.Dispose();
        try { await Task.WhenAll(_acceptLoops).ConfigureAwait(false); } catch (OperationCanceledException) { }
        Task[] running;
        lock (_connections) running = [.. _connections];
        await Task.WhenAny(Task.WhenAll(running), Task.Delay(800)).ConfigureAwait(false);
        _refusals.Dispose();
        _drops?.Dispose();
        _ctx.MemoryTrim.Dispose();
        _cts.Dispose();
    }
}

/// <summary>The server cannot start (bind failure, bad key file): the message says what to fix.</summary>
public sealed class StartupException(string message) : Exception(message);
