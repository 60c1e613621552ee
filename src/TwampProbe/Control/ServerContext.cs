using System.Net;
using TwampProbe.Config;
using TwampProbe.Protocol.Wire;
using TwampProbe.Sessions;
using TwampProbe.Time;

namespace TwampProbe.Control;

/// <summary>What every control connection of one server instance shares.</summary>
public sealed class ServerContext(ServerSettings settings, ReflectorEngine engine, ClockState clock)
{
    volatile ServerSettings _settings = settings;
    int _sessions;
    int _nextPort;

    public ServerSettings Settings { get => _settings; set => _settings = value; }
    public ReflectorEngine Engine { get; } = engine;
    public ClockState Clock { get; } = clock;
    /// <summary>Start-Time of Server-Start: the start of this server instance, the same for every client (RFC 4656 §3.1).</summary>
    public NtpTimestamp StartTime { get; } = NtpTimestamp.FromUnixNanoseconds(Linux.Time.RealtimeClock.UnixNanoseconds());
    public ServerCounters Counters { get; } = new();

    public int ActiveSessions => Volatile.Read(ref _sessions);

    public bool TryReserveSession()
    {
        while (true)
        {
            int n = Volatile.Read(ref _sessions);
            if (n >= Settings.Limits.MaxSessions) return false;
            if (Interlocked.CompareExchange(ref _sessions, n + 1, n) == n) return true;
        }
    }

    public void ReleaseSession() => Interlocked.Decrement(ref _sessions);

    /// <summary>Next port to try in the test-port range, rotating so that released ports rest a while.</summary>
    public int NextPortCandidate()
    {
        var s = Settings;
        int span = s.TestPortHigh - s.TestPortLow + 1;
        return s.TestPortLow + (int)((uint)Interlocked.Increment(ref _nextPort) % (uint)span);
    }
}

/// <summary>Refusals and outcomes, for the status and the tests.</summary>
public sealed class ServerCounters
{
    public long Connections;
    public long ConnectionsRefused;
    public long SetupFailures;
    public long SessionsAccepted;
    public long SessionsRefused;
    public long AlternatePortAnswers;
    public long ProtocolErrors;
}
