using System.Net;
using System.Net.Sockets;
using TwampProbe.Config;
using TwampProbe.Diagnostics;
using TwampProbe.Sessions;

namespace TwampProbe.Control;

/// <summary>
/// Accepts TWAMP-Control connections on every listen address (TCP 862 by default, RFC 8545 §7)
/// and serves each on its own task; applies the connection limits.
/// </summary>
public sealed class TwampServer : IAsyncDisposable
{
    readonly ServerContext _ctx;
    readonly List<Socket> _listeners = [];
    readonly List<Task> _acceptLoops = [];
    readonly CancellationTokenSource _cts = new();
    readonly Dictionary<string, int> _perPrefix = [];
    readonly HashSet<Task> _connections = [];
    int _connectionCount;
    ReflectorSocket? _light;
    readonly List<ReflectorSocket> _wellKnown = [];

    /// <summary>The UDP 862 test sockets bound at start-up.</summary>
    public IReadOnlyList<IPEndPoint> WellKnownTestEndPoints => _wellKnown.Select(s => s.LocalEndPoint).ToList();

    public TwampServer(ServerContext ctx) => _ctx = ctx;

    public IReadOnlyList<IPEndPoint> ListenEndPoints => _listeners.Select(l => (IPEndPoint)l.LocalEndPoint!).ToList();
    public IPEndPoint? LightEndPoint => _light?.LocalEndPoint;
    public ServerContext Context => _ctx;
    public int ConnectionCount => Volatile.Read(ref _connectionCount);

    /// <summary>Binds every socket first (so errors surface before anything is served), then starts accepting.</summary>
    public void Start()
    {
        var settings = _ctx.Settings;
        foreach (var ep in settings.Listen)
        {
            var s = new Socket(ep.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                if (ep.AddressFamily == AddressFamily.InterNetworkV6 && ep.Address.Equals(IPAddress.IPv6Any)) s.DualMode = true;
                s.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
                s.Bind(ep);
                s.Listen(128);
            }
            catch (SocketException e)
            {
                s.Dispose();
                throw new StartupException($"cannot listen on TCP {ep}: {e.Message}" +
                    (e.SocketErrorCode == SocketError.AccessDenied ? " (port below 1024: run as root or grant CAP_NET_BIND_SERVICE)" : ""));
            }
            _listeners.Add(s);
        }
        // RFC 8545 §5: UDP 862 is the TWAMP-Test receiver port. Bound now, while the process may
        // still hold the privilege for it, and shared by every session that asks for it.
        foreach (var ep in settings.Listen)
        {
            var test = new IPEndPoint(ep.Address, ServerSettings.TestPort);
            if (_ctx.Engine.FindSocket(test) is not null) continue;
            try { _wellKnown.Add(_ctx.Engine.Open(test, persistent: true)); }
            catch (SocketException e)
            {
                Log.Info($"UDP {test} unavailable ({e.Message}): sessions asking for it get an alternate port");
            }
        }
        if (settings.LightListen is { } light)
        {
            try { _light = _ctx.Engine.Open(light, new LightReflector(settings.Limits.LightAllow)); }
            catch (SocketException e) { throw new StartupException($"cannot bind TWAMP Light UDP {light}: {e.Message}"); }
        }
        foreach (var l in _listeners) _acceptLoops.Add(AcceptLoopAsync(l, _cts.Token));
    }

    /// <summary>Applies reloaded limits; the Light allow-list is swapped in place.</summary>
    public void Reload(ServerSettings settings)
    {
        _ctx.Settings = settings;
        _light?.Light?.SetAllow(settings.Limits.LightAllow);
    }

    async Task AcceptLoopAsync(Socket listener, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            Socket client;
            try { client = await listener.AcceptAsync(ct).ConfigureAwait(false); }
            catch (OperationCanceledException) { return; }
            catch (ObjectDisposedException) { return; }
            catch (SocketException e)
            {
                Log.Warn($"accept on {listener.LocalEndPoint}: {e.Message}");
                await Task.Delay(100, ct).ConfigureAwait(false);
                continue;
            }
            client.NoDelay = true;
            var remote = (IPEndPoint)client.RemoteEndPoint!;
            var key = PrefixKey(remote.Address);
            var limits = _ctx.Settings.Limits;
            bool admitted;
            lock (_perPrefix)
            {
                _perPrefix.TryGetValue(key, out int n);
                admitted = _connectionCount < limits.MaxConnections && n < limits.MaxConnectionsPerPrefix;
                if (admitted) { _perPrefix[key] = n + 1; _connectionCount++; }
            }
            if (!admitted)
            {
                // Too many connections: close at once (the greeting's Modes = 0 would cost a PBKDF2-free
                // round trip too, but closing frees the slot soonest). Counted and logged.
                Interlocked.Increment(ref _ctx.Counters.ConnectionsRefused);
                Log.Info($"control {remote}: refused: connection limit (max-connections {limits.MaxConnections}, per prefix {limits.MaxConnectionsPerPrefix})");
                client.Dispose();
                continue;
            }
            var task = ServeAsync(client, remote, key, ct);
            lock (_connections) _connections.Add(task);
            _ = task.ContinueWith(t => { lock (_connections) _connections.Remove(t); }, TaskScheduler.Default);
        }
    }

    async Task ServeAsync(Socket client, IPEndPoint remote, string key, CancellationToken ct)
    {
        await Task.Yield();
        try
        {
            using var connection = new ServerConnection(new NetworkStream(client, ownsSocket: true), _ctx, (IPEndPoint)client.LocalEndPoint!, remote);
            await connection.RunAsync(ct).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            Log.Error($"control {remote}: internal error: {e}");
        }
        finally
        {
            lock (_perPrefix)
            {
                _connectionCount--;
                if (--_perPrefix[key] == 0) _perPrefix.Remove(key);
            }
        }
    }

    string PrefixKey(IPAddress address)
    {
        var limits = _ctx.Settings.Limits;
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        var bytes = address.GetAddressBytes();
        int bits = address.AddressFamily == AddressFamily.InterNetwork ? limits.PerPrefixLengthV4 : limits.PerPrefixLengthV6;
        for (int i = 0; i < bytes.Length; i++)
        {
            int keep = Math.Clamp(bits - i * 8, 0, 8);
            bytes[i] &= (byte)(0xFF << (8 - keep));
        }
        return $"{new IPAddress(bytes)}/{bits}";
    }

    public async ValueTask DisposeAsync()
    {
        _cts.Cancel();
        foreach (var l in _listeners) l.Dispose();
        try { await Task.WhenAll(_acceptLoops).ConfigureAwait(false); } catch (OperationCanceledException) { }
        Task[] running;
        lock (_connections) running = [.. _connections];
        await Task.WhenAny(Task.WhenAll(running), Task.Delay(800)).ConfigureAwait(false);
        _cts.Dispose();
    }
}

/// <summary>The server cannot start (bind failure, bad key file): the message says what to fix.</summary>
public sealed class StartupException(string message) : Exception(message);
