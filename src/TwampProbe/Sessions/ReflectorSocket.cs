using System.Net;
using TwampProbe.Linux.Net;

namespace TwampProbe.Sessions;

/// <summary>
/// A UDP test port on the reflector and the sessions it serves, keyed by Session-Sender address
/// and port: several sessions can share one port (e.g. UDP 862, RFC 8545 §5) as long as their
/// senders differ. The table is copy-on-write: the reflector thread reads it without locks.
/// </summary>
public sealed class ReflectorSocket(UdpTestSocket socket, ulong token) : IDisposable
{
    readonly object _gate = new();
    volatile Dictionary<UdpPeer, ReflectorSession> _sessions = [];

    public UdpTestSocket Socket { get; } = socket;
    public ulong Token { get; } = token;
    public IPEndPoint LocalEndPoint { get; } = socket.LocalEndPoint;
    /// <summary>The engine whose thread serves (and closes) this socket.</summary>
    public ReflectorEngine? Owner { get; init; }
    /// <summary>TWAMP Light reflector: stateless, one shared session for every allowed source. On a
    /// <see cref="Persistent"/> socket (UDP 862) it serves whatever no negotiated session claims.</summary>
    public LightReflector? Light { get => _light; set => _light = value; }
    volatile LightReflector? _light;
    /// <summary>A socket of TWAMP Light alone (no negotiated sessions join it).</summary>
    public bool LightOnly => _light is not null && !Persistent;
    /// <summary>Bound at start-up (UDP 862) and kept open when its last session leaves.</summary>
    public bool Persistent { get; init; }
    /// <summary>Set when the last session left: the reflector thread closes it.</summary>
    public bool Closing { get; set; }

    /// <summary>The last busy-polling receive on it found nothing (reflector thread only).</summary>
    internal bool EmptyLastPoll { get; set; } = true;

    /// <summary>Not learned yet: every reply is sent alone until the first send of this socket says what one costs.</summary>
    internal const long SendCostUnknown = long.MaxValue / ReflectorEngine.BatchSize;

    /// <summary>
    /// What one datagram of a sendmmsg on this socket costs (moving average, ns; reflector thread only): how much later
    /// each reply of a run leaves than the one before. Per socket, not per thread: the route, the device, the packet
    /// size and an encrypted reply's protection differ between sockets, and one socket's cost must not let another's
    /// runs grow past the bound.
    /// </summary>
    internal long SendNsPerDatagram { get; set; } = SendCostUnknown;

    public int SessionCount => _sessions.Count;

    /// <summary>A snapshot of the sessions served here.</summary>
    public IReadOnlyCollection<ReflectorSession> Sessions => _sessions.Values;

    public bool TryAdd(ReflectorSession session)
    {
        lock (_gate)
        {
            if (Closing || _sessions.ContainsKey(session.Sender)) return false;
            _sessions = new Dictionary<UdpPeer, ReflectorSession>(_sessions) { [session.Sender] = session };
            return true;
        }
    }

    /// <summary>Removes a session; returns the number left.</summary>
    public int Remove(ReflectorSession session)
    {
        lock (_gate)
        {
            if (_sessions.TryGetValue(session.Sender, out var s) && ReferenceEquals(s, session))
            {
                var copy = new Dictionary<UdpPeer, ReflectorSession>(_sessions);
                copy.Remove(session.Sender);
                _sessions = copy;
            }
            if (_sessions.Count == 0 && _light is null && !Persistent) Closing = true;
            return _sessions.Count;
        }
    }

    internal ReflectorSession? Find(in UdpPeer sender) =>
        _sessions.TryGetValue(sender, out var s) ? s : null;

    public void Dispose() => Socket.Dispose();
}
