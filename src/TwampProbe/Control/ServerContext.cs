using System.Net;
using System.Net.Sockets;
using TwampProbe.Config;
using TwampProbe.Diagnostics;
using TwampProbe.Protocol.Wire;
using TwampProbe.Sessions;
using TwampProbe.Time;

namespace TwampProbe.Control;

/// <summary>What every control connection of one server instance shares.</summary>
public sealed class ServerContext
{
    volatile ServerSettings _settings;
    int _sessions;
    int _nextPort;
    readonly Dictionary<string, int> _sessionsByPrefix = [];

    public ServerContext(ServerSettings settings, ReflectorEngine engine, ClockState clock, IClock? time = null)
        : this(settings, new ReflectorPool(engine), clock, time) { }

    public ServerContext(ServerSettings settings, ReflectorPool engine, ClockState clock, IClock? time = null)
    {
        _settings = settings;
        Engine = engine;
        Clock = clock;
        Time = time ?? SystemClock.Instance;
        StartTime = NtpTimestamp.FromUnixNanoseconds(Time.UnixNanoseconds);
    }

    public ServerSettings Settings { get => _settings; set => _settings = value; }
    /// <summary>The reflector threads (one engine unless <c>reflector-threads</c> says more).</summary>
    public ReflectorPool Engine { get; }
    /// <summary>
    /// Opens sockets that need a capability kept after the drop from root (a UDP port below 1024, e.g.
    /// OWAMP's 861): the reflector's privileged thread, or null when there is none.
    /// </summary>
    public Linux.Security.PrivilegedThread? Privileged => Engine.Engines[0].Privileged;
    /// <summary>The clock's synchronization state (Error Estimate).</summary>
    public ClockState Clock { get; }
    /// <summary>Monotonic time for every timer and deadline; wall-clock time only for timestamps.</summary>
    public IClock Time { get; }
    /// <summary>Start-Time of Server-Start: the start of this server instance, the same for every client (RFC 4656 §3.1).</summary>
    public NtpTimestamp StartTime { get; }
    public ServerCounters Counters { get; } = new();
    /// <summary>Per-connection log lines (closing lines, first refusals): at most 20 a second
    /// sustained, bursts of 200, the rest counted and reported.</summary>
    public LogBudget ConnectionLog { get; } = new(LogLevel.Info, perSecond: 20, burst: 200);
    /// <summary>Returns garbage to the system after connections close (RSS stays flat under churn).</summary>
    public MemoryTrim MemoryTrim { get; } = new(TimeSpan.FromSeconds(5));
    /// <summary>Concurrent PBKDF2 derivations at set-up: one core is always left to the reflector.</summary>
    public SemaphoreSlim KeyDerivations { get; } = new(Math.Max(1, Environment.ProcessorCount - 1));

    /// <summary>Results of the OWAMP receive sessions, fetched by SID from any connection (RFC 4656 §3.9).</summary>
    public Owamp.Server.OwampResults OwampResults { get; } = new();

    public int ActiveSessions => Volatile.Read(ref _sessions);

    /// <summary>Why a session could not be reserved, or null when it was.</summary>
    public string? TryReserveSession(string prefixKey)
    {
        var limits = Settings.Limits;
        lock (_sessionsByPrefix)
        {
            if (_sessions >= limits.MaxSessions) return $"max-sessions {limits.MaxSessions} reached";
            _sessionsByPrefix.TryGetValue(prefixKey, out int n);
            if (n >= limits.EffectiveMaxSessionsPerPrefix)
                return $"max-sessions-per-prefix {limits.EffectiveMaxSessionsPerPrefix} reached for {prefixKey}";
            _sessionsByPrefix[prefixKey] = n + 1;
            _sessions++;
            return null;
        }
    }

    public void ReleaseSession(string prefixKey)
    {
        lock (_sessionsByPrefix)
        {
            _sessions--;
            if (_sessionsByPrefix.TryGetValue(prefixKey, out int n))
            {
                if (n <= 1) _sessionsByPrefix.Remove(prefixKey);
                else _sessionsByPrefix[prefixKey] = n - 1;
            }
        }
    }

    /// <summary>The client prefix <paramref name="address"/> is counted under (per-prefix limits).</summary>
    public string PrefixKey(IPAddress address)
    {
        var limits = Settings.Limits;
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
    public long ConnectionsEvicted;
    public long SetupTimeouts;
    public long SetupFailures;
    public long SessionsAccepted;
    public long SessionsRefused;
    public long AlternatePortAnswers;
    public long ProtocolErrors;
    public long InternalErrors;
    public long AcceptFailures;
    /// <summary>OWAMP-Test packets the server's receive sessions dropped (bad HMAC, out of time, …), counted when a session ends.</summary>
    public long OwampTestPacketsDropped;
}
